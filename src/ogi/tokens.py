"""Blocks → rows of tokens: one tokeniser for every text layout the spec lists (§7) and for grids.

Text layouts: pipe rows ("规章 | 0 | 0 | 0 | |"), one cell per line with "|" lines between rows,
one cell per line with blank lines, tab-separated rows, and runs of spaces. A row of ``()`` is an
explicit row break. Grids (HTML/DOCX/PDF/XLSX tables) already are rows of tokens.
"""

from __future__ import annotations

import re
from functools import lru_cache

from .model import Block, Line, Table, Token, Where
from .values import is_value_text

Row = tuple[Token, ...]


# Places repeat from report to report (line 40, column 3): Where objects are shared, never mutated.
_LINE_WHERE: dict[int, Where] = {}  # a whole line of text: no page, no column
_COLUMN_WHERES: dict[tuple[int, int | None], list[Where]] = {}  # the cells of a row, by column
_CACHE_LIMIT = 100_000


def _where(line: Line) -> Where:
    if line.page is not None:
        return Where(line=line.number, page=line.page)
    where = _LINE_WHERE.get(line.number)
    if where is None:
        where = Where(line=line.number)
        if len(_LINE_WHERE) < _CACHE_LIMIT:
            _LINE_WHERE[line.number] = where
    return where


def _column_wheres(line: Line, count: int) -> list[Where]:
    """Where of columns 0..count-1 of a line (at least ``count`` of them)."""
    key = (line.number, line.page)
    wheres = _COLUMN_WHERES.get(key)
    if wheres is None:
        wheres = []
        if len(_COLUMN_WHERES) < _CACHE_LIMIT:
            _COLUMN_WHERES[key] = wheres
    while len(wheres) < count:
        wheres.append(Where(line=line.number, page=line.page, col=len(wheres)))
    return wheres


def _tokens(line: Line, pieces: tuple[str, ...]) -> Row:
    return tuple(map(Token, pieces, _column_wheres(line, len(pieces))))


_SPACES = re.compile(r"\s{2,}|\t")
_NUMBER_RUN = re.compile(r"^[+\-增减]?\d[\d,.]*(?:\s+[+\-增减]?\d[\d,.]*)+$")
_RUN_START = frozenset("+-增减0123456789")  # what _NUMBER_RUN can start with: most lines are ruled out at once


def rows_of(blocks: list[Block]) -> list[Row]:
    rows: list[Row] = []
    append = rows.append
    line_wheres = _LINE_WHERE
    for block in blocks:
        if type(block) is Line:
            text = block.text
            shape = line_shape(text)
            if type(shape) is str:
                where = line_wheres.get(block.number) if block.page is None else None
                append((Token(shape, where or _where(block)),))
            elif shape is not None:
                append(_tokens(block, shape) if shape else ())
        elif isinstance(block, Table):
            append(())
            rows.extend(block.rows)
            append(())
    return rows


# A line's cells depend on its text alone, and table lines repeat endlessly across reports (statutory
# row labels, "0", "| 0 | 0 | 0 |"): the recent texts are split once. An LRU cache, so that the rows
# of figures, which differ from report to report, do not pile up over a batch.
@lru_cache(maxsize=4096)
def line_shape(text: str) -> str | tuple[str, ...] | None:
    """How a line of text splits into cells: None = no cell (an empty line separates cells), a str =
    the whole line is one cell, a tuple = cells by column (an empty tuple is an explicit row break)."""
    if "|" in text:
        pieces = text.rstrip().split("|")
        if len(pieces) > 1 and pieces[-1].strip() == "":
            pieces.pop()  # the separator after the last cell is not a cell
        pieces = [p.strip() for p in pieces]
        return tuple(pieces) if any(pieces) else ()
    stripped = text.strip()
    if not stripped:
        # An empty line separates cells; a line of only spaces (an &nbsp; cell) is a blank cell.
        return "" if text else None
    if "\t" in text or "  " in stripped:
        # A tab ends a cell, so trailing tabs are empty cells (spreadsheet copies keep them); keep them.
        pieces = _split_spaced(text.rstrip("\r\n ").lstrip(" ") if "\t" in text else stripped)
        if pieces is not None:
            return tuple(pieces)
    if stripped[0] in _RUN_START and _NUMBER_RUN.match(stripped):
        return tuple(stripped.split())
    return stripped


def _split_spaced(text: str) -> list[str] | None:
    """Split a tab/space-aligned row, but only when it looks like a table row: mostly values."""
    # Tabs delimit cells one by one (so an empty cell stays a blank); spaces only align them.
    pieces = [p.strip() for p in (text.split("\t") if "\t" in text else _SPACES.split(text))]
    expanded: list[str] = []
    for p in pieces:
        expanded.extend(p.split() if _NUMBER_RUN.match(p) else [p])
    if "\t" in text:
        return expanded if len(expanded) >= 2 else None  # tabs are explicit cell boundaries
    values = sum(1 for p in expanded if p and is_value_text(p))
    if len(expanded) < 2 or values == 0:
        return None
    return expanded
