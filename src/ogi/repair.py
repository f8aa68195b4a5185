"""Damaged text → the only numbers it admits, or nothing (spec §7; issue #3 item 5).

Crawlers drop cell separators ("行政规范性文件8855698" for 88 | 55 | 698) and PDF-to-markdown converters
detach value rows from their labels. The tables' identities (T3-COLUMNS, T4-TOTAL, T3-BALANCE,
T3-TOTAL) often leave exactly one reading; these pure functions find it, or return None when two or
more readings survive — a wrong number is worse than a gap. Whatever they recover is ``Origin.inferred``.

    split_row(label, "3000003", 7, T3_ROW)         -> (3, 0, 0, 0, 0, 0, 3)
    split_row(label, "8855698", 3)                 -> None  (88|55|698, 8|855|698, … all fit)
    solve_table([(label, run), ...], 7, T3_ROW, t3_identities(keys)) -> one tuple or None per row
    place_rows(n_labels, value_rows, check)        -> label index → value row, if only one placement fits
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from itertools import combinations

from . import forms
from .rules import IDENTITIES, IDENTITY_BY_RULE

Number = int | Decimal
Values = tuple[Number, ...]

BUDGET = 200_000  # search steps before giving up: an undecidable run must cost milliseconds, not minutes
MAX_DIGITS = 9  # no count in these tables has ten digits


@dataclass(frozen=True, slots=True)
class RowIdentity:
    """Within one row: ``values[total] == sum(values[p] for p in parts)``."""

    total: int
    parts: tuple[int, ...]

    def holds(self, values: Sequence[Number]) -> bool:
        return values[self.total] == sum(values[p] for p in self.parts)

    @property
    def last(self) -> int:
        return max(self.total, *self.parts)


@dataclass(frozen=True, slots=True)
class ColumnIdentity:
    """Across rows, for every column: ``sum(rows[left]) == sum(rows[right])`` (row indices)."""

    left: tuple[int, ...]
    right: tuple[int, ...]

    @property
    def rows(self) -> tuple[int, ...]:
        return self.left + self.right

    def holds(self, rows: dict[int, Values]) -> bool:
        width = len(rows[self.left[0]])
        return all(sum(rows[r][c] for r in self.left) == sum(rows[r][c] for r in self.right) for c in range(width))


def _within_rows(rule: str, row_keys: Sequence[str]) -> tuple[RowIdentity, ...]:
    """The instances of ``rule`` that lie within one row whose cells are ``row_keys``, as positions in it."""
    identity = IDENTITY_BY_RULE[rule]
    out = []
    for x in identity.along(("{row}",)):
        (total,), parts = identity.expand(x)
        out.append(RowIdentity(row_keys.index(total), tuple(row_keys.index(k) for k in parts)))
    return tuple(out)


T3_ROW = _within_rows("T3-COLUMNS", tuple(f"t3.{{row}}.{c.key}" for c in forms.T3_COLUMNS))  # 总计 = the six applicants
T4_ROW = _within_rows("T4-TOTAL", forms.T4_KEYS)  # 总计 per group, along the 15 cells of table 4
_RESULT_ROWS = frozenset(forms.T3_RESULT_ROWS["2019"]) | frozenset(forms.T3_RESULT_ROWS["2021"])
_COLUMN = "*"  # any one column: the column identities hold column by column


def t3_identities(keys: Sequence[str]) -> list[ColumnIdentity]:
    """T3-BALANCE and T3-TOTAL over the table-3 rows present, given their row keys in order."""
    index = {k: i for i, k in enumerate(keys)}
    results = [k for k in keys if k in _RESULT_ROWS]
    out = []
    for identity in IDENTITIES:
        if identity.axis != "t3.column":
            continue
        left, right = (tuple(_row_of(k) for k in side) for side in identity.expand(_COLUMN, results))
        if right and all(r in index for r in left + right):
            out.append(ColumnIdentity(tuple(index[r] for r in left), tuple(index[r] for r in right)))
    return out


def _row_of(key: str) -> str:
    """ "t3.denied.state_secret.*" → "denied.state_secret"."""
    return key[len("t3.") : -len(_COLUMN) - 1]


_INTEGER = re.compile(r"-?(?:0|[1-9]\d*)")
_DECIMAL = re.compile(r"-?(?:0|[1-9]\d*)(?:\.\d{1,4})?")


def _numeral(piece: str, column: int, money: frozenset[int], signed: frozenset[int]) -> Number | None:
    """A piece as a number, if someone could have written it in that column ("05" is nobody's)."""
    if len(piece.lstrip("-")) > MAX_DIGITS + 5 or (piece.startswith("-") and column not in signed):
        return None
    if column in money and _DECIMAL.fullmatch(piece):
        return Decimal(piece) if "." in piece else int(piece)
    if _INTEGER.fullmatch(piece) and len(piece.lstrip("-")) <= MAX_DIGITS:
        return int(piece)
    return None


def splits(
    run: str,
    columns: int,
    identities: Sequence[RowIdentity] = (),
    *,
    money: Sequence[int] = (),
    signed: Sequence[int] = (),
    budget: list[int] | None = None,
) -> Iterator[Values]:
    """Every reading of a separator-less run as ``columns`` numbers that satisfies the row identities."""
    budget = budget if budget is not None else [BUDGET]
    money_set, signed_set = frozenset(money), frozenset(signed)
    due: dict[int, list[RowIdentity]] = {}
    for identity in identities:
        due.setdefault(identity.last, []).append(identity)
    values: list[Number] = []

    def walk(start: int) -> Iterator[Values]:
        column = len(values)
        if column == columns:
            if start == len(run):
                yield tuple(values)
            return
        left = columns - column - 1
        for end in range(start + 1, len(run) - left + 1):
            budget[0] -= 1
            if budget[0] < 0:
                raise _OutOfBudget
            value = _numeral(run[start:end], column, money_set, signed_set)
            if value is None:
                if run[start] == "0" and run[start:end] != "0" and "." not in run[start:end]:
                    break  # "0" followed by more digits is never one numeral
                continue
            values.append(value)
            if all(i.holds(values) for i in due.get(column, ())):
                yield from walk(end)
            values.pop()

    yield from walk(0)


class _OutOfBudget(Exception):
    pass


def split_row(
    label: str,
    run: str,
    columns: int,
    identities: Sequence[RowIdentity] = (),
    *,
    money: Sequence[int] = (),
    signed: Sequence[int] = (),
) -> Values | None:
    """The unique reading of ``run`` (the digits after ``label``) as ``columns`` numbers, else None.

    ``label`` names the row for the caller's messages; the run must hold only the row's own digits
    (and "." / "-" where ``money`` / ``signed`` columns allow them).
    """
    del label  # the caller's row; kept in the signature so call sites read like the source
    run = run.replace(",", "").replace(" ", "")
    if not run or not re.fullmatch(r"[\d.\-]+", run):
        return None
    found: Values | None = None
    try:
        for reading in splits(run, columns, identities, money=money, signed=signed):
            if found is not None:
                return None  # two readings fit: refuse to choose
            found = reading
    except _OutOfBudget:
        return None
    return found


def solve_table(
    rows: Sequence[tuple[str, str]],
    columns: int,
    row_identities: Sequence[RowIdentity] = (),
    table_identities: Sequence[ColumnIdentity] = (),
) -> list[Values | None]:
    """Each row's reading where every consistent reading of the whole table agrees on it, else None."""
    candidates: list[list[Values] | None] = []
    for _, run in rows:
        try:
            found = list(_limited(splits(run.replace(",", ""), columns, row_identities), 2000))
        except _OutOfBudget:
            found = None
        candidates.append(found)  # None: too many readings to enumerate (the row stays unknown)
    usable = [i for i in table_identities if all(candidates[r] is not None and candidates[r] for r in i.rows)]
    involved = sorted({r for i in usable for r in i.rows}, key=lambda r: len(candidates[r]))
    seen: dict[int, set[Values]] = {r: set() for r in involved}
    steps = [BUDGET]
    assignment: dict[int, Values] = {}
    checks = {r: [i for i in usable if r == max(i.rows, key=involved.index)] for r in involved}

    def search(position: int) -> bool:
        if position == len(involved):
            for r in involved:
                seen[r].add(assignment[r])
            return True
        r = involved[position]
        any_solution = False
        for value in candidates[r]:
            steps[0] -= 1
            if steps[0] < 0:
                raise _OutOfBudget
            assignment[r] = value
            if all(i.holds(assignment) for i in checks[r]):
                any_solution |= search(position + 1)
        del assignment[r]
        return any_solution

    try:
        solved = search(0) if involved else False
    except _OutOfBudget:
        solved = False
    out: list[Values | None] = []
    for r, found in enumerate(candidates):
        if found is not None and len(found) == 1:
            out.append(found[0])
        elif solved and r in seen and len(seen[r]) == 1:
            out.append(next(iter(seen[r])))
        else:
            out.append(None)
    return out


def _limited(iterator: Iterator[Values], limit: int) -> Iterator[Values]:
    for count, item in enumerate(iterator):
        if count >= limit:
            raise _OutOfBudget
        yield item


def place_rows(
    labels: int,
    values: Sequence[Sequence[str]],
    check: Callable[[dict[int, Sequence[str]]], bool],
) -> dict[int, int] | None:
    """Value rows detached from their labels (converter markdown): the only order-preserving placement
    of ``values`` under ``labels`` label rows that ``check`` accepts, as {label index: value row}; None
    when no placement or several pass. ``check`` gets {label index: value row} and applies identities."""
    if not values or len(values) > labels:
        return None
    found: dict[int, int] | None = None
    for count, chosen in enumerate(combinations(range(labels), len(values))):
        if count > BUDGET // 10:
            return None
        placement = dict(zip(chosen, range(len(values))))
        if check({label: values[v] for label, v in placement.items()}):
            if found is not None:
                return None
            found = placement
    return found
