"""A record's readable numbers → findings of the four table identities (``rules.IDENTITIES``), judged at once.

The identities are expanded into a plan of cell-key sums once per kind of report (its format and the
table-3 rows it has, ``forms.t3_rows``) and cached. An identity with a blank, missing or unreadable
operand is not judged; the skip is reported once per rule as ``info`` so a reviewer knows what was not checked.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache
from operator import itemgetter, ne

from . import forms
from .model import Finding, Record, Severity, State
from .rules import IDENTITIES, checked_subject, finding

_NUMBER = State.number


def format_number(x) -> str:
    """A number as a reviewer reads it: no trailing zeros on an amount."""
    return format(x, "f").rstrip("0").rstrip(".") if isinstance(x, Decimal) else str(x)


class _Skips:
    """Collects identities that could not be judged, reported once per rule.

    Per rule, an insertion-ordered dict serves as an ordered set of keys, so adding stays linear."""

    def __init__(self) -> None:
        self.keys: dict[str, dict[str, None]] = {}

    def add(self, rule: str, keys: Iterable[str]) -> None:
        self.keys.setdefault(rule, {}).update(dict.fromkeys(keys))

    def findings(self) -> list[Finding]:
        return [
            finding(
                rule,
                list(keys),
                f"{checked_subject(rule)}：因 {len(keys)} 个单元格空白、缺失或无法识别，未能核对",
                message_en="identity not checked: blank or missing operands",
                severity=Severity.info,
            )
            for rule, keys in self.keys.items()
        ]


@dataclass(frozen=True, slots=True)
class _Sum:
    """One identity expanded to cell keys: ``sum(left) == sum(right)``, with the texts of its finding."""

    rule: str
    left: tuple[str, ...]
    right: tuple[str, ...]
    left_label: str
    right_label: str
    where: str  # "表三“自然人”列" …
    only_if_any: tuple[str, ...] = ()  # judged only when one of these cells is present (a table-3 row the report has)
    # Fetches the values of left + right from a dict in one C call (a tuple: there are always >= 2 operands);
    # KeyError when one is not a readable number.
    operands: Callable[[dict], tuple] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "operands", itemgetter(*self.left, *self.right))

    @property
    def keys(self) -> tuple[str, ...]:
        return self.left + self.right


def _mismatch(s: _Sum, a, b) -> Finding:
    left, right, gap = format_number(a), format_number(b), format_number(abs(a - b))
    return finding(
        s.rule,
        list(s.keys),
        f"{s.where}：{s.left_label} = {left}，{s.right_label} = {right}，相差 {gap}",
        expected=left,
        found=right,
        message_en=f"{s.where}: {' + '.join(s.left)} = {left} but {' + '.join(s.right)} = {right}",
    )


# Every canonical key, mapped to the very string object ``forms.keys`` holds. Extraction builds a record's
# cells from those objects, so a key taken from here finds its cell by identity: the dict lookup never reads
# the strings, which after extraction are mostly out of the CPU cache. Other records just compare as usual.
_CANONICAL = {k: k for t in forms.TEMPLATES for k in forms.keys(t)}


def _canonical(keys: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(_CANONICAL.get(k, k) for k in keys)


_ROW_KEYS = {t: tuple(r.key for r in forms.T3_ROWS[t]) for t in forms.TEMPLATES}


@dataclass(frozen=True, slots=True)
class _Plan:
    """The identities of one kind of report, and how to judge them all at once when every operand is a number."""

    sums: tuple[_Sum, ...]
    operands: Callable[[dict], tuple]  # the operands of every identity, side after side, in one C call
    lefts: tuple[slice, ...]  # where each identity's left side lies among those operands
    rights: tuple[slice, ...]


@lru_cache(maxsize=64)
def _plan(rows: tuple[str, ...], results: tuple[str, ...]) -> _Plan:
    """Every identity of a report with these table-3 rows and result rows, in the order they are reported.

    Expanding the key templates and labels is the same for every report of a kind, so it is done once."""
    plan = []
    for identity in IDENTITIES:
        for x in identity.along(rows):
            left, right = map(_canonical, identity.expand(x, results))
            plan.append(
                _Sum(
                    identity.rule,
                    left,
                    right,
                    identity.left_label,
                    identity.right_label,
                    identity.where(x),
                    only_if_any=right if identity.axis == "t3.row" else (),
                )
            )
    keys: list[str] = []
    lefts, rights = [], []
    for s in plan:
        lefts.append(slice(len(keys), len(keys) + len(s.left)))
        keys += s.left
        rights.append(slice(len(keys), len(keys) + len(s.right)))
        keys += s.right
    return _Plan(tuple(plan), itemgetter(*keys), tuple(lefts), tuple(rights))


def judge(record: Record, numbers: Mapping[str, int | Decimal], rows: tuple[forms.Row, ...]) -> list[Finding]:
    """The identity findings of ``record``, whose readable numbers by key are ``numbers`` and whose table 3 has
    ``rows`` (``forms.t3_rows``)."""
    template = record.meta.template or "2021"
    if rows is forms.T3_ROWS[template]:  # most reports: the format's own rows, whose plan is known by the format
        plan = _plan(_ROW_KEYS[template], forms.T3_RESULT_ROWS[template])
    else:
        plan = _plan(tuple(r.key for r in rows), forms.result_rows(rows))
    try:
        values = plan.operands(numbers)
    except KeyError:
        return _judge_one_by_one(record, numbers, plan.sums)
    # Every operand is a readable number, as in most reports: every identity is judged, and both sides of
    # all of them are summed in C, slice by slice; Python only looks at the identities that do not hold.
    left_sums = list(map(sum, map(values.__getitem__, plan.lefts)))
    right_sums = list(map(sum, map(values.__getitem__, plan.rights)))
    if not any(map(ne, left_sums, right_sums)):
        return []
    return [_mismatch(s, a, b) for s, a, b in zip(plan.sums, left_sums, right_sums) if a != b]


def _judge_one_by_one(record: Record, numbers: Mapping[str, int | Decimal], sums: tuple[_Sum, ...]) -> list[Finding]:
    """An identity with an operand that is not a readable number is not judged; the skip is noted."""
    cells = record.cells
    present = cells.keys()
    out: list[Finding] = []
    skips = _Skips()
    for s in sums:
        if s.only_if_any and present.isdisjoint(s.only_if_any):
            continue
        try:
            values = s.operands(numbers)
        except KeyError:
            if operands := [k for k in s.keys if k in cells]:
                skips.add(s.rule, [k for k in operands if cells[k].state is not _NUMBER])
            continue
        split = len(s.left)
        a, b = sum(values[:split]), sum(values[split:])
        if a != b:
            out.append(_mismatch(s, a, b))
    return out + skips.findings()
