"""Record → derived figures (spec §6): the one definition of the sums and rates every view shows.

``figures_row(record)`` reduces a report to the sums the rates need (kept beside the cells in the
corpus's ``figures`` table); ``MEASURES`` declares each rate once (公开率 = (予以公开 + 部分公开) / 总计 …).
``rate(measure, row)`` computes one for a single report; the corpus pools the same declaration over many
reports (Σ numerator / Σ denominator, ``corpus/stats.py``). A blank or 不适用 cell counts as 0 (as
reviewers read it); a missing or unreadable one makes the figure unknown. Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from .model import Record, State

# The sums the rates need, one row per report (order = the columns of the corpus's ``figures`` table).
FIGURES = (
    "new",
    "carried_in",
    "granted",
    "partial",
    "denied",
    "unable",
    "rejected",
    "other",
    "total",
    "carried_out",
    "new_natural",
    "review_corrected",
    "review_total",
    "suit_corrected",
    "suit_total",
)

_SINGLE = {
    "new": "t3.new.total",
    "carried_in": "t3.carried_in.total",
    "granted": "t3.granted.total",
    "partial": "t3.partial.total",
    "total": "t3.total.total",
    "carried_out": "t3.carried_out.total",
    "new_natural": "t3.new.natural",
    "review_corrected": "t4.review.corrected",
    "review_total": "t4.review.total",
}
_GROUPS = ("denied", "unable", "rejected", "other")  # t3.denied.state_secret.total …, or t3.other.total (2019)
_SUITS = {"suit_corrected": "corrected", "suit_total": "total"}


@dataclass(frozen=True, slots=True)
class Measure:
    """A derived figure: Σ plus − Σ minus, divided by Σ over when it is a rate."""

    name: str
    label: str
    plus: tuple[str, ...]  # figures added in the numerator
    minus: tuple[str, ...] = ()
    over: tuple[str, ...] = ()  # denominator; empty: a count, not a rate
    complement: bool = False  # 1 − numerator/denominator


MEASURES = (
    Measure("handled", "办理申请数(新收+上年结转)", ("new", "carried_in")),
    Measure("open_rate", "公开率", ("granted", "partial"), over=("total",)),
    Measure("denied_share", "不予公开占比", ("denied",), over=("total",)),
    Measure("unable_share", "无法提供占比", ("unable",), over=("total",)),
    Measure("rejected_share", "不予处理占比", ("rejected",), over=("total",)),
    Measure("review_correction", "复议纠错率", ("review_corrected",), over=("review_total",)),
    Measure("suit_correction", "诉讼纠错率", ("suit_corrected",), over=("suit_total",)),
    Measure("legal_share", "法人申请占比", ("new_natural",), over=("new",), complement=True),
)
MEASURE = {m.name: m for m in MEASURES}


def _as_number(record: Record, key: str) -> float | None:
    cell = record.cells.get(key)
    if cell is None or cell.state in (State.missing, State.unreadable):
        return None
    return float(cell.value) if cell.state is State.number and cell.value is not None else 0.0


def _sum(values: list[float | None]) -> float | None:
    known = [v for v in values if v is not None]
    return sum(known) if known else None


def figures_row(record: Record) -> dict[str, float | None]:
    """The figures of one report, by the names of ``FIGURES``."""
    row: dict[str, float | None] = {name: _as_number(record, key) for name, key in _SINGLE.items()}
    for name in _GROUPS:
        prefix = f"t3.{name}."
        row[name] = _sum([_as_number(record, k) for k in record.cells if k.startswith(prefix) and k.endswith(".total")])
    for name, col in _SUITS.items():
        row[name] = _sum([_as_number(record, f"t4.{g}.{col}") for g in ("suit_direct", "suit_after")])
    return {name: row[name] for name in FIGURES}


def ratio(measure: Measure, numerator: float | None, denominator: float | None) -> float | None:
    """A rate from its (pooled) numerator and denominator, rounded to 4 places; None when not defined."""
    if numerator is None or not denominator:
        return None
    share = numerator / denominator
    return round(1 - share if measure.complement else share, 4)


def rate(measure: Measure | str, row: Mapping[str, float | None]) -> float | None:
    """One report's (or one pooled row's) value of a measure; None when an operand is unknown."""
    m = MEASURE[measure] if isinstance(measure, str) else measure
    operands = [row.get(c) for c in m.plus + m.minus + m.over]
    if any(v is None for v in operands):
        return None
    numerator = sum(row[c] or 0.0 for c in m.plus) - sum(row[c] or 0.0 for c in m.minus)
    if not m.over:
        return numerator
    return ratio(m, numerator, sum(row[c] or 0.0 for c in m.over))
