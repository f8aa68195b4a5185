"""Format + cells → the official tables (表二, 表三, 表四 of either format) as grids with spans.

Input: a format and a report's cells (keyed by canonical key, anything with a ``state``). Output: one
``Grid`` per table, rows of origin cells with rowspan/colspan as in the official Word forms
(国办公开办函〔2019〕60号 / 〔2021〕30号): table 3's "三、本年度办理结果" spans its 20 (2019) or 22 (2021)
rows, the group cells (三)…(六) span their sub-rows, table 4's 行政诉讼 spans ten columns. The rows of
table 3 are ``forms.t3_rows``. Texts keep forms.py's half-width spelling and carry "\\n" where Word wraps a
narrow header ("商业\\n企业"); ``FULLWIDTH`` gives the official punctuation. ``lines`` reads a grid flat:
one line per official row, with the labels to its left and the heads above its values.

The renderers, the terminal view, the web page and the XLSX export all draw from here. Pure data.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from . import budget, forms
from .model import Record, State, Table, Template

T2_WIDTH, T3_WIDTH, T4_WIDTH = 4, 10, 15
# The official forms use full-width brackets and punctuation; forms.py keeps the NFKC (half-width) spelling.
FULLWIDTH = str.maketrans({"(": "（", ")": "）", ":": "：", ",": "，"})
T3_NOTE = "(本列数据的勾稽关系为:第一项加第二项之和,等于第三项加第四项之和)"
RESULTS = "三、本年度办理结果"
# Where Word wraps narrow header cells (seed 003: "商业/企业", "结果/纠正").
_WRAPS = {
    "商业企业": "商业\n企业",
    "科研机构": "科研\n机构",
    "社会公益组织": "社会公益\n组织",
    "法律服务机构": "法律服务\n机构",
    "结果维持": "结果\n维持",
    "结果纠正": "结果\n纠正",
    "其他结果": "其他\n结果",
    "尚未审结": "尚未\n审结",
    "本年新制作数量": "本年新\n制作数量",
    "本年新公开数量": "本年新\n公开数量",
    "对外公开总数量": "对外公开\n总数量",
    "上一年项目数量": "上一年\n项目数量",
    "处理决定数量": "处理决定\n数量",
}


@dataclass(frozen=True, slots=True)
class GridCell:
    """One origin cell: a column head, a row label, or (with a key) a value."""

    text: str = ""
    rowspan: int = 1
    colspan: int = 1
    key: str | None = None  # canonical key of a value cell
    header: bool = False  # a column head; a cell with neither key nor header is a row label


@dataclass(frozen=True, slots=True)
class Grid:
    number: int  # 2, 3 or 4
    width: int
    rows: tuple[tuple[GridCell, ...], ...]


@dataclass(frozen=True, slots=True)
class Line:
    """One official row read flat: its labels and the heads above its values, outermost first."""

    labels: tuple[str, ...]  # ("三、本年度办理结果", "(三)不予公开", "1.属于国家秘密"); () in table 4
    heads: tuple[str, ...]  # the heads over every value of the line: ("行政诉讼", "未经复议直接起诉")
    columns: tuple[str, ...]  # the innermost head over each value: "自然人", "商业\n企业" …
    keys: tuple[str, ...]


def tables(template: Template, cells: Mapping[str, Any] | None = None, *, skip_absent: bool = False) -> dict[int, Grid]:
    """Tables 2, 3 and 4 of a report in ``template`` with ``cells``; ``skip_absent`` leaves out a row whose
    cells are all missing from the source, as a rendered report does (FORMAT-COMPLETE)."""
    cells = cells or {}
    return {2: table2(template, cells, skip_absent), 3: table3(template, cells, skip_absent), 4: table4()}


def of_record(record: Record, *, skip_absent: bool = False) -> dict[int, Grid]:
    """The tables of a record; one whose format was not recognised is shown in the current (2021) format."""
    return tables(record.meta.template or "2021", record.cells, skip_absent=skip_absent)


def _head(text: str, rowspan: int = 1, colspan: int = 1) -> GridCell:
    return GridCell(_WRAPS.get(text, text), rowspan, colspan, header=True)


def _present(cells: Mapping[str, Any], keys: Iterable[str]) -> bool:
    return any((cell := cells.get(k)) is not None and cell.state is not State.missing for k in keys)


def table2(template: Template, cells: Mapping[str, Any], skip_absent: bool = False) -> Grid:
    rows: list[tuple[GridCell, ...]] = []
    for block in forms.t2_blocks(template):
        rows.append((_head(f"第二十条第{block.item}项", colspan=T2_WIDTH),))
        # The value columns of a block over the form's three: the last one stretches.
        spans = [1] * (len(block.columns) - 1) + [T2_WIDTH - len(block.columns)]
        heads = zip(block.columns, spans, strict=True)
        rows.append((_head("信息内容"), *(_head(c.label, colspan=s) for c, s in heads)))
        for row in block.rows:
            keys = [f"t2.{row.key}.{c.key}" for c in block.columns]
            if skip_absent and not _present(cells, keys):
                continue
            rows.append((GridCell(row.label), *(GridCell(colspan=s, key=k) for k, s in zip(keys, spans, strict=True))))
    return Grid(2, T2_WIDTH, tuple(rows))


def table3(template: Template, cells: Mapping[str, Any], skip_absent: bool = False) -> Grid:
    heads = [
        (_head(T3_NOTE, rowspan=3, colspan=3), _head("申请人情况", colspan=7)),
        (_head("自然人", rowspan=2), _head("法人或其他组织", colspan=5), _head("总计", rowspan=2)),
        tuple(_head(c.label) for c in forms.T3_COLUMNS[1:-1]),
    ]
    shown = [r for r in forms.t3_rows(template, cells) if not skip_absent or _present(cells, forms.T3_ROW_KEYS[r.key])]
    return Grid(3, T3_WIDTH, tuple(heads + _t3_body(shown)))


def _t3_body(rows: list[forms.Row]) -> list[tuple[GridCell, ...]]:
    """Table 3's rows, each group cell (三、本年度办理结果, (三)…(六)) on the first row it spans."""
    group_sizes = Counter(r.group for r in rows if r.group)
    in_results = sum(group_sizes.values())  # every row under 三、本年度办理结果
    seen: set[str] = set()
    body = []
    for r in rows:
        lead: list[GridCell] = []
        if r.group and RESULTS not in seen:
            lead.append(GridCell(RESULTS, rowspan=in_results))
        if r.group not in seen and r.group not in ("", RESULTS):
            lead.append(GridCell(r.group, rowspan=group_sizes[r.group]))
        seen.update((r.group, RESULTS) if r.group else ())
        span = 3 if not r.group else 2 if r.group == RESULTS else 1
        values = tuple(GridCell(key=k) for k in forms.T3_ROW_KEYS[r.key])
        body.append((*lead, GridCell(r.label, colspan=span), *values))
    return body


def table4() -> Grid:
    columns = forms.T4_COLUMNS
    rows = (
        (_head("行政复议", colspan=len(columns)), _head("行政诉讼", colspan=2 * len(columns))),
        tuple(_head(c.label, rowspan=2) for c in columns)
        + (_head("未经复议直接起诉", colspan=len(columns)), _head("复议后起诉", colspan=len(columns))),
        tuple(_head(c.label) for _ in range(2) for c in columns),
        tuple(GridCell(key=k) for k in forms.T4_KEYS),
    )
    return Grid(4, T4_WIDTH, rows)


def place(grid: Grid) -> list[tuple[int, int, GridCell]]:
    """(row, column, cell) of every origin cell, skipping grid positions covered by earlier spans."""
    taken: set[tuple[int, int]] = set()
    placed = []
    for r, row in enumerate(grid.rows):
        col = 0
        for cell in row:
            while (r, col) in taken:
                col += 1
            placed.append((r, col, cell))
            taken.update((r + dr, col + dc) for dr in range(cell.rowspan) for dc in range(cell.colspan))
            col += cell.colspan
    return placed


def lines(grid: Grid) -> list[Line]:
    """The grid read flat: a row with labels is one line; a row without (table 4) is one per column group."""
    cover: dict[tuple[int, int], GridCell] = {}
    values: dict[int, list[tuple[int, GridCell]]] = {}
    for r, c, cell in place(grid):
        for dr in range(cell.rowspan):
            for dc in range(cell.colspan):
                cover[r + dr, c + dc] = cell
        if cell.key is not None:
            values.setdefault(r, []).append((c, cell))
    out = []
    for r, row_values in values.items():
        first = row_values[0][0]
        labels = _unique(cover[r, c] for c in range(first) if (r, c) in cover)
        paths = [(_heads_above(cover, r, c), cell.key) for c, cell in row_values]
        if labels:
            out.append(_line(labels, paths))
            continue
        groups: dict[tuple[str, ...], list] = {}
        for path, key in paths:
            groups.setdefault(path[:-1], []).append((path, key))
        out += [_line((), group) for group in groups.values()]
    return out


def _line(labels: tuple[str, ...], paths: list[tuple[tuple[str, ...], str]]) -> Line:
    common = paths[0][0][:-1]
    for path, _ in paths:
        while path[: len(common)] != common:
            common = common[:-1]
    return Line(labels, common, tuple(p[-1] for p, _ in paths), tuple(k for _, k in paths))


def _heads_above(cover: dict[tuple[int, int], GridCell], row: int, col: int) -> tuple[str, ...]:
    """The heads of the header band nearest above (row, col), outermost first (table 2 has one per block)."""
    found: list[GridCell] = []
    for r in range(row - 1, -1, -1):
        cell = cover.get((r, col))
        if cell is not None and cell.header:
            found.append(cell)
        elif found:
            break
    return _unique(reversed(found))


def _unique(cells: Iterable[GridCell]) -> tuple[str, ...]:
    """The texts of the distinct cells, in order (a spanning cell covers several positions)."""
    return tuple(c.text for c in {id(c): c for c in cells}.values())


def one_line(text: str) -> str:
    """A grid text as one line: Word's wrap inside a narrow header dropped."""
    return text.replace("\n", "")


def brief(label: str) -> str:
    """A row label without its counting note ("(二)部分公开(区分处理的,…)" → "(二)部分公开"), for narrow views."""
    return label.split("(区分")[0]


def source_grid(table: Table) -> tuple[list[list[dict | None]], bool]:
    """A source table as the web page shows it: each row's tokens at their logical columns (a merged cell
    once, gaps left empty), over only the columns some token uses, within budget.GRID_ROWS × GRID_COLUMNS.
    The second value says whether the table was cut. A span of 300,000,000 columns (DOCX gridBefore) then
    costs one column, not 300,000,000 (issue #15 item 1)."""
    used = sorted({t.where.col for row in table.rows[: budget.GRID_ROWS] for t in row if t.where.col is not None})
    cut = len(table.rows) > budget.GRID_ROWS or len(used) > budget.GRID_COLUMNS
    position = {col: i for i, col in enumerate(used[: budget.GRID_COLUMNS])}
    width = len(position)
    out = []
    for row in table.rows[: budget.GRID_ROWS]:
        cells: list[dict | None] = [None] * width
        for t in row:
            col = position.get(t.where.col) if t.where.col is not None else _first_free(cells)
            if col is not None and cells[col] is None:
                cells[col] = {"text": t.text, "id": f"T{t.where.table}-{t.where.row}-{t.where.col}"}
        out.append(cells)
    return out, cut


def _first_free(cells: list[dict | None]) -> int | None:
    return cells.index(None) if None in cells else None
