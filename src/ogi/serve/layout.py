"""Record → the three statutory tables as grids in the official layout (spec §4), for the report page.

A grid is a list of rows; a row is a list of slots ``{"head"|"label"|"key", "rowspan", "colspan"}``. Header
cells are merged as in the official forms (table 3's "三、本年度办理结果" spans its 20 or 22 rows, table 4's
行政诉讼 spans ten columns). ``cell_view`` says how one cell is shown: a blank stays blank, never 0.
"""

from __future__ import annotations

from .. import forms
from ..forms import T3_COLUMNS, T4_COLUMNS, T4_GROUPS
from ..model import STATE_ZH, Cell, Origin, Record, State

_G3 = "三、本年度办理结果"
ORIGIN_ZH = {Origin.source: "原文", Origin.inferred: "按勾稽关系推算", Origin.ocr: "OCR 识别", Origin.corrected: "人工更正"}


def _head(text: str, rowspan: int = 1, colspan: int = 1) -> dict:
    return {"head": text, "rowspan": rowspan, "colspan": colspan}


def _label(text: str, rowspan: int = 1, colspan: int = 1) -> dict:
    return {"label": text, "rowspan": rowspan, "colspan": colspan}


def _key(key: str, colspan: int = 1) -> dict:
    return {"key": key, "rowspan": 1, "colspan": colspan}


def table2(template: str) -> list[list[dict]]:
    blocks = forms.t2_blocks(template)
    width = max(len(b.columns) for b in blocks)
    grid = []
    for b in blocks:
        grid.append([_head(f"第二十条第{b.item}项", colspan=width + 1)])
        spans = [1] * (len(b.columns) - 1) + [width - len(b.columns) + 1]  # the last column takes what is left
        grid.append([_head("信息内容")] + [_head(c.label, colspan=s) for c, s in zip(b.columns, spans)])
        for r in b.rows:
            grid.append([_label(r.label)] + [_key(f"t2.{r.key}.{c.key}", s) for c, s in zip(b.columns, spans)])
    return grid


def t3_rows(record: Record) -> list[forms.Row]:
    template = record.meta.template or "2021"
    rows = list(forms.T3_ROWS[template])
    if template == "2021" and "t3.other.natural" in record.cells and "t3.other.misc.natural" not in record.cells:
        rows = [r for r in rows if not r.key.startswith("other.")]  # the 2019 single row kept (spec §4)
        rows.insert(-2, forms.ROW_OTHER_2019)
    return rows


def table3(record: Record) -> list[list[dict]]:
    rows = t3_rows(record)
    grid = [
        [_head("（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）", rowspan=3, colspan=3),
         _head("申请人情况", colspan=7)],
        [_head("自然人", rowspan=2), _head("法人或其他组织", colspan=5), _head("总计", rowspan=2)],
        [_head(c.label) for c in T3_COLUMNS[1:-1]],
    ]
    result = [r for r in rows if r.group]  # every row under "三、本年度办理结果"
    subgroups: dict[str, int] = {}
    for r in result:
        if r.group != _G3:
            subgroups[r.group] = subgroups.get(r.group, 0) + 1
    seen: set[str] = set()
    for r in rows:
        cells = [_key(f"t3.{r.key}.{c.key}") for c in T3_COLUMNS]
        label = r.label.replace("(", "（").replace(")", "）")
        if not r.group:
            grid.append([_label(label, colspan=3)] + cells)
            continue
        lead = []
        if _G3 not in seen:
            seen.add(_G3)
            lead.append(_label(_G3, rowspan=len(result)))
        if r.group == _G3:
            grid.append(lead + [_label(label, colspan=2)] + cells)
            continue
        if r.group not in seen:
            seen.add(r.group)
            lead.append(_label(r.group.replace("(", "（").replace(")", "）"), rowspan=subgroups[r.group]))
        grid.append(lead + [_label(label)] + cells)
    return grid


def table4() -> list[list[dict]]:
    n = len(T4_COLUMNS)
    grid = [
        [_head("行政复议", colspan=n), _head("行政诉讼", colspan=2 * n)],
        [_head(c.label, rowspan=2) for c in T4_COLUMNS] + [_head(g.label.split("·")[-1], colspan=n) for g in T4_GROUPS[1:]],
        [_head(c.label) for _ in T4_GROUPS[1:] for c in T4_COLUMNS],
        [_key(f"t4.{g.key}.{c.key}") for g in T4_GROUPS for c in T4_COLUMNS],
    ]
    return grid


def value_text(cell: Cell) -> str:
    value = cell.value
    if value is None:
        return ""
    text = str(value) if isinstance(value, int) else format(value, "f")
    return text + (cell.unit or "")


def cell_view(key: str, cell: Cell | None, flags: dict[str, str], corrections: dict[str, dict]) -> dict:
    """How one cell is shown: text, CSS classes, tooltip (label, raw text, where it came from)."""
    label = forms.label_of(key)
    if cell is None or cell.state is State.missing:
        return {"key": key, "text": "缺", "cls": "missing " + flags.get(key, ""), "title": f"{label}\n原文中没有这一格",
                "line": None}
    state = cell.state
    text = value_text(cell) if state is State.number else ("" if state is State.blank else cell.raw or "?")
    where = cell.where
    place = []
    if where is not None:
        place = [f"第{where.line}行" if where.line else "", f"第{where.page}页" if where.page else "",
                 f"源表格{where.table + 1}第{where.row + 1}行第{where.col + 1}列"
                 if where.table is not None and where.row is not None and where.col is not None else ""]
    tip = [label, f"状态：{STATE_ZH[state]}", f"原文：“{cell.raw}”" if cell.raw else "原文：（空白）",
           "来源：" + ("，".join(p for p in place if p) or "未记录") + f"（{ORIGIN_ZH[cell.origin]}）"]
    if key in corrections:
        c = corrections[key]
        tip.append(f"原值 {c['old_value'] if c['old_value'] is not None else '（空白）'}，{c['who']} 于 {c['at']:%Y-%m-%d %H:%M} 更正")
    classes = [state.value, cell.origin.value, flags.get(key, "")]
    return {"key": key, "text": text, "cls": " ".join(c for c in classes if c), "title": "\n".join(tip),
            "line": where.line if where else None,
            "src": f"T{where.table}-{where.row}-{where.col}" if where and where.table is not None and where.row is not None
            and where.col is not None else None}
