"""Record → the three statutory tables of the report page (spec §4), and how each cell is shown.

``grids`` takes the official grids (``ogi.grid``: merged as in the forms, table 3's "三、本年度办理结果"
over its 20 or 22 rows, table 4's 行政诉讼 over ten columns) with their texts as the page prints them;
``cell_view`` says how one cell is shown: a blank stays blank, never 0.
"""

from __future__ import annotations

from dataclasses import replace

from .. import forms, grid
from ..grid import GridCell
from ..model import STATE_ZH, Cell, Origin, Record, State

ORIGIN_ZH = {
    Origin.source: "原文",
    Origin.inferred: "按勾稽关系推算",
    Origin.ocr: "OCR 识别",
    Origin.corrected: "人工更正",
}


def grids(record: Record) -> dict[str, tuple[tuple[GridCell, ...], ...]]:
    """The report's three tables as the page shows them: ``t2``/``t3``/``t4`` rows of grid cells, every row
    of the format (a missing one shows 缺), texts on one line in the official full-width punctuation."""
    return {
        f"t{number}": tuple(
            tuple(replace(c, text=grid.one_line(c.text).translate(grid.FULLWIDTH)) for c in row) for row in table.rows
        )
        for number, table in grid.of_record(record).items()
    }


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
        return {
            "key": key,
            "text": "缺",
            "cls": "missing " + flags.get(key, ""),
            "title": f"{label}\n原文中没有这一格",
            "line": None,
        }
    state = cell.state
    if state is State.number:
        text = value_text(cell)
    elif state is State.blank:
        text = ""
    elif cell.candidates:
        # A glued run left unread shows as a question, not as its digits (which would read as a number).
        text = "？"
    else:
        text = cell.raw or "?"
    where = cell.where
    place = []
    if where is not None:
        place = [
            f"第{where.line}行" if where.line else "",
            f"第{where.page}页" if where.page else "",
            f"源表格{where.table + 1}第{where.row + 1}行第{where.col + 1}列"
            if where.table is not None and where.row is not None and where.col is not None
            else "",
        ]
    tip = [
        label,
        f"状态：{STATE_ZH[state]}",
        f"原文：“{cell.raw}”" if cell.raw else "原文：（空白）",
        *(["可能的读数：" + "、".join(str(c) for c in cell.candidates)] if cell.candidates else []),
        "来源：" + ("，".join(p for p in place if p) or "未记录") + f"（{ORIGIN_ZH[cell.origin]}）",
    ]
    if key in corrections:
        c = corrections[key]
        tip.append(
            f"原值 {c['old_value'] if c['old_value'] is not None else '（空白）'}，{c['who']} 于 {c['at']:%Y-%m-%d %H:%M} 更正"  # noqa: E501 - one message / one line of markup
        )
    classes = [state.value, cell.origin.value, "candidates" if cell.candidates else "", flags.get(key, "")]
    return {
        "key": key,
        "text": text,
        "cls": " ".join(c for c in classes if c),
        "title": "\n".join(tip),
        "line": where.line if where else None,
        "src": f"T{where.table}-{where.row}-{where.col}"
        if where and where.table is not None and where.row is not None and where.col is not None
        else None,
    }
