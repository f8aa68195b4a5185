"""Record → derived figures: the one definition of the sums and rates every view shows (docs/codebook.md).

``figures_row(record)`` reduces a report to the sums the rates need (kept beside the cells in the
corpus's ``figures`` table); ``MEASURES`` declares each rate once (公开率 = (予以公开 + 部分公开) / 总计 …).
``rate(measure, row)`` computes one for a single report; the corpus pools the same declaration over many
reports (Σ numerator / Σ denominator, ``corpus/stats.py``) and counts the reports a figure leaves out.

A blank is not a zero. A figure is a number only when the report gives it, or when the tables' identities
give it from what the report does write (then its name is listed in ``derived``):
- a row's 总计 left blank is the sum of the row's applicant columns when at least one of them is a number;
- a blank applicant column is 0 when the row's 总计 equals the sum of the other columns;
- a wholly blank row of table 3 is 0, and a row sum that took blank columns as 0 stands, only when table 3
  then adds up: the result rows make (七)总计 and 新收 + 上年结转 = 总计 + 结转下年度;
- a wholly blank group of table 4 (no reviews, no suits) is 0 only when its 总计 is written as 0.
Anything else blank, missing or unreadable makes the figure unknown (None), never 0. Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from .forms import T3_ROW_KEYS, T4_COLUMNS, t3_result_rows
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

# What each figure is, for the codebook (docs/codebook.md).
FIGURE_SOURCES = {
    "new": "t3.new.total 本年新收申请·总计",
    "carried_in": "t3.carried_in.total 上年结转申请·总计",
    "granted": "t3.granted.total 予以公开·总计",
    "partial": "t3.partial.total 部分公开·总计",
    "denied": "Σ t3.denied.*.total 不予公开各项·总计",
    "unable": "Σ t3.unable.*.total 无法提供各项·总计",
    "rejected": "Σ t3.rejected.*.total 不予处理各项·总计",
    "other": "t3.other.total（2019）或 Σ t3.other.*.total（2021）其他处理·总计",
    "total": "t3.total.total 办理结果·总计",
    "carried_out": "t3.carried_out.total 结转下年度继续办理·总计",
    "new_natural": "t3.new.natural 本年新收申请·自然人",
    "review_corrected": "t4.review.corrected 行政复议·结果纠正",
    "review_total": "t4.review.total 行政复议·总计",
    "suit_corrected": "t4.suit_direct.corrected + t4.suit_after.corrected 行政诉讼·结果纠正",
    "suit_total": "t4.suit_direct.total + t4.suit_after.total 行政诉讼·总计",
}
_GROUPS = ("denied", "unable", "rejected", "other")  # t3.denied.state_secret.total …, or t3.other.total (2019)
T4_COLUMN_KEYS = tuple(c.key for c in T4_COLUMNS)  # upheld, corrected, other, pending, total


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
LEFT_OUT = "__left_out"  # suffix of a pooled figure's count of the reports it leaves out (operand unknown)


_BLANK = "blank"  # a wholly blank row, decided by the table identities
_KNOWN_STATES = (State.blank, State.not_applicable)


class _Reading:
    """The figures of one report: each row's total (and the applicant columns the rates need), blank-aware."""

    def __init__(self, record: Record):
        self.cells = record.cells
        self.derived: set[str] = set()
        self.tentative: set[str] = set()  # sums that took blank columns as 0: settled by table 3's identities

    def value(self, key: str) -> float | str | None:
        """A cell: its number, _BLANK for blank / 不适用, None when missing or unreadable."""
        cell = self.cells.get(key)
        if cell is None or cell.state in (State.missing, State.unreadable):
            return None
        if cell.state is State.number and cell.value is not None:
            return float(cell.value)
        return _BLANK if cell.state in _KNOWN_STATES else None

    def row(self, keys: tuple[str, ...], name: str) -> tuple[float | str | None, list[float | None]]:
        """(total, columns) of a row whose last key is its 总计: each a number, _BLANK (all blank) or None."""
        *parts, total_key = keys
        total, columns = self.value(total_key), [self.value(k) for k in parts]
        numbers = [c for c in columns if isinstance(c, float)]
        if any(c is None for c in columns):
            return (total if isinstance(total, float) else None), [c if isinstance(c, float) else None for c in columns]
        if isinstance(total, float):
            if _BLANK in columns and sum(numbers) == total:
                self.derived.add(name)
                return total, [c if isinstance(c, float) else 0.0 for c in columns]
            return total, [c if isinstance(c, float) else None for c in columns]
        if numbers:  # 总计 blank or unreadable, the columns written: their sum
            self.derived.add(name)
            if _BLANK in columns:  # some columns blank too: the sum holds only if table 3 balances with it
                self.tentative.add(name)
            return sum(numbers), [c if isinstance(c, float) else 0.0 for c in columns]
        return (_BLANK if total == _BLANK else None), [None] * len(columns)


def figures_row(record: Record) -> dict[str, float | str | None]:
    """The figures of one report, by the names of ``FIGURES``, and ``derived``: the figures the identities gave."""
    r = _Reading(record)
    template = record.meta.template or ("2021" if any(k.startswith("t3.other.") for k in record.cells) else "2019")
    row: dict[str, float | str | None] = {}
    totals: dict[str, float | str | None] = {}
    for key in ("new", "carried_in", "total", "carried_out", *t3_result_rows(template, record.cells)):
        if key not in T3_ROW_KEYS:
            continue
        totals[key], columns = r.row(T3_ROW_KEYS[key], key)
        if key == "new":
            row["new_natural"] = columns[0] if totals[key] != _BLANK else _BLANK
    results = [k for k in totals if k not in ("new", "carried_in", "total", "carried_out")]
    _settle_blank_rows(r, totals, results)
    for name in ("new", "carried_in", "granted", "partial", "total", "carried_out"):
        row[name] = totals.get(name)
    for name in _GROUPS:
        row[name] = _group(r, [totals[k] for k in results if k == name or k.startswith(name + ".")], name)
    if row.get("new_natural") == _BLANK or row["new"] is None:
        row["new_natural"] = 0.0 if row["new"] == 0.0 else None
    for group in ("review", "suit_direct", "suit_after"):
        total, columns = r.row(tuple(f"t4.{group}.{c}" for c in T4_COLUMN_KEYS), group)
        if total == _BLANK:
            total, columns = None, [None] * len(columns)
        totals[group], totals[group + ".corrected"] = total, columns[1]
    row["review_corrected"], row["review_total"] = totals["review.corrected"], totals["review"]
    row["suit_corrected"] = _add(totals["suit_direct.corrected"], totals["suit_after.corrected"])
    row["suit_total"] = _add(totals["suit_direct"], totals["suit_after"])
    out = {name: (v if isinstance(v, float) else None) for name, v in ((n, row.get(n)) for n in FIGURES)}
    return out | {"derived": " ".join(sorted(r.derived)) or None}


def _settle_blank_rows(r: _Reading, totals: dict[str, float | str | None], results: list[str]) -> None:
    """Wholly blank rows of table 3 are 0 when the identities hold with them as 0; else unknown."""
    blank = [k for k, v in totals.items() if v == _BLANK or k in r.tentative]
    if not blank:
        return
    trial = {k: (0.0 if v == _BLANK else v) for k, v in totals.items()}
    known = all(isinstance(v, float) for v in trial.values())
    balance = trial.get("new", 0.0), trial.get("carried_in", 0.0), trial.get("total"), trial.get("carried_out", 0.0)
    holds = known and sum(trial[k] for k in results) == trial["total"]  # type: ignore[misc]
    if holds and all(isinstance(v, float) for v in balance):
        holds = balance[0] + balance[1] == balance[2] + balance[3]  # type: ignore[operator]
    for k in blank:
        if holds:
            totals[k] = 0.0 if totals[k] == _BLANK else totals[k]
            r.derived.add(k)
        else:
            totals[k] = None
            r.derived.discard(k)


def _group(r: _Reading, values: list[float | str | None], name: str) -> float | None:
    if not values or any(not isinstance(v, float) for v in values):
        return None
    return sum(v for v in values if isinstance(v, float))


def _add(a: float | str | None, b: float | str | None) -> float | None:
    return a + b if isinstance(a, float) and isinstance(b, float) else None


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
