"""The review campaign as one workbook for the office head: every selected report (not the page on screen),
its findings in plain Chinese (with the verdicts a correction resolved: never lost), and a summary by region
and review status.

Sheets: 报告 — one row per current report (organ, region, year, review status, counts by severity, verdicts,
公开率 …); 审核发现 — one row per finding with its cells named as the official tables name them
(表三·予以公开·自然人), its review status and comment (提示 left out unless asked for); 汇总 — reports per
region and review status. Written through ``tables.xlsx_cell`` (formula-safe), with column widths set.
"""

from __future__ import annotations

import io
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import replace
from typing import Any

from .. import forms
from ..corpus import Corpus, Filters
from ..figures import rate
from ..model import REPORT_STATUS_ZH, REPORT_STATUSES, RESOLVED_ZH, REVIEW_STATUS_ZH, SEVERITY_ZH, Severity
from ..rules import finding_title, stated_numbers
from .tables import sheet_title, xlsx_cell

REPORT_HEADER = (
    ("编号", 8),
    ("机关", 34),
    ("省", 10),
    ("市", 10),
    ("县(区)", 12),
    ("年度", 7),
    ("格式", 8),
    ("发布日期", 12),
    ("审核状态", 10),
    ("审核人", 10),
    ("错误", 7),
    ("警告", 7),
    ("提示", 7),
    ("已确认", 8),
    ("不成立", 8),
    ("公开率", 9),
    ("文件", 30),
)
FINDING_HEADER = (
    ("报告编号", 9),
    ("机关", 30),
    ("年度", 7),
    ("级别", 7),
    ("问题", 28),
    ("规则", 14),
    ("涉及单元格", 48),
    ("说明", 60),
    ("数值", 36),
    ("审核状态", 10),
    ("审核意见", 30),
    ("审核人", 10),
)
SUMMARY_HEADER = (("地区", 24), *((REPORT_STATUS_ZH[s], 10) for s in REPORT_STATUSES), ("合计", 8), ("错误", 8))


def cell_labels(keys: Sequence[str]) -> str:
    """Cell keys as the official tables name them: "表三·（一）予以公开·自然人；…"."""
    return "；".join(forms.label_of(k) for k in keys)


def _file_name(source: str) -> str:
    return source.replace("\\", "/").rsplit("/", 1)[-1]


def campaign_rows(corpus: Corpus, filters: Filters, *, infos: bool = False) -> dict[str, list[list[Any]]]:
    """The three sheets' rows for the reports ``filters`` selects (current versions unless asked otherwise)."""
    reports = corpus.reports(filters, limit=None, order="id")
    rates = {r["id"]: rate("open_rate", r) for r in corpus.figures_per_report(filters)}
    verdicts: dict[int, Counter] = defaultdict(Counter)
    finding_rows: list[list[Any]] = []
    # Every finding of these reports counts in their verdicts; the sheet lists those the filters ask for.
    for f in corpus.findings(filters=replace(filters, rule=None, severity=None, status=None), limit=None):
        verdicts[f.report_id][f.status] += 1
        if f.severity == Severity.info.value and not (infos or filters.severity == "info"):
            continue
        if any(
            wanted and value != wanted
            for wanted, value in ((filters.rule, f.rule), (filters.severity, f.severity), (filters.status, f.status))
        ):
            continue
        finding_rows.append(
            [
                f.report_id,
                f.organ,
                f.year,
                SEVERITY_ZH.get(Severity(f.severity), f.severity),
                finding_title(f.rule, f.severity),
                f.rule,
                cell_labels(f.keys),
                f.message,
                stated_numbers(f.rule, f.expected, f.found),
                REVIEW_STATUS_ZH.get(f.status, f.status),
                f.comment,
                f.reviewer,
            ]
        )
    for h in corpus.resolved_reviews(replace(filters, rule=None, severity=None, status=None)):
        if (h["severity"] == Severity.info.value and not infos) or (filters.rule and h["rule"] != filters.rule):
            continue
        finding_rows.append(
            [
                h["report_id"],
                h["organ"] or h["organ_name"],
                h["year"],
                SEVERITY_ZH.get(Severity(h["severity"]), h["severity"]),
                finding_title(h["rule"], h["severity"]),
                h["rule"],
                cell_labels(h["keys"]),
                h["message"],
                stated_numbers(h["rule"], h["expected"], h["found"]),
                f"{RESOLVED_ZH}（原{REVIEW_STATUS_ZH.get(h['status'], h['status'])}）",
                h["comment"],
                h["reviewer"],
            ]
        )
    ids = {r.id for r in reports}
    finding_rows = sorted((row for row in finding_rows if row[0] in ids), key=lambda row: row[0])
    report_rows = [
        [
            r.id,
            r.organ or r.organ_name,
            r.province,
            r.city,
            r.county,
            r.year,
            r.template,
            r.published,
            REPORT_STATUS_ZH.get(r.review_status, r.review_status),
            r.assignee,
            r.errors,
            r.warnings,
            r.infos,
            verdicts[r.id]["confirmed"],
            verdicts[r.id]["dismissed"],
            rates.get(r.id),
            _file_name(r.source),
        ]
        for r in reports
    ]
    by_region: dict[str, Counter] = defaultdict(Counter)
    for r in reports:
        region = " ".join(x for x in (r.province, r.city, r.county) if x) or "地区未识别"
        by_region[region][r.review_status] += 1
        by_region[region]["errors"] += r.errors
    counts = [
        [*(c[s] for s in REPORT_STATUSES), sum(c[s] for s in REPORT_STATUSES), c["errors"]]
        for _, c in sorted(by_region.items())
    ]
    summary: list[list[Any]] = [[region, *n] for region, n in zip(sorted(by_region), counts)]
    if counts:
        summary.append(["合计", *(sum(column) for column in zip(*counts))])
    return {"报告": report_rows, "审核发现": finding_rows, "汇总": summary}


def campaign_xlsx(corpus: Corpus, filters: Filters, *, infos: bool = False) -> bytes:
    """The workbook of ``campaign_rows``: 报告, 审核发现, 汇总, each with its header and column widths."""
    rows = campaign_rows(corpus, filters, infos=infos)
    return _workbook(
        [
            ("报告", REPORT_HEADER, rows["报告"]),
            ("审核发现", FINDING_HEADER, rows["审核发现"]),
            ("汇总", SUMMARY_HEADER, rows["汇总"]),
        ]
    )


def _workbook(sheets: Iterable[tuple[str, Sequence[tuple[str, float]], Iterable[Sequence[Any]]]]) -> bytes:
    # openpyxl takes a third of a second to import: only a workbook pays for it (as in tables.xlsx_bytes).
    from openpyxl import Workbook
    from openpyxl.utils import get_column_letter

    book = Workbook(write_only=True)
    used: set[str] = set()
    for name, header, body in sheets:
        sheet = book.create_sheet(sheet_title(name, used))
        for i, (_, width) in enumerate(header, start=1):  # widths must be set before the first row
            sheet.column_dimensions[get_column_letter(i)].width = width
        sheet.freeze_panes = "A2"
        sheet.append([xlsx_cell(sheet, title) for title, _ in header])
        for row in body:
            sheet.append([xlsx_cell(sheet, v) for v in row])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
