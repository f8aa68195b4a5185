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
from functools import lru_cache
from itertools import combinations
from operator import add, le

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


# Whole tables of runs (crawler page text, damaged-reports §1, §2): every cell a run forces, and the
# readings left for the rest.

MAX_CANDIDATES = 5  # readings kept on a cell left unread: enough for a reviewer to pick from
ROW_LIMIT = 300  # readings of one row beyond which the row is not enumerated (it stays unread)
# Steps (bench/bench_damaged.py: a report must cost milliseconds, issue #10: ≤ 50 ms in the solver):
TABLE_BUDGET = 25_000  # the search over the whole table
ROWS_BUDGET = 30_000  # enumerating the readings of all its rows (one row may pass it by ROW_BUDGET)
ROW_BUDGET = 8_000  # of which one row may take: a hard row leaves the others theirs
_SPACES = re.compile(r"(?:&nbsp;?|[\s\u00a0\u3000])+")


@dataclass(frozen=True, slots=True)
class CellReading:
    """One cell of a run: the value every reading left gives it, else the values they allow (best first)."""

    value: Number | None = None
    candidates: tuple[Number, ...] = ()


@dataclass(slots=True)
class TableReading:
    """What a table of runs admits: per row, per column, a CellReading; and how it was reached."""

    cells: list[list[CellReading]]
    direct: list[bool]  # per row: its spaces separated exactly its cells, read as written (not inferred)
    undecided: list[bool]  # per row: too many readings to enumerate within the budget (none kept)
    broken: bool = False  # no reading satisfies every identity: only those that hold were used (§2)
    out_of_budget: bool = False  # the search stopped at its budget: only what was settled before is given


def pieces_of(run: str) -> list[str]:
    """A run cut at its spaces (&nbsp;, full-width and no-break spaces too): the possible boundaries."""
    return [p for p in _SPACES.split(run.replace(",", "").strip()) if p]


def read_runs(
    runs: Sequence[str],
    columns: int,
    row_identities: Sequence[RowIdentity] = (),
    table_identities: Sequence[ColumnIdentity] = (),
    *,
    money: Sequence[int] = (),
    signed: Sequence[int] = (),
    spaced: bool | None = None,
) -> TableReading:
    """Read a table whose rows are runs of ``columns`` numbers, solving the whole table at once.

    Spaces are possible boundaries only; they are taken as separators where every row of the table has
    exactly ``columns`` pieces (damaged-reports §1). A row no reading of which
    satisfies its own identities is read under the largest sets of them that do hold, and the same for
    the column identities across rows (§2): what those force is given, nothing else. ``spaced``: the
    caller's judgement over a larger table whose rows are read apart (table 2).
    """
    money_set, signed_set = frozenset(money), frozenset(signed)
    budget = [TABLE_BUDGET]
    rows_budget = [ROWS_BUDGET]
    cut = [pieces_of(run) for run in runs]
    if spaced is None:
        spaced = all(len(p) == columns for p in cut if p)
    readings: list[list[Values] | None] = []
    direct: list[bool] = []
    broken = out_of_budget = False
    relaxed: list[bool] = []  # per row: read without its identities already
    for pieces in cut:
        trusted = _trusted(pieces, columns, money_set, signed_set) if spaced and len(pieces) == columns else None
        direct.append(trusted is not None)
        if trusted is not None:
            readings.append([trusted])
            relaxed.append(True)
            continue
        found, row_broken = _row_readings("".join(pieces), columns, row_identities, money, signed, rows_budget)
        readings.append(found)
        relaxed.append(row_broken and len(row_identities) == 1)
        broken |= row_broken
    if broken:
        # A row that breaks its own identity shows the report does not keep it (the 总计 column printed
        # 0): in every other row a reading that keeps it may be there by chance, so all readings count.
        for r, pieces in enumerate(cut):
            if not relaxed[r]:
                readings[r] = _row_readings("".join(pieces), columns, (), money, signed, rows_budget)[0]
    viable: dict[int, set[Values]] = {}
    usable = [i for i in table_identities if all(readings[r] for r in i.rows)]
    if usable and any(len(found) > 1 for found in readings if found):  # else nothing is left to choose
        try:
            viable, table_broken = _table_viable(readings, usable, budget)
            broken |= table_broken
        except _OutOfBudget:
            viable, out_of_budget = {}, True
    cells = []
    for r, found in enumerate(readings):
        left = [v for v in found if v in viable[r]] if found and r in viable else found
        cells.append(_cells_of(left, columns))
    return TableReading(cells, direct, [found is None for found in readings], broken, out_of_budget)


def _trusted(pieces: list[str], columns: int, money: frozenset[int], signed: frozenset[int]) -> Values | None:
    values = [_numeral(p, c, money, signed) for c, p in enumerate(pieces)]
    return None if any(v is None for v in values) else tuple(v for v in values if v is not None)


def _row_readings(
    run: str,
    columns: int,
    identities: Sequence[RowIdentity],
    money: Sequence[int],
    signed: Sequence[int],
    budget: list[int],
) -> tuple[list[Values] | None, bool]:
    """Every reading of one run under the largest sets of its row identities that some reading
    satisfies; None when there are too many to enumerate (or ``budget``, the steps left for the
    table's rows, is spent). Also whether some identity had to go."""
    if not run or not re.fullmatch(r"-?[\d.]+(?:-[\d.]+)*", run):
        return [], False
    for size in range(len(identities), -1, -1):
        found: dict[Values, None] = {}  # readings in the order found, each once
        for subset in combinations(identities, size):
            if budget[0] <= 0:
                return None, size < len(identities)
            readings, steps = _readings_of(run, columns, subset, tuple(money), tuple(signed))
            budget[0] -= steps
            if readings is None:
                return None, size < len(identities)
            found.update(dict.fromkeys(readings))
            if len(found) > ROW_LIMIT:
                return None, size < len(identities)
        if found:
            return list(found), size < len(identities)
    return [], False


# The same runs come back row after row and report after report ("0000000", "1000001"): read once.
@lru_cache(maxsize=8192)
def _readings_of(
    run: str, columns: int, identities: tuple[RowIdentity, ...], money: tuple[int, ...], signed: tuple[int, ...]
) -> tuple[tuple[Values, ...] | None, int]:
    """The readings of one run under all of ``identities`` (None past ROW_LIMIT or ROW_BUDGET steps),
    and the steps that took: the same whether it was cached or not, so results never depend on order."""
    budget = [ROW_BUDGET]
    try:
        if run.isdigit() and not money:
            return tuple(_integer_splits(run, columns, identities, budget)), ROW_BUDGET - budget[0]
        readings = splits(run, columns, identities, money=money, signed=signed, budget=budget)
        return tuple(_limited(readings, ROW_LIMIT)), ROW_BUDGET - budget[0]
    except _OutOfBudget:
        return None, ROW_BUDGET


def _integer_splits(run: str, columns: int, identities: Sequence[RowIdentity], budget: list[int]) -> list[Values]:
    """``splits`` for a run of digits only, faster: a total column after its parts is not searched but
    computed (the digits must read as the sum), and a position is left as soon as the digits left
    cannot make the columns left. Raises _OutOfBudget past ROW_LIMIT readings or the budget."""
    totals: dict[int, tuple[int, int]] = {}  # total column → its parts as a slice (they are side by side)
    later = []  # identities checked on a whole reading: a total before its parts, or parts apart
    for i in identities:
        low, high = min(i.parts), max(i.parts)
        if i.total > high and sorted(i.parts) == list(range(low, high + 1)):
            totals[i.total] = (low, high + 1)
        else:
            later.append(i)
    n = len(run)
    out: list[Values] = []
    values: list[int] = [0] * columns

    def walk(pos: int, col: int) -> None:
        budget[0] -= 1
        if budget[0] < 0:
            raise _OutOfBudget
        if col == columns:
            if pos == n and all(i.holds(values) for i in later):
                out.append(tuple(values))
                if len(out) > ROW_LIMIT:
                    raise _OutOfBudget
            return
        left = columns - col - 1
        if col in totals:
            low, high = totals[col]
            text = str(sum(values[low:high]))
            if run.startswith(text, pos) and left <= n - pos - len(text) <= MAX_DIGITS * left:
                values[col] = int(text)
                walk(pos + len(text), col + 1)
            return
        last = pos + 1 if run[pos] == "0" else min(n - left, pos + MAX_DIGITS)
        for end in range(max(pos + 1, n - MAX_DIGITS * left), last + 1):  # the digits left must fit
            values[col] = int(run[pos:end])
            walk(end, col + 1)

    if columns <= n <= MAX_DIGITS * columns:
        walk(0, 0)
    return out


def _table_viable(
    readings: list[list[Values] | None], identities: list[ColumnIdentity], budget: list[int]
) -> tuple[dict[int, set[Values]], bool]:
    """Per row taking part in an identity, the readings that appear in some reading of the whole table
    under the largest sets of identities that hold together; whether some identity had to go."""
    involved = {r for i in identities for r in i.rows}
    for size in range(len(identities), 0, -1):
        viable: dict[int, set[Values]] = {}
        for subset in combinations(identities, size):
            found = _viable_under(readings, subset, budget)
            if found is None:
                continue
            for r in involved:  # a row outside the identities that hold keeps every reading of its own
                viable.setdefault(r, set()).update(found.get(r) or readings[r] or ())
        if viable:
            return viable, size < len(identities)
    return {}, True


def _viable_under(
    readings: list[list[Values] | None], identities: Sequence[ColumnIdentity], budget: list[int]
) -> dict[int, set[Values]] | None:
    """The readings of each row that some reading of the table satisfying all ``identities`` uses.

    Rows in several identities (table 3's 总计 row) are tried reading by reading; for each, every
    identity is a sum over its other rows, settled by a layered search over partial column sums."""
    count: dict[int, int] = {}
    for identity in identities:
        for r in set(identity.rows):
            count[r] = count.get(r, 0) + 1
    shared = sorted(r for r, n in count.items() if n > 1)
    out: dict[int, set[Values]] = {}
    choices = [readings[r] or [] for r in shared]
    plans = [_SumPlan(readings, identity, set(shared)) for identity in identities]
    for assignment in _product(choices, budget):
        fixed = dict(zip(shared, assignment))
        found: dict[int, set[Values]] = {}
        for plan in plans:
            part = plan.viable(fixed, budget)
            if part is None:
                break
            found.update(part)
        else:
            for r, v in fixed.items():
                out.setdefault(r, set()).add(v)
            for r, values in found.items():
                out.setdefault(r, set()).update(values)
    return out or None


def _product(choices: list[list[Values]], budget: list[int]) -> Iterator[tuple[Values, ...]]:
    if not choices:
        yield ()
        return
    for head in choices[0]:
        for tail in _product(choices[1:], budget):
            budget[0] -= 1
            if budget[0] < 0:
                raise _OutOfBudget
            yield (head, *tail)


class _SumPlan:
    """sum(left rows) == sum(right rows), column by column, over rows of several readings each: which
    readings of the free rows take part in a solution once the shared rows are fixed. What does not
    depend on the shared rows (order, signed vectors, bounds) is prepared once."""

    def __init__(self, readings: list[list[Values] | None], identity: ColumnIdentity, shared: set[int]):
        signs = [(r, 1) for r in identity.left] + [(r, -1) for r in identity.right]
        self.fixed = [(r, sign) for r, sign in signs if r in shared]
        free = sorted(((r, sign, readings[r] or []) for r, sign in signs if r not in shared), key=lambda f: len(f[2]))
        self.rows = [r for r, _, _ in free]
        self.values = [values for _, _, values in free]
        self.vectors = [[tuple(sign * b for b in v) for v in values] for _, sign, values in free]
        self.width = width = len((readings[identity.left[0]] or [()])[0])
        # What the rows still to come can add, column by column: a partial sum x may go on only if
        # -high <= x <= -low (else the sum cannot come back to 0).
        low, high = [0] * width, [0] * width
        self.lower: list[tuple[Number, ...]] = [tuple(low)]
        self.upper: list[tuple[Number, ...]] = [tuple(high)]
        for vectors in reversed(self.vectors):
            low = [a + min(column) for a, column in zip(low, zip(*vectors))] if vectors else low
            high = [a + max(column) for a, column in zip(high, zip(*vectors))] if vectors else high
            self.lower.append(tuple(-h for h in high))
            self.upper.append(tuple(-lo for lo in low))
        self.lower.reverse()
        self.upper.reverse()

    def viable(self, fixed: dict[int, Values], budget: list[int]) -> dict[int, set[Values]] | None:
        start = (0,) * self.width
        for r, sign in self.fixed:
            start = tuple(a + sign * b for a, b in zip(start, fixed[r]))
        layers: list[set[tuple[Number, ...]]] = [{start}]
        for i, vectors in enumerate(self.vectors):
            following: set[tuple[Number, ...]] = set()
            low_bound, high_bound = self.lower[i + 1], self.upper[i + 1]
            for state in layers[-1]:
                budget[0] -= len(vectors)
                if budget[0] < 0:
                    raise _OutOfBudget
                for vector in vectors:
                    nxt = tuple(map(add, state, vector))
                    if all(map(le, low_bound, nxt)) and all(map(le, nxt, high_bound)):
                        following.add(nxt)
            if not following:
                return None
            layers.append(following)
        zero = (0,) * self.width
        if zero not in layers[-1]:
            return None
        need = {zero}
        out: dict[int, set[Values]] = {}
        for i in range(len(self.vectors) - 1, -1, -1):
            keep: set[Values] = set()
            before: set[tuple[Number, ...]] = set()
            for state in layers[i]:
                budget[0] -= len(self.values[i])
                if budget[0] < 0:
                    raise _OutOfBudget
                for v, vector in zip(self.values[i], self.vectors[i]):
                    if tuple(map(add, state, vector)) in need:
                        keep.add(v)
                        before.add(state)
            out[self.rows[i]] = keep
            need = before
        return out


def _cells_of(readings: list[Values] | None, columns: int) -> list[CellReading]:
    """Per column: the value all readings agree on, else up to MAX_CANDIDATES values, first seen first."""
    if not readings:
        return [CellReading() for _ in range(columns)]
    if len(readings) == 1:
        return [CellReading(v) for v in readings[0]]
    out = []
    for c in range(columns):
        values = list(dict.fromkeys(v[c] for v in readings))
        out.append(CellReading(values[0]) if len(values) == 1 else CellReading(None, tuple(values[:MAX_CANDIDATES])))
    return out
