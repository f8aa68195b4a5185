"""Last year's record (or any record) → the values a new report starts from, each with where it came from.

Issue #11 item 1. From the organ's previous report, only what the rules carry over (spec §6):
上年结转 = last year's 结转下年度继续办理 (XYEAR-CARRY); in the 2021 format 现行有效件数 starts from last
year's (XYEAR-IN-FORCE); in the 2019 format 上一年项目数量 = last year's 上一年项目数量 + 本年增/减
(XYEAR-ITEMS). ``from_record`` takes every cell of a record instead (``ogi template --from``). Pure.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from .. import forms
from ..model import Record, State, Template

_ITEM_ROWS = ("licensing", "other_services", "penalty", "coercion", "fees")  # 2019: rows with 上一年项目数量


@dataclass(frozen=True, slots=True)
class Prefill:
    """A value put in a cell before the writer types, and the note that says where it came from."""

    value: int | Decimal | None
    note: str


def _number(record: Record, key: str) -> int | Decimal | None:
    cell = record.cells.get(key)
    return cell.value if cell is not None and cell.state is State.number else None


def carried_forward(previous: Record, template: Template) -> dict[str, Prefill]:
    """The cells of the next year's report that ``previous`` (the same organ, one year earlier) determines."""
    year = previous.meta.year
    source = f"{year}年度报告" if year else "上年度报告"
    out: dict[str, Prefill] = {}
    for column in forms.T3_COLUMNS:
        value = _number(previous, f"t3.carried_out.{column.key}")
        if value is not None:
            note = f"取自{source}表三“结转下年度继续办理”·{column.label}（{value}）"
            out[f"t3.carried_in.{column.key}"] = Prefill(value, note)
    if template == "2021":
        for row in ("rules", "normative"):
            value = _number(previous, f"t2.{row}.in_force")
            if value is not None:
                note = f"{source}现行有效件数为 {value}，作为起点：请加本年制发件数、减本年废止件数"
                out[f"t2.{row}.in_force"] = Prefill(value, note)
    elif previous.meta.template == "2019":
        for row in _ITEM_ROWS:
            prev, change = _number(previous, f"t2.{row}.prev"), _number(previous, f"t2.{row}.change")
            if prev is not None:
                value = prev + (change or 0)
                note = f"{source}上一年项目数量 {prev} + 本年增/减 {change or 0} = {value}"
                out[f"t2.{row}.prev"] = Prefill(value, note)
    return out


def from_record(record: Record, name: str) -> dict[str, Prefill]:
    """Every cell of ``record`` as it stands (a blank stays blank), noted as taken from the file ``name``."""
    out = {}
    for key, cell in record.cells.items():
        if cell.state is State.missing:
            continue
        shown = cell.raw or ("" if cell.value is None else str(cell.value))
        out[key] = Prefill(cell.value, f"取自 {name}（原文：{shown or '空白'}）")
    return out
