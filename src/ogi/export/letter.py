"""审核意见书: the letter a reviewer sends an organ about its annual report — the confirmed findings in plain
Chinese (which table, row and column; what the report states and what the check expects), the reviewer's
comments, and the date by which the report is to be rectified. As DOCX (python-docx), as PDF (WeasyPrint,
the same content) and, for a selection of reports, as one ZIP of DOCX letters.

Only confirmed findings go into a letter: an open one is not yet the reviewer's word, a 不成立 one is not a
problem of the organ, and ogi's own reading problems are never the organ's errors.
"""

from __future__ import annotations

import datetime as dt
import html
import io
import re
import zipfile
from dataclasses import dataclass, field

from .. import forms
from ..corpus import Corpus, Filters
from ..rules import finding_title, stated_numbers

RECTIFY_DAYS = 15  # default time given to rectify, in calendar days
BATCH_MAX = 2000  # letters in one ZIP: a larger selection is narrowed by its filters first
_UNSAFE_NAME = re.compile(r'[\\/:*?"<>|\s]+')


@dataclass(slots=True)
class Item:
    where: str  # 表三 · 一、本年新收政府信息公开申请数量 · 自然人 (or 全文)
    problem: str  # the rule's Chinese title
    detail: str  # the finding's message
    numbers: str  # 合计 X，分项之和 Y / 应为 X，实为 Y
    comment: str  # the reviewer's comment on this finding


@dataclass(slots=True)
class Letter:
    report_id: int
    organ: str
    year: int | None
    title: str
    published: dt.date | None
    due: dt.date  # rectification deadline
    written: dt.date  # the letter's date
    items: list[Item] = field(default_factory=list)
    comments: list[str] = field(default_factory=list)  # the reviewer's comments on the whole report
    reviewer: str = ""

    @property
    def heading(self) -> str:
        return f"关于{self.organ}{self.year or ''}年度政府信息公开工作年度报告的审核意见书"

    @property
    def opening(self) -> str:
        published = (
            f"于{self.published.year}年{self.published.month}月{self.published.day}日发布的" if self.published else ""
        )
        if not self.items:
            return f"经审核，贵单位{published}《{self.title}》未发现需要整改的问题。"
        return (
            f"经审核，贵单位{published}《{self.title}》存在以下 {len(self.items)} 处问题，"
            f"请于{_day(self.due)}前完成整改，重新发布并报送整改情况。"
        )

    @property
    def file_name(self) -> str:
        return _UNSAFE_NAME.sub("_", f"{self.report_id}_{self.organ}_{self.year or ''}_审核意见书")


def _day(d: dt.date) -> str:
    return f"{d.year}年{d.month}月{d.day}日"


def where_of(keys: list[str]) -> str:
    """The cells of a finding as the official tables name them; the whole text when it names none."""
    if not keys:
        return "全文"
    shown = [forms.label_of(k).replace("·", " · ") for k in keys[:4]]
    return "；".join(shown) + (f" 等 {len(keys)} 个单元格" if len(keys) > 4 else "")


def letter_of(corpus: Corpus, report_id: int, due: dt.date | None = None, today: dt.date | None = None) -> Letter:
    """The letter for one report: its confirmed findings and the reviewer's comments."""
    row = corpus.report_row(report_id)
    record = corpus.get(report_id)
    today = today or dt.date.today()
    letter = Letter(
        report_id=report_id,
        organ=row.organ or row.organ_name or "（机关未识别）",
        year=row.year,
        title=record.meta.title or f"{row.organ_name or ''}{row.year or ''}年政府信息公开工作年度报告",
        published=row.published,
        due=due or today + dt.timedelta(days=RECTIFY_DAYS),
        written=today,
    )
    reviewers = []
    for f in corpus.findings(report_id, limit=None):
        if f.status != "confirmed":
            continue
        letter.items.append(
            Item(
                where=where_of(f.keys),
                problem=finding_title(f.rule, f.severity),
                detail=f.message,
                numbers=stated_numbers(f.rule, f.expected, f.found) or "",
                comment=f.comment or "",
            )
        )
        reviewers.append(f.reviewer or "")
    for h in corpus.report_status_history(report_id):
        if h["comment"]:
            letter.comments.append(h["comment"])
        reviewers.append(h["who"])
    letter.reviewer = next((r for r in reversed(reviewers) if r), "")
    return letter


_TABLE_HEADER = ("序号", "位置（表 · 行 · 列）", "问题", "报告所填与核对结果", "审核意见")


def _rows(letter: Letter) -> list[tuple[str, ...]]:
    return [
        (str(i), it.where, f"{it.problem}：{it.detail}", it.numbers, it.comment)
        for i, it in enumerate(letter.items, start=1)
    ]


def letter_docx(letter: Letter) -> bytes:
    # python-docx loads only when a letter is written, not with every export.
    from docx import Document
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml.ns import qn
    from docx.shared import Pt

    doc = Document()
    style = doc.styles["Normal"]
    style.font.name = "SimSun"
    style.font.size = Pt(11)
    style.element.rPr.rFonts.set(qn("w:eastAsia"), "宋体")  # Word picks Chinese glyphs from eastAsia
    title = doc.add_paragraph()
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = title.add_run(letter.heading)
    run.bold = True
    run.font.size = Pt(16)
    doc.add_paragraph(f"{letter.organ}：")
    doc.add_paragraph(letter.opening)
    if letter.items:
        table = doc.add_table(rows=1, cols=len(_TABLE_HEADER))
        table.style = "Table Grid"
        for cell, text in zip(table.rows[0].cells, _TABLE_HEADER):
            cell.text = text
            cell.paragraphs[0].runs[0].bold = True
        for values in _rows(letter):
            for cell, text in zip(table.add_row().cells, values):
                cell.text = text
    if letter.comments:
        doc.add_paragraph("审核意见：")
        for c in letter.comments:
            doc.add_paragraph(c, style="List Bullet")
    doc.add_paragraph(f"整改期限：{_day(letter.due)}前。" if letter.items else "")
    sign = doc.add_paragraph(f"审核人：{letter.reviewer}\n{_day(letter.written)}")
    sign.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def letter_html(letter: Letter) -> str:
    e = html.escape
    rows = "".join("<tr>" + "".join(f"<td>{e(v)}</td>" for v in values) + "</tr>" for values in _rows(letter))
    table = (
        '<table><colgroup><col style="width:6%"><col style="width:30%"><col style="width:30%">'
        '<col style="width:18%"><col style="width:16%"></colgroup><thead><tr>'
        + "".join(f"<th>{e(h)}</th>" for h in _TABLE_HEADER)
        + f"</tr></thead><tbody>{rows}"
        "</tbody></table>"
        if letter.items
        else ""
    )
    comments = (
        "<p>审核意见：</p><ul>" + "".join(f"<li>{e(c)}</li>" for c in letter.comments) + "</ul>"
        if letter.comments
        else ""
    )
    due = f"<p>整改期限：{e(_day(letter.due))}前。</p>" if letter.items else ""
    return (
        '<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><style>'
        "@page { size: A4; margin: 2.2cm 2cm; }"
        " body { font-family: 'WenQuanYi Zen Hei', 'Noto Sans CJK SC', sans-serif; font-size: 11pt; line-height: 1.7; }"
        " h1 { text-align: center; font-size: 16pt; }"
        " table { border-collapse: collapse; width: 100%; font-size: 9.5pt; }"
        " th, td { border: 1px solid #444; padding: 3pt 4pt; vertical-align: top; } th { background: #eee; }"
        " .sign { text-align: right; }"
        f"</style></head><body><h1>{e(letter.heading)}</h1><p>{e(letter.organ)}：</p><p>{e(letter.opening)}</p>"
        f"{table}{comments}{due}<p class='sign'>审核人：{e(letter.reviewer)}<br>{e(_day(letter.written))}</p>"
        "</body></html>"
    )


def letter_pdf(letter: Letter) -> bytes:
    # WeasyPrint and its system libraries load only when a PDF is asked for.
    from ..render.pdf import pdf_from_html

    return pdf_from_html(letter_html(letter))


def letters_zip(corpus: Corpus, filters: Filters, due: dt.date | None = None) -> bytes:
    """A DOCX letter for each selected report (current versions), in one ZIP."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for row in corpus.reports(filters, limit=BATCH_MAX, order="id"):
            letter = letter_of(corpus, row.id, due)
            archive.writestr(f"{letter.file_name}.docx", letter_docx(letter))
    return out.getvalue()
