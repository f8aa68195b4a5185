"""Characters and ruled grids of each page → the document's blocks: lines and tables in reading order.

The page layout shared by the PDF reader (characters from the text layer) and the OCR reader (characters
from Tesseract): a character is ``(x0, top, x1, bottom, text, size, ...)`` in points, top-based; a grid is
a ``pdfgrid.Grid``. Characters inside a grid's cells become that table's tokens, the rest are grouped into
lines; spaces between CJK characters (justification, "年 度") are dropped; wide gaps become tabs, and runs
of such lines are rebuilt as unruled tables. Lines that fill the measure are joined into paragraphs,
running page numbers are dropped, and a table continued on the next page is joined to its first part,
without the repeated header rows.
"""

from __future__ import annotations

import re
from typing import Any

from ..model import Block, Line, Table, Token, Where
from .common import join_cjk, reindex
from .pdfgrid import Grid

Char = tuple[Any, ...]  # (x0, top, x1, bottom, text, size) in points, OCR adds its confidence
_PAGE_NUMBER = re.compile(
    r"^[-—–_\s]*(?:第\s*)?\d{1,3}\s*(?:页)?(?:\s*[/／]\s*(?:共\s*)?\d{1,3}\s*页?)?[-—–_\s]*$|^[-—–]\s*\d{1,3}\s*[-—–]$"
)
_CJK_CHAR = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uf900-\ufaff\uff00-\uffef]")
_NUMBERED = re.compile(
    r"^(?:[一二三四五六七八九十]+[、.．]|[(（][一二三四五六七八九十\d]+[)）]|\d{1,2}[、.．](?!\d)|第[一二三四五六七八九十]+)"
)


class PageBlocks:
    """Collects the blocks of every page, then joins tables continued across pages."""

    def __init__(self) -> None:
        self.items: list[tuple[Block, bool]] = []  # (block, in the page margin) in reading order
        self.lines = 0
        self.tables = 0

    def add_page(self, chars: list[Char], grids: list[Grid], number: int, height: float) -> None:
        """Characters (or OCR words) and ruled grids of one page → lines and tables in reading order."""
        owners = [_Owner(g) for g in grids]
        lines = _lines([ch for ch in chars if not _owned(ch, owners)])
        placed: list[tuple[float, _Owner | list[Char]]] = [(owner.grid.top, owner) for owner in owners]
        placed.extend((min(c[1] for c in line), line) for line in lines)
        placed.sort(key=lambda item: item[0])
        page_start = len(self.items)
        spaced: dict[int, list[Char]] = {}  # item index → characters of a line with wide gaps
        right = max((line[-1][2] for line in lines), default=0.0)
        previous = None  # (geometry, index in self.items) of the last line, for joining paragraphs
        for top, item in placed:
            if isinstance(item, _Owner):
                table = item.table(self.tables, number)
                if table is not None:
                    self.tables += 1
                    self.items.append((table, False))
                previous = None
                continue
            text = _line_text(item)
            if not text:
                continue
            bottom = max(c[3] for c in item)
            margin = top < height * 0.055 or bottom > height * 0.945
            if margin and _PAGE_NUMBER.match(text):
                continue  # running page numbers ("- 2 -", "第2页 共5页") are not report text
            geometry = (item[0][0], top, item[-1][2], bottom, max(c[5] for c in item))
            if previous is not None and not margin and _continues_paragraph(previous[0], geometry, right, text):
                line = self.items[previous[1]][0]
                assert isinstance(line, Line)  # previous only ever points at a line
                if "\t" in line.text:
                    previous = None
                    self.lines += 1
                    spaced[len(self.items)] = item
                    self.items.append((Line(text, self.lines, number), margin))
                    continue
                self.items[previous[1]] = (Line(_glue(line.text, text), line.number, line.page), False)
                previous = (geometry, previous[1])
                continue
            self.lines += 1
            if "\t" in text and not margin:
                spaced[len(self.items)] = item
            self.items.append((Line(text, self.lines, number), margin))
            previous = None if margin else (geometry, len(self.items) - 1)
        self._unruled(page_start, spaced, number)

    def _unruled(self, start: int, spaced: dict[int, list[Char]], page: int) -> None:
        """Runs of two or more gap-separated lines are an unruled table: rebuild its columns from the
        value rows, so a blank cell stays a blank token in its column instead of shifting the values."""
        i = start
        while i < len(self.items):
            j = i
            while j in spaced and (j + 1) in spaced:
                j += 1
            if i in spaced and j > i:
                table = _unruled_table([spaced[k] for k in range(i, j + 1)], self.tables, page)
                if table is not None:
                    self.tables += 1
                    self.items[i : j + 1] = [(table, False)]
                    spaced = {k - (j - i) if k > j else k: v for k, v in spaced.items() if not i <= k <= j}
            i += 1

    def finish(self) -> list[Block]:
        blocks: list[Block] = []
        pending_margin: list = []
        for block, margin in self.items:
            if isinstance(block, Line) and margin:
                pending_margin.append(block)  # running headers may sit between two parts of a table
                continue
            if isinstance(block, Table) and blocks and isinstance(blocks[-1], Table) and _continues(blocks[-1], block):
                blocks[-1] = _join(blocks[-1], block)
                pending_margin.clear()
                continue
            blocks.extend(pending_margin)
            pending_margin.clear()
            blocks.append(block)
        blocks.extend(pending_margin)
        return blocks


class _Owner:
    """The characters that fall inside one grid's cells."""

    __slots__ = ("grid", "chars")

    def __init__(self, grid: Grid) -> None:
        self.grid = grid
        self.chars: dict[int, list[Char]] = {}

    def take(self, x: float, y: float, ch: Char) -> bool:
        grid = self.grid
        if not (grid.x0 <= x <= grid.x1 and grid.top <= y <= grid.bottom):
            return False
        cell = grid.cell_at(x, y)
        if cell is None:
            return False
        self.chars.setdefault(id(cell), []).append(ch)
        return True

    def table(self, index: int, page: int) -> Table | None:
        rows: list[list[Token]] = []
        for r, cells in enumerate(self.grid.rows):
            row = []
            for cell in cells:
                text = "".join(_line_text(line) for line in _lines(self.chars.get(id(cell), [])))
                row.append(Token(join_cjk(text), Where(table=index, row=r, col=cell.col, page=page, box=cell.box)))
            rows.append(row)
        if not rows:
            return None
        return Table(rows=reindex(rows, index), index=index, page=page)


def _owned(ch: Char, owners: list[_Owner]) -> bool:
    """Give a character to the grid whose cell holds its centre; False when it lies outside every grid."""
    cx, cy = (ch[0] + ch[2]) / 2, (ch[1] + ch[3]) / 2
    return any(owner.take(cx, cy, ch) for owner in owners)


def _lines(chars: list[Char]) -> list[list[Char]]:
    """Group characters into visual lines by their vertical centres, each sorted left to right."""
    if not chars:
        return []
    ordered = sorted(chars, key=lambda c: (c[1] + c[3]) / 2)
    lines: list[list] = []
    current = [ordered[0]]
    centre = (ordered[0][1] + ordered[0][3]) / 2
    for ch in ordered[1:]:
        c = (ch[1] + ch[3]) / 2
        size = max(ch[3] - ch[1], 1.0)
        if abs(c - centre) <= size * 0.45:
            current.append(ch)
            centre = (centre * (len(current) - 1) + c) / len(current)
        else:
            lines.append(current)
            current, centre = [ch], c
    lines.append(current)
    for line in lines:
        line.sort(key=lambda c: c[0])
    return lines


def _segments(line: list[Char]) -> list[tuple[str, float, float, float, float]]:
    """A line cut at wide gaps (cell boundaries): (text, x0, x1, top, bottom) per piece."""
    pieces: list[list[Char | str]] = []
    parts: list[Char | str] = []  # characters, and the spaces put between words
    previous = None
    for ch in line:
        if previous is not None:
            gap = ch[0] - previous[2]
            size = max(previous[5], ch[5], 1.0)
            if gap > size * 2.2:
                pieces.append(parts)
                parts = []
            elif gap > size * 0.25 and not (
                (_CJK_CHAR.match(ch[4]) or _CJK_CHAR.match(previous[4][-1])) and gap < size * 0.8
            ):
                parts.append(" ")
        parts.append(ch)
        previous = ch
    pieces.append(parts)
    out = []
    for piece in pieces:
        chars = [c for c in piece if not isinstance(c, str)]
        text = join_cjk("".join(c if isinstance(c, str) else c[4] for c in piece))
        if text:
            out.append((text, chars[0][0], chars[-1][2], min(c[1] for c in chars), max(c[3] for c in chars)))
    return out


def _line_text(line: list[Char]) -> str:
    """A line's text: wide gaps → tab (a cell boundary), word gaps → space, none between CJK."""
    return "\t".join(piece[0] for piece in _segments(line))


def _clusters(spans: list[tuple[float, float]]) -> list[list[float]]:
    columns: list[list[float]] = []
    for x0, x1 in sorted(spans):
        if columns and x0 <= columns[-1][1] + 1.0:
            columns[-1][1] = max(columns[-1][1], x1)
        else:
            columns.append([x0, x1])
    return columns


def _unruled_table(lines: list[list[Char]], index: int, page: int) -> Table | None:
    rows = [_segments(line) for line in lines]
    value_rows = [r for r in rows if len(r) > 1 and sum(_is_value(p[0]) for p in r[1:]) * 2 >= len(r) - 1]
    if not value_rows:
        return None
    first_value = min(p[1] for r in value_rows for p in r[1:] if _is_value(p[0]))
    label_columns = _clusters([(p[1], p[2]) for r in rows for p in r if p[2] <= first_value])
    value_columns = _clusters([(p[1], p[2]) for r in value_rows for p in r if p[1] >= first_value])
    columns = label_columns + value_columns
    out: list[list[Token]] = []
    for r, pieces in enumerate(rows):
        cells: dict[int, tuple] = {}
        for piece in pieces:
            c = max(range(len(columns)), key=lambda k: min(piece[2], columns[k][1]) - max(piece[1], columns[k][0]))
            if c in cells:
                previous = cells[c]
                piece = (
                    previous[0] + piece[0],
                    previous[1],
                    piece[2],
                    min(previous[3], piece[3]),
                    max(previous[4], piece[4]),
                )
            cells[c] = piece
        row = []
        for c in range(len(columns)):
            cell = cells.get(c)
            box = (round(cell[1], 2), round(cell[3], 2), round(cell[2], 2), round(cell[4], 2)) if cell else None
            row.append(Token(cell[0] if cell else "", Where(table=index, row=r, col=c, page=page, box=box)))
        out.append(row)
    return Table(rows=tuple(tuple(r) for r in out), index=index, page=page)


def _continues_paragraph(above, below, right: float, text: str) -> bool:
    """A line that filled the measure, followed closely by a line not indented and not numbered."""
    x0, _, x1, bottom, size = above
    return (
        x1 >= right - 2.2 * size
        and below[1] - bottom < 0.9 * size
        and below[0] <= x0 + 0.5 * size
        and "\t" not in text
        and not _NUMBERED.match(text)
    )


def _glue(first: str, second: str) -> str:
    if first[-1:].isascii() and first[-1:].isalpha() and second[:1].isascii() and second[:1].isalpha():
        return first + " " + second
    return first + second


def _width(table: Table) -> int:
    return max((t.where.col for row in table.rows for t in row if t.where.col is not None), default=-1) + 1


def _continues(first: Table, second: Table) -> bool:
    """A table on the next page with the same columns, at the top of that page, continues the first. An
    office suite's PDF draws only the column rules a page's rows need (table 3's third label column starts
    with its (三) rows), so straight after a page break a width off by one or two still continues it."""
    last = (
        max((t.where.page for t in first.rows[-1] if t.where.page is not None), default=first.page)
        if first.rows
        else first.page
    )
    if last is None or second.page != last + 1:  # the page the first ends on: it may run over several
        return False
    gap = abs(_width(first) - _width(second))
    return gap == 0 or (gap <= 2 and _width(first) >= 5)


def _join(first: Table, second: Table) -> Table:
    rows = [list(r) for r in first.rows]
    extra = [list(r) for r in second.rows]
    texts = [tuple(t.text for t in r) for r in first.rows]
    k = 0
    while k < len(extra) and k < len(texts) and tuple(t.text for t in extra[k]) == texts[k]:
        k += 1  # header rows repeated on the new page
    extra = extra[k:]
    if extra and rows and _is_row_tail(rows[-1], extra[0]):
        head = rows[-1]
        tail = {t.where.col: t for t in extra.pop(0)}
        rows[-1] = [
            Token(t.text + tail[t.where.col].text, t.where) if t.where.col in tail and not _is_value(t.text) else t
            for t in head
        ]
    elif extra and rows and (label := _label_tail(rows[-1], extra[0])) is not None:
        head = rows[-1]
        extra.pop(0)
        last = max(i for i, t in enumerate(head) if t.text and not _is_value(t.text))
        rows[-1] = [Token(t.text + label, t.where) if i == last else t for i, t in enumerate(head)]
    return Table(rows=reindex(rows + extra, first.index), index=first.index, page=first.page)


def _is_value(text: str) -> bool:
    """A number with at most a short unit; a numbered label cut short ("5.要求") is none."""
    return bool(re.fullmatch(r"[+\-−增减]?\d[\d,.]*\S{0,2}", text)) and not _NUMBERED.match(text)


def _label_tail(last: list[Token], first: list[Token]) -> str | None:
    """The rest of a row label broken by the page end, when the two pages' columns do not line up: the new
    page's first row holds one piece of text and nothing else, the broken row a label and values."""
    filled = [t.text for t in first if t.text]
    if len(filled) != 1 or _is_value(filled[0]) or len(filled[0]) > 40:
        return None
    texts = [t.text for t in last if t.text]
    labelled = any(not _is_value(x) for x in texts) and any(_is_value(x) for x in texts)
    return filled[0] if labelled else None


def _is_row_tail(last: list[Token], first: list[Token]) -> bool:
    """A row broken by the page end: the new page's first row has label text and no values, in columns the
    broken row has. Merged group cells to its left restart on the new page as cells of their own (an office
    suite's PDF), so the new row may have more columns than the broken one: those stay empty."""
    cols = {t.where.col for t in last}
    filled = [t for t in first if t.text]
    return (
        bool(filled)
        and all(t.where.col in cols for t in filled)
        and not any(_is_value(t.text) for t in filled)
        and any(_is_value(t.text) for t in last)
    )
