"""Corpus → one XLSX workbook in the official layout, the way an office circulates a summary (issue #4 item 5).

Sheets: 说明 · 报告 (one row per report) · 表二/表三 per format present · 表四 · 审核发现. In each table sheet the
first columns name the report (机关, 省, 市, 县(区), 年度) and every official row label spans its columns
(merged), with the column labels (自然人 … 总计) underneath. Written in openpyxl's streaming mode.
"""

from __future__ import annotations

from pathlib import Path

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.cell_range import CellRange

from .export import META, official_sheets, templates_present, wide_rows
from .model import SEVERITY_ZH, Severity, StoreError
from .rules import RULE_BY_ID

_LEAD = (("organ", "机关"), ("province", "省"), ("city", "市"), ("county", "县(区)"), ("year", "年度"))
_HEAD_FONT = Font(bold=True)
_HEAD_FILL = PatternFill("solid", fgColor="DDEBF7")
_CENTER = Alignment(horizontal="center", vertical="center", wrap_text=True)
_STATUS_ZH = {"open": "待审核", "confirmed": "已确认", "dismissed": "已排除"}


def _head(ws, value):
    cell = WriteOnlyCell(ws, value=value)
    cell.font, cell.fill, cell.alignment = _HEAD_FONT, _HEAD_FILL, _CENTER
    return cell


def _value(v):
    return None if v is None else (v if isinstance(v, int) else float(v))


def write_xlsx(corpus, path: Path, **filters) -> int:
    templates = templates_present(corpus, filters)
    sheets = official_sheets(templates)
    keys = [k for _, groups in sheets for _, cols in groups for _, k in cols]
    book = Workbook(write_only=True)
    intro = book.create_sheet("说明")
    listing = book.create_sheet("报告")
    listing.freeze_panes = "C2"
    listing.append([_head(listing, zh) for _, zh in META])
    tables = []
    for name, groups in sheets:
        ws = book.create_sheet(name)
        ws.freeze_panes = f"{get_column_letter(len(_LEAD) + 1)}3"
        _table_header(ws, groups)
        tables.append((ws, groups, name))
    n = 0
    for row in wide_rows(corpus, keys, **filters):
        n += 1
        listing.append([_value(row[m]) if m in ("errors", "warnings") else _text(row[m]) for m, _ in META])
        lead = [row["organ"] or row["organ_name"], row["province"], row["city"], row["county"], row["year"]]
        for ws, groups, name in tables:
            if not _fits(name, row["template"]):
                continue
            ws.append(lead + [_value(row[k]) for _, cols in groups for _, k in cols])
    _findings_sheet(book, corpus, filters)
    intro.append(["政府信息公开工作年度报告 汇总表"])
    intro.append([f"报告 {n} 份；格式：{'、'.join(t + '版' for t in templates) or '—'}"])
    intro.append(["筛选条件：" + ("；".join(f"{k}={v}" for k, v in filters.items() if v) or "无")])
    intro.append(["单元格为空表示原报告该处空白、不适用或缺失；明细见长表导出 (ogi export --form long)。"])
    try:
        book.save(str(path))
    except OSError as exc:
        raise StoreError(str(path), f"无法写入导出文件 (cannot write: {exc.strerror or exc})") from None
    return n


def _fits(sheet: str, template: str | None) -> bool:
    return sheet == "表四" or f"({template}版)" in sheet


def _text(v):
    return v.isoformat() if hasattr(v, "isoformat") else v


def _table_header(ws, groups) -> None:
    top = [_head(ws, zh) for _, zh in _LEAD]
    second = [_head(ws, None) for _ in _LEAD]
    col = len(_LEAD) + 1
    for label, cols in groups:
        top.append(_head(ws, label))
        top.extend(_head(ws, None) for _ in cols[1:])
        second.extend(_head(ws, c) for c, _ in cols)
        if len(cols) > 1:
            ws.merged_cells.add(CellRange(min_col=col, min_row=1, max_col=col + len(cols) - 1, max_row=1))
        col += len(cols)
    for i in range(1, len(_LEAD) + 1):
        ws.merged_cells.add(CellRange(min_col=i, min_row=1, max_col=i, max_row=2))
    ws.column_dimensions["A"].width = 28
    ws.append(top)
    ws.append(second)


def _findings_sheet(book, corpus, filters: dict) -> None:
    ws = book.create_sheet("审核发现")
    ws.append([_head(ws, h) for h in ("报告编号", "机关", "年度", "规则", "规则名称", "级别", "单元格", "应为", "实为",
                                      "说明", "审核状态", "审核意见")])
    offset = 0
    while True:
        rows = corpus.findings(limit=5000, offset=offset, **filters)
        if not rows:
            return
        offset += len(rows)
        for f in rows:
            rule = RULE_BY_ID.get(f.rule)
            ws.append([f.report_id, f.organ, f.year, f.rule, rule.title if rule else "",
                       SEVERITY_ZH[Severity(f.severity)], " ".join(f.keys), f.expected, f.found, f.message,
                       _STATUS_ZH.get(f.status, f.status), f.comment])
