"""Record → the report an organ publishes (issue #11 item 3): DOCX in 党政机关公文格式, CMS-ready HTML, PDF.

The test-report renderers beside this module imitate how reports look in the wild; these write the one
official document, the same every time. DOCX follows GB/T 9704-2012: A4, margins 上37 下35 左28 右26 mm,
title 方正小标宋简体 二号 (22pt), body 仿宋_GB2312 三号 (16pt) on a 28pt line, first-level headings 黑体,
second-level 楷体_GB2312, page numbers "— 1 —" in 四号 宋体 (odd pages right, even left, one character in).
Fonts are named as organs' machines have them; Word substitutes where one is missing. The HTML is a page
whose body a site's CMS can take as is: one ``<table>`` per statutory table with real ``rowspan``/
``colspan``, inline borders, no scripts. The PDF is that HTML printed by WeasyPrint with the same page
layout and the open CJK fonts the machine has (fc-list) after the official ones. ``draft`` prints 草稿.
"""

from __future__ import annotations

from decimal import Decimal
from html import escape
from io import BytesIO

from .. import grid as g
from ..model import Cell, Record
from ..write.draft import SUBPARTS_2021
from .text import paragraphs, sections

DRAFT = "草稿"
TITLE_FONT, BODY_FONT, HEAD_FONT, KAI_FONT, PAGE_FONT = "方正小标宋简体", "仿宋_GB2312", "黑体", "楷体_GB2312", "宋体"
# The official fonts first, then the open ones a Linux machine has (Noto / Source Han / AR PL / WenQuanYi).
_SERIF = '"仿宋_GB2312", "FangSong", "Noto Serif CJK SC", "Source Han Serif SC", "AR PL UMing CN", "WenQuanYi Zen Hei"'
_TITLE = '"方正小标宋简体", "Noto Serif CJK SC", "Source Han Serif SC", "AR PL UMing CN", "WenQuanYi Zen Hei"'
_HEI = '"黑体", "SimHei", "Noto Sans CJK SC", "Source Han Sans SC", "WenQuanYi Zen Hei"'
_KAI = '"楷体_GB2312", "KaiTi", "AR PL UKai CN", "Noto Serif CJK SC", "WenQuanYi Zen Hei"'
_SUBHEADS = {p.translate(g.FULLWIDTH) for p in SUBPARTS_2021} | set(SUBPARTS_2021)
# Column widths in mm over the 156 mm type area: labels wide enough to stay on two lines, values even.
_DOCX_WIDTHS = {2: (50, 35, 35, 36), 3: (12, 14, 50) + (11.4,) * 7, 4: (10.4,) * 15}
_CELL = "border:1px solid #000;padding:2px 4px;text-align:center;vertical-align:middle"


def title_of(record: Record) -> str:
    meta = record.meta
    return meta.title or f"{meta.organ or ''}{meta.year or ''}年政府信息公开工作年度报告"


def cell_text(cell: Cell | None) -> str:
    """A value as the official table prints it: the number as typed (an amount keeps its decimals), its unit."""
    if cell is None or cell.value is None:
        return ""
    v = cell.value
    text = format(v, "f") if isinstance(v, Decimal) else str(v)
    return text + (cell.unit or "")


def date_text(record: Record) -> str:
    """成文日期 in Arabic numerals (GB/T 9704-2012 7.3.5.3): 2026年1月20日."""
    d = record.meta.published
    return f"{d.year}年{d.month}月{d.day}日" if d else ""


def _body(record: Record):
    """(kind, text) in reading order: h2 headings, h3 sub-headings, p paragraphs, table grids."""
    grids = g.of_record(record, skip_absent=False)
    for section in sections(record):
        yield "h2", (section.heading or "").translate(g.FULLWIDTH)
        for text in paragraphs(section):
            text = text.translate(g.FULLWIDTH)
            yield ("h3" if text.strip() in _SUBHEADS else "p"), text
        if section.number in grids:
            yield "table", grids[section.number]


def _e(text: str) -> str:
    return escape(text, quote=False)


_SCREEN_CSS = f"""
.ogi-report {{ font-family: {_SERIF}; font-size: 16pt; line-height: 1.75; }}
.ogi-report h1 {{ font-family: {_TITLE}; font-size: 22pt; font-weight: normal; text-align: center; margin: 0 0 28pt; }}
.ogi-report h2 {{ font-family: {_HEI}; font-size: 16pt; font-weight: normal; text-indent: 2em; margin: 0; }}
.ogi-report h3 {{ font-family: {_KAI}; font-size: 16pt; font-weight: normal; text-indent: 2em; margin: 0; }}
.ogi-report p {{ text-indent: 2em; margin: 0; text-align: justify; }}
.ogi-report p.sign {{ text-align: right; text-indent: 0; padding-right: 4em; }}
.ogi-report p.draft {{ color: #c00; font-family: {_HEI}; text-indent: 0; text-align: right; }}
.ogi-report table {{ border-collapse: collapse; width: 100%; margin: 6pt 0; font-size: 10.5pt; line-height: 1.3; }}
.ogi-report td.label {{ text-align: left; }}
"""
_PRINT_CSS = f"""
@page {{ size: A4; margin: 37mm 26mm 35mm 28mm;
  @bottom-right {{ content: "— " counter(page) " —"; font-family: {_SERIF}; font-size: 14pt;
                   vertical-align: bottom; padding: 0 1em 14mm 0; }} }}
@page :left {{ @bottom-right {{ content: none; }}
  @bottom-left {{ content: "— " counter(page) " —"; font-family: {_SERIF}; font-size: 14pt;
                  vertical-align: bottom; padding: 0 0 14mm 1em; }} }}
.ogi-report {{ line-height: 28pt; }}
.ogi-report table {{ line-height: 1.25; page-break-inside: auto; }}
.ogi-report tr {{ page-break-inside: avoid; }}
"""


def official_html(record: Record, *, draft: bool = False, printed: bool = False) -> str:
    """The report as one HTML page; ``printed`` adds the page layout the PDF is made with."""
    title = title_of(record)
    published = record.meta.published.isoformat() if record.meta.published else ""
    out = [
        "<!DOCTYPE html>",
        f'<html lang="zh-CN"><head><meta charset="utf-8"><title>{_e(title)}</title>',
        f'<meta name="PubDate" content="{published}">',
        f"<style>{_SCREEN_CSS}{_PRINT_CSS if printed else ''}</style></head><body>",
        '<div class="ogi-report">',
    ]
    if draft:
        out.append(f'<p class="draft">{DRAFT}</p>')
    out.append(f"<h1>{_e(title)}</h1>")
    for kind, item in _body(record):
        if kind == "table":
            out.append(_table(record, item))
        elif item:
            out.append(f"<{kind}>{_e(item)}</{kind}>")
    if record.meta.published:
        out += [f'<p class="sign">{_e(record.meta.organ or "")}</p>', f'<p class="sign">{date_text(record)}</p>']
    out.append("</div></body></html>")
    return "\n".join(out)


def _table(record: Record, grid: g.Grid) -> str:
    rows = []
    for row in grid.rows:
        cells = []
        for c in row:
            spans = (f' rowspan="{c.rowspan}"' if c.rowspan > 1 else "") + (
                f' colspan="{c.colspan}"' if c.colspan > 1 else ""
            )
            if c.key is not None:
                cells.append(f'<td{spans} style="{_CELL}">{_e(cell_text(record.cells.get(c.key)))}</td>')
            else:
                text = _e(c.text.translate(g.FULLWIDTH)).replace("\n", "<br>")
                kind = "th" if c.header else 'td class="label"'
                align = "" if c.header else ";text-align:left"
                cells.append(f'<{kind}{spans} style="{_CELL}{align};font-weight:normal">{text}</{kind.split()[0]}>')
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return (
        f'<table class="ogi-t{grid.number}" style="border-collapse:collapse;width:100%">\n'
        + "\n".join(rows)
        + "\n</table>"
    )


def official_pdf(record: Record, *, draft: bool = False) -> bytes:
    from .pdf import RenderUnavailable, _cjk_font_missing  # the font check lives with the other PDF renderer

    try:
        import weasyprint
    except (ImportError, OSError) as exc:
        raise RenderUnavailable("PDF", f"无法生成 PDF：需要 weasyprint 及系统库 pango（{exc}）") from None
    if _cjk_font_missing():
        raise RenderUnavailable("PDF", "无法生成 PDF：系统没有中文字体，请安装 fonts-noto-cjk 或 fonts-wqy-zenhei")
    return weasyprint.HTML(string=official_html(record, draft=draft, printed=True)).write_pdf()


def official_docx(record: Record, *, draft: bool = False) -> bytes:
    import docx  # python-docx: loaded only when a DOCX is asked for
    from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
    from docx.shared import Mm, Pt, RGBColor

    document = docx.Document()
    section = document.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(37), Mm(35)
    section.left_margin, section.right_margin = Mm(28), Mm(26)
    section.footer_distance = Mm(22)  # the page number 7 mm under the type area (GB/T 9704 7.5)
    normal = document.styles["Normal"]
    _font(normal.font, normal.element, BODY_FONT, 16)
    normal.paragraph_format.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    normal.paragraph_format.line_spacing = Pt(28)
    normal.paragraph_format.space_before = normal.paragraph_format.space_after = Pt(0)
    document.core_properties.title = title_of(record)
    document.core_properties.author = record.meta.organ or ""
    if draft:
        mark = document.add_paragraph()
        mark.alignment = WD_ALIGN_PARAGRAPH.RIGHT
        run = _run(mark, DRAFT, HEAD_FONT, 16)
        run.font.color.rgb = RGBColor(0xC0, 0, 0)
    title = document.add_paragraph()
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    title.paragraph_format.line_spacing = Pt(36)
    title.paragraph_format.space_after = Pt(28)
    _run(title, title_of(record), TITLE_FONT, 22)
    for kind, item in _body(record):
        if kind == "table":
            _docx_table(document, record, item)
            continue
        if not item:
            continue
        paragraph = document.add_paragraph()
        paragraph.paragraph_format.first_line_indent = Pt(32)
        if kind == "p":
            paragraph.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
            _run(paragraph, item, BODY_FONT, 16)
        else:
            paragraph.paragraph_format.keep_with_next = True
            _run(paragraph, item, HEAD_FONT if kind == "h2" else KAI_FONT, 16)
    if record.meta.published:
        document.add_paragraph()
        for text in (record.meta.organ or "", date_text(record)):
            paragraph = document.add_paragraph()
            paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT
            paragraph.paragraph_format.right_indent = Pt(64)  # 右空四字
            _run(paragraph, text, BODY_FONT, 16)
    _page_numbers(document, section, draft)
    out = BytesIO()
    document.save(out)
    return out.getvalue()


def _font(font, element, name: str, size: float) -> None:
    from docx.oxml.ns import qn
    from docx.shared import Pt

    font.name, font.size = name, Pt(size)
    fonts = element.get_or_add_rPr().get_or_add_rFonts()
    for attribute in ("w:eastAsia", "w:ascii", "w:hAnsi"):
        fonts.set(qn(attribute), name)


def _run(paragraph, text: str, font: str, size: float):
    run = paragraph.add_run(text)
    _font(run.font, run._element, font, size)
    return run


def _docx_table(document, record: Record, grid: g.Grid) -> None:
    from docx.enum.table import WD_TABLE_ALIGNMENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
    from docx.shared import Mm

    table = document.add_table(rows=len(grid.rows), cols=grid.width)
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    widths = [Mm(w) for w in _DOCX_WIDTHS[grid.number]]
    for column, width in zip(table.columns, widths):
        column.width = width
    cells = table._cells  # taken once: table.cell() rebuilds the list on every call
    for i, each in enumerate(cells):
        each.width = widths[i % grid.width]  # before merging: a merged cell spans the widths it covers
    for r, c, cell in g.place(grid):
        target = cells[r * grid.width + c]
        if cell.rowspan > 1 or cell.colspan > 1:
            target = target.merge(cells[(r + cell.rowspan - 1) * grid.width + c + cell.colspan - 1])
        text = cell_text(record.cells.get(cell.key)) if cell.key is not None else cell.text.translate(g.FULLWIDTH)
        paragraph = target.paragraphs[0]
        paragraph.paragraph_format.line_spacing_rule = WD_LINE_SPACING.SINGLE
        paragraph.paragraph_format.first_line_indent = None
        lines = text.split("\n")
        for i, line in enumerate(lines):
            run = _run(paragraph, line, BODY_FONT, 10.5)
            if i < len(lines) - 1:
                run.add_break()  # Word's line break inside a narrow header cell ("商业/企业")
        if cell.key is not None or cell.header:
            paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    document.add_paragraph()


def _page_numbers(document, section, draft: bool) -> None:
    """ "— 1 —" in 四号 宋体: odd pages at the right, even pages at the left, one character in."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Pt, RGBColor

    document.settings.odd_and_even_pages_header_footer = True
    for footer, align in (
        (section.footer, WD_ALIGN_PARAGRAPH.RIGHT),
        (section.even_page_footer, WD_ALIGN_PARAGRAPH.LEFT),
    ):
        paragraph = footer.paragraphs[0]
        paragraph.alignment = align
        paragraph.paragraph_format.left_indent = Pt(14) if align == WD_ALIGN_PARAGRAPH.LEFT else None
        paragraph.paragraph_format.right_indent = Pt(14) if align == WD_ALIGN_PARAGRAPH.RIGHT else None
        _run(paragraph, "— ", PAGE_FONT, 14)
        field = OxmlElement("w:fldSimple")
        field.set(qn("w:instr"), "PAGE")
        inner = OxmlElement("w:r")
        text = OxmlElement("w:t")
        text.text = "1"
        inner.append(text)
        field.append(inner)
        paragraph._p.append(field)
        _run(paragraph, " —", PAGE_FONT, 14)
    if draft:
        for header in (section.header, section.even_page_header):
            mark = header.paragraphs[0]
            mark.alignment = WD_ALIGN_PARAGRAPH.RIGHT
            _run(mark, DRAFT, HEAD_FONT, 12).font.color.rgb = RGBColor(0xC0, 0, 0)
