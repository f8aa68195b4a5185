"""Blocks → rows of tokens: one tokeniser for every text layout the spec lists (§7) and for grids.

Text layouts: pipe rows ("规章 | 0 | 0 | 0 | |"), one cell per line with "|" lines between rows,
one cell per line with blank lines, tab-separated rows, and runs of spaces. A row of ``()`` is an
explicit row break. Grids (HTML/DOCX/PDF/XLSX tables) already are rows of tokens.
"""

from __future__ import annotations

import re

from .model import Block, Line, Table, Token, Where
from .values import is_value_text

Row = tuple[Token, ...]


_WHERE: dict[tuple, Where] = {}


def _where(line: Line, col: int | None = None) -> Where:
    """Places repeat from report to report (line 40, column 3): shared, never mutated."""
    key = (line.number, line.page, col)
    where = _WHERE.get(key)
    if where is None:
        where = Where(line=line.number, page=line.page, col=col)
        if len(_WHERE) < 100_000:
            _WHERE[key] = where
    return where

_SPACES = re.compile(r"\s{2,}|\t")
_NUMBER_RUN = re.compile(r"^[+\-增减]?\d[\d,.]*(?:\s+[+\-增减]?\d[\d,.]*)+$")


def rows_of(blocks: list[Block]) -> list[Row]:
    rows: list[Row] = []
    for block in blocks:
        if isinstance(block, Table):
            rows.append(())
            rows.extend(block.rows)
            rows.append(())
        else:
            row = _line_row(block)
            if row is not None:
                rows.append(row)
    return rows


def _line_row(line: Line) -> Row | None:
    text = line.text
    if "|" in text:
        pieces = text.rstrip().split("|")
        if len(pieces) > 1 and pieces[-1].strip() == "":
            pieces.pop()  # the separator after the last cell is not a cell
        if all(not p.strip() for p in pieces):
            return ()
        return tuple(Token(p.strip(), _where(line, i)) for i, p in enumerate(pieces))
    stripped = text.strip()
    if not stripped:
        # An empty line separates cells; a line of only spaces (an &nbsp; cell) is a blank cell.
        return (Token("", _where(line)),) if text else None
    if "\t" in text or "  " in stripped:
        # A tab ends a cell, so trailing tabs are empty cells (spreadsheet copies keep them); keep them.
        pieces = _split_spaced(text.rstrip("\r\n ").lstrip(" ") if "\t" in text else stripped)
        if pieces is not None:
            return tuple(Token(p, _where(line, i)) for i, p in enumerate(pieces))
    if _NUMBER_RUN.match(stripped):
        return tuple(Token(p, _where(line, i)) for i, p in enumerate(stripped.split()))
    return (Token(stripped, _where(line)),)


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
