"""Wide export rows + findings → one XLSX workbook in the official layout, as an office circulates a summary.

Sheets: 说明 · 报告 (one row per report) · 表二/表三 per format present · 表四 · 审核发现. In each table sheet the
first columns name the report (机关, 省, 市, 县(区), 年度) and each official row (its labels from ``ogi.grid``)
spans its columns, merged, with the column labels (自然人 … 总计) underneath. Written in openpyxl's
streaming mode; every cell goes through ``export.tables``, so a text never becomes a formula.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.cell_range import CellRange

from .. import grid
from ..model import REVIEW_STATUS_ZH, SEVERITY_ZH, Severity, StoreError
from ..rules import RULE_BY_ID
from .rows import META
from .tables import xlsx_cell

_LEAD = (("organ", "机关"), ("province", "省"), ("city", "市"), ("county", "县(区)"), ("year", "年度"))
_FINDINGS_HEAD = (
    "报告编号",
    "机关",
    "年度",
    "规则",
    "规则名称",
    "级别",
    "单元格",
    "应为",
    "实为",
    "说明",
    "审核状态",
    "审核意见",
)
_HEAD_FONT = Font(bold=True)
_HEAD_FILL = PatternFill("solid", fgColor="DDEBF7")
_CENTER = Alignment(horizontal="center", vertical="center", wrap_text=True)
# (row label, [(column label, key)…]) per official row, for one sheet
Groups = list[tuple[str, list[tuple[str, str]]]]


def official_sheets(templates: list[str]) -> list[tuple[str, Groups]]:
    """Per sheet: (name, groups) in the order of the official tables, table 2 and 3 once per format."""
    sheets = [
        (f"表{name}({t}版)", _groups(grid.tables(t)[number]))
        for number, name in ((2, "二"), (3, "三"))
        for t in templates
    ]
    return sheets + [("表四", _groups(grid.table4()))]


def _groups(table: grid.Grid) -> Groups:
    """One group per official row. Nested row labels drop the outermost (三、本年度办理结果) to stay short;
    table 4, whose rows have no label, is grouped by proceeding ("行政诉讼·复议后起诉")."""
    groups = []
    for line in grid.lines(table):
        if line.labels:
            label = " ".join(grid.brief(text) for text in line.labels[1:] or line.labels)
        else:
            label = "·".join(line.heads)
        groups.append((label, [(grid.one_line(c), k) for c, k in zip(line.columns, line.keys, strict=True)]))
    return groups


def keys_of(sheets: list[tuple[str, Groups]]) -> list[str]:
    return [k for _, groups in sheets for _, cols in groups for _, k in cols]


def save_workbook(path: Path, templates: list[str], rows: Iterable[dict], findings: Iterable, filters: dict) -> int:
    """Write the workbook of the wide ``rows`` (which hold every key of ``official_sheets(templates)``) and
    the ``findings`` (corpus finding rows); returns the number of reports."""
    sheets = official_sheets(templates)
    book = Workbook(write_only=True)
    intro = book.create_sheet("说明")
    listing = book.create_sheet("报告")
    listing.freeze_panes = "C2"
    listing.append([_head(listing, zh) for _, zh in META])
    tables = [(_table_sheet(book, name, groups), groups, name) for name, groups in sheets]
    n = 0
    for row in rows:
        n += 1
        listing.append([xlsx_cell(listing, row[m]) for m, _ in META])
        lead = [row["organ"] or row["organ_name"], row["province"], row["city"], row["county"], row["year"]]
        for ws, groups, name in tables:
            if name == "表四" or f"({row['template']}版)" in name:
                ws.append([xlsx_cell(ws, v) for v in lead + [row[k] for _, cols in groups for _, k in cols]])
    _findings_sheet(book, findings)
    for line in _intro(n, templates, filters):
        intro.append([xlsx_cell(intro, line)])
    try:
        book.save(str(path))
    except OSError as exc:
        raise StoreError(str(path), f"无法写入导出文件 (cannot write: {exc.strerror or exc})") from None
    return n


def _intro(n: int, templates: list[str], filters: dict) -> list[str]:
    return [
        "政府信息公开工作年度报告 汇总表",
        f"报告 {n} 份；格式：{'、'.join(t + '版' for t in templates) or '—'}",
        "筛选条件：" + ("；".join(f"{k}={v}" for k, v in filters.items() if v) or "无"),
        "单元格为空表示原报告该处空白、不适用或缺失；明细见长表导出 (ogi export --form long)。",
    ]


def _head(ws, value):
    cell = xlsx_cell(ws, value)
    cell.font, cell.fill, cell.alignment = _HEAD_FONT, _HEAD_FILL, _CENTER
    return cell


def _table_sheet(book, name: str, groups: Groups):
    """A table sheet with its two header rows: the lead columns and the row labels merged over their columns."""
    ws = book.create_sheet(name)
    ws.freeze_panes = f"{get_column_letter(len(_LEAD) + 1)}3"
    top = [_head(ws, zh) for _, zh in _LEAD]
    second = [_head(ws, None) for _ in _LEAD]
    col = len(_LEAD) + 1
    for label, cols in groups:
        top += [_head(ws, label)] + [_head(ws, None) for _ in cols[1:]]
        second += [_head(ws, c) for c, _ in cols]
        if len(cols) > 1:
            ws.merged_cells.add(CellRange(min_col=col, min_row=1, max_col=col + len(cols) - 1, max_row=1))
        col += len(cols)
    for i in range(1, len(_LEAD) + 1):
        ws.merged_cells.add(CellRange(min_col=i, min_row=1, max_col=i, max_row=2))
    ws.column_dimensions["A"].width = 28
    ws.append(top)
    ws.append(second)
    return ws


def _findings_sheet(book, findings: Iterable) -> None:
    ws = book.create_sheet("审核发现")
    ws.append([_head(ws, h) for h in _FINDINGS_HEAD])
    for f in findings:
        rule = RULE_BY_ID.get(f.rule)
        values = [
            f.report_id,
            f.organ,
            f.year,
            f.rule,
            rule.title if rule else "",
            SEVERITY_ZH[Severity(f.severity)],
            " ".join(f.keys),
            f.expected,
            f.found,
            f.message,
            REVIEW_STATUS_ZH.get(f.status, f.status),
            f.comment,
        ]
        ws.append([xlsx_cell(ws, v) for v in values])
