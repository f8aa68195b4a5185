"""XLSX → Document: each sheet's used range as one Table, merged cells once (issue #3 item 4).

openpyxl in read-only mode streams the cells; read-only worksheets do not expose merged ranges, so they
are read from the sheet XML (``<mergeCell ref="A1:B2"/>``): the covered cells yield no token, the
origin cell yields one. The sheet name comes first as a line (organs name sheets "表三" and the like).
"""

from __future__ import annotations

import datetime as dt
import re
from io import BytesIO

from .. import budget
from ..model import CorruptFile, Document, EmptyFile, Line, TooLarge
from .common import GridBuilder, join_cjk, open_zip, read_member

MAX_ROWS, MAX_COLS = budget.SHEET_ROWS, budget.SHEET_COLUMNS
_MERGE = re.compile(rb'<(?:\w+:)?mergeCell\s+ref="([A-Z]+)(\d+):([A-Z]+)(\d+)"')


def read(data: bytes, name: str) -> Document:
    archive = open_zip(data, name, "Excel")
    import openpyxl  # imported here: only spreadsheets pay for it

    try:
        book = openpyxl.load_workbook(BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises KeyError/ValueError/TypeError/lxml errors on damaged files
        raise CorruptFile(
            name, f"Excel 文件已损坏或不是有效的 XLSX (corrupt XLSX: {type(exc).__name__}: {exc})"
        ) from None
    blocks: list = []
    try:
        for sheet in book.worksheets:
            budget.check(f"reading sheet {sheet.title}")
            covered = _covered(archive, getattr(sheet, "_worksheet_path", ""), name)
            table = _sheet_table(sheet, len([b for b in blocks if not isinstance(b, Line)]), covered, name)
            if table is not None:
                blocks.append(Line(join_cjk(sheet.title), len(blocks) + 1))
                blocks.append(table)
    except IndexError as exc:  # openpyxl: a shared-string index past the end of the table
        raise CorruptFile(name, f"Excel 文件已损坏：单元格引用了不存在的共享字符串 (corrupt XLSX: {exc})") from None
    except (KeyError, ValueError, TypeError, OSError) as exc:
        raise CorruptFile(name, f"Excel 文件已损坏 (corrupt XLSX: {exc})") from None
    finally:
        book.close()
    if not blocks:
        raise EmptyFile(name, "Excel 文件没有内容 (XLSX without any cells)")
    return Document(blocks, source=name, kind="xlsx")


def _covered(archive, path: str, name: str) -> dict[tuple[int, int], int]:
    """Cells hidden under a merge (row, col) → 0, and merge origins → their column span."""
    if not path:
        return {}
    xml = read_member(archive, path.lstrip("/"), name, "Excel")
    if b"mergeCell" not in xml:
        return {}
    cells: dict[tuple[int, int], int] = {}
    for c1, r1, c2, r2 in _MERGE.findall(xml):
        # Only the part inside the rows and columns read counts; the total of all merges is capped, not
        # each one (1,500 merges of 20,000 cells each took 3.5 GB: issue #15 item 7).
        top, left = int(r1), _col(c1)
        bottom, right = min(int(r2), MAX_ROWS), min(_col(c2), MAX_COLS)
        if len(cells) + max(0, bottom - top + 1) * max(0, right - left + 1) > budget.SPAN_CELLS:
            raise TooLarge(name, "Excel 合并单元格过多, 不是年度报告 (merged ranges cover too many cells)")
        for r in range(top, bottom + 1):
            for c in range(left, right + 1):
                cells[(r, c)] = 0
        cells[(top, left)] = right - left + 1
    return cells


def _col(letters: bytes) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ch - 64
    return n


def _sheet_table(sheet, index: int, covered: dict[tuple[int, int], int], name: str):
    grid: list[list[str | None]] = []
    for r, values in enumerate(sheet.iter_rows(min_row=1, min_col=1, values_only=True), 1):
        if r > MAX_ROWS:
            raise TooLarge(name, f"Excel 工作表行数过多 (sheet {sheet.title!r} has more than {MAX_ROWS} rows)")
        row = [
            None if (r, c) in covered and covered[(r, c)] == 0 else _text(v) for c, v in enumerate(values[:MAX_COLS], 1)
        ]
        grid.append(row)
    used_rows = [i for i, row in enumerate(grid) if any(v for v in row)]
    if not used_rows:
        return None
    grid = grid[used_rows[0] : used_rows[-1] + 1]
    first = used_rows[0] + 1
    width = max((c + 1 for row in grid for c, v in enumerate(row) if v), default=0)
    left = min((c for row in grid for c, v in enumerate(row) if v), default=0)
    builder = GridBuilder(index)
    for offset, row in enumerate(grid):
        builder.new_row()
        for c in range(left, width):
            r_abs, c_abs = first + offset, c + 1
            if covered.get((r_abs, c_abs)) == 0:
                continue  # under a merge: the origin cell already gave its token
            builder.add(row[c] or "" if c < len(row) else "", at=c - left)
    return builder.table()


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, (dt.datetime, dt.date)):
        return value.date().isoformat() if isinstance(value, dt.datetime) else value.isoformat()
    return join_cjk(str(value))
