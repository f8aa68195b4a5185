"""Record → derived figures: the one definition of the sums and rates every view shows (docs/codebook.md).

``figures_row(record)`` reduces a report to the sums the rates need (kept beside the cells in the
corpus's ``figures`` table); ``MEASURES`` declares each rate once (公开率 = (予以公开 + 部分公开) / 总计 …).
``rate(measure, row)`` computes one for a single report; the corpus pools the same declaration over many
reports (Σ numerator / Σ denominator, ``corpus/stats.py``) and counts the reports a figure leaves out.

A blank is not a zero. A figure is a number only when the report gives it, or when the tables' identities
leave it exactly one value (then its row is listed in ``derived``); counts are never negative:
- a row's 总计 not written is the sum of its applicant columns when every column is a number;
- applicant columns not written are 0 when the row's 总计 equals the sum of the others, and the one
  column not written is the difference;
- a row of table 3 not known is fixed by T3-TOTAL (the result rows make (七)总计) or T3-BALANCE
  (新收 + 上年结转 = 总计 + 结转下年度) when it is the only unknown there, or when the unknowns must all
  be as small as they can be (their written columns; 0 for a wholly blank row).
Anything else blank, 不适用, missing or unreadable leaves the figure unknown (None), never 0. Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from .forms import T3_ROW_KEYS, T4_COLUMNS, T4_GROUPS, t3_result_rows
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
T4_GROUP_KEYS = tuple(g.key for g in T4_GROUPS)  # review, suit_direct, suit_after


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


@dataclass(slots=True)
class _Row:
    """One table row: its 总计 when known, else the least it can be (counts are never negative), and its
    applicant columns (None where unknown)."""

    total: float | None
    floor: float
    columns: list[float | None]
    written: float  # Σ of the columns written as numbers


def _cell(cells: Mapping, key: str) -> float | None:
    cell = cells.get(key)
    if cell is None or cell.state is not State.number or cell.value is None:
        return None  # blank, 不适用, missing, unreadable: not a number, whatever it is read as elsewhere
    return float(cell.value)


def _read_row(cells: Mapping, keys: tuple[str, ...], name: str, derived: set[str]) -> _Row:
    """A row whose last key is its 总计. A blank total is the sum of the columns only when every column is a
    number; blank columns are 0 only when the total equals the sum of the others (none can be negative)."""
    *parts, total_key = keys
    total, columns = _cell(cells, total_key), [_cell(cells, k) for k in parts]
    written = sum(c for c in columns if c is not None)
    if total is None and None not in columns:
        derived.add(name)
        total = written
    if total is not None and None in columns and written == total:
        columns = [0.0 if c is None else c for c in columns]
        derived.add(name)
    elif total is not None and columns.count(None) == 1 and total > written:
        columns = [total - written if c is None else c for c in columns]
        derived.add(name)
    return _Row(total, written, columns, written)


def _solve(rows: dict[str, _Row], left: list[str], right: list[str], derived: set[str]) -> bool:
    """Σ left = Σ right: an unknown total is fixed when the identity leaves it one value (the only unknown,
    or every unknown at its floor). True when something was fixed."""
    present = [k for k in left + right if k in rows]
    unknown = [k for k in present if rows[k].total is None]
    if not unknown or (any(k in left for k in unknown) and any(k in right for k in unknown)):
        return False
    side, other = (left, right) if unknown[0] in left else (right, left)
    known_same = sum(rows[k].total or 0.0 for k in side if k in rows and k not in unknown)
    rest = sum(rows[k].total or 0.0 for k in other if k in rows) - known_same
    floors = sum(rows[k].floor for k in unknown)
    if len(unknown) == 1 and rest >= floors:
        values = {unknown[0]: rest}
    elif rest == floors:
        values = {k: rows[k].floor for k in unknown}
    else:
        return False
    for k, v in values.items():
        row = rows[k]
        row.total = v
        if v == row.written:  # the columns not written are 0
            row.columns = [0.0 if c is None else c for c in row.columns]
        derived.add(k)
    return True


def figures_row(record: Record) -> dict[str, float | str | None]:
    """The figures of one report, by the names of ``FIGURES``, and ``derived``: the figures the identities gave."""
    cells, derived = record.cells, set[str]()
    template = record.meta.template or ("2021" if any(k.startswith("t3.other.") for k in cells) else "2019")
    results = [k for k in t3_result_rows(template, cells) if k in T3_ROW_KEYS]
    rows = {k: _read_row(cells, T3_ROW_KEYS[k], k, derived) for k in ("new", "carried_in", "total", "carried_out")}
    rows |= {k: _read_row(cells, T3_ROW_KEYS[k], k, derived) for k in results}
    for _ in range(3):  # T3-TOTAL and T3-BALANCE, until neither fixes more
        fixed = _solve(rows, ["total"], results, derived)
        if not (_solve(rows, ["new", "carried_in"], ["total", "carried_out"], derived) or fixed):
            break
    row: dict[str, float | None] = {k: rows[k].total for k in ("new", "carried_in", "granted", "partial", "total")}
    row["carried_out"] = rows["carried_out"].total
    for name in _GROUPS:
        parts = [rows[k].total for k in results if k == name or k.startswith(name + ".")]
        row[name] = sum(p for p in parts if p is not None) if parts and None not in parts else None
    row["new_natural"] = rows["new"].columns[0]
    t4 = {g: _read_row(cells, tuple(f"t4.{g}.{c}" for c in T4_COLUMN_KEYS), g, derived) for g in T4_GROUP_KEYS}
    row["review_corrected"], row["review_total"] = t4["review"].columns[1], t4["review"].total
    row["suit_corrected"] = _add(t4["suit_direct"].columns[1], t4["suit_after"].columns[1])
    row["suit_total"] = _add(t4["suit_direct"].total, t4["suit_after"].total)
    out: dict[str, float | str | None] = {name: row.get(name) for name in FIGURES}
    return out | {"derived": " ".join(sorted(derived)) or None}


def _add(a: float | None, b: float | None) -> float | None:
    return a + b if a is not None and b is not None else None


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
