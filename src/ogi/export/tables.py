"""Any table → CSV or XLSX that is safe to open: a header and rows of values in, bytes or a file out.

Every CSV and XLSX ogi writes goes through here. Report texts are hostile input: a text that starts like a
formula (= + - @, tab or CR) is neutralised as OWASP recommends for CSV, with a leading apostrophe, and
in XLSX it is a string cell, which a spreadsheet never evaluates. Numbers stay numbers (-5 is a number,
not a formula). CSV is UTF-8 with a BOM, which Excel and WPS need to read the Chinese.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Iterable, Sequence
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_SHEET_BAD = re.compile(r"[\[\]:*?/\\]")
_XML_FORBIDDEN = re.compile(r"[\000-\010\013\014\016-\037]")  # control characters an XLSX cannot hold
_SHEET_NAME_MAX = 28  # Excel allows 31; the rest is room for a "_n" that tells two equal names apart
Number = int | float | Decimal


def neutralised(text: str) -> str:
    """A text that would start a formula, prefixed with an apostrophe (OWASP, CSV injection)."""
    return "'" + text if text.startswith(FORMULA_START) else text


def plain(value: Any) -> Number | str | None:
    """A value as a sheet cell holds it: numbers as they are, dates in ISO, 是/否, lists joined by spaces."""
    if value is None or (isinstance(value, Number) and not isinstance(value, bool)):
        return value
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return " ".join(str(v) for v in value)
    return str(value)


def csv_field(value: Any) -> str:
    value = plain(value)
    if value is None:
        return ""
    if isinstance(value, str):
        return neutralised(value)
    return format(value, "f") if isinstance(value, Decimal) else str(value)


def write_csv(
    stream: IO[str], header: Sequence[str], rows: Iterable[Sequence[Any]], *, lineterminator: str = "\r\n"
) -> int:
    """The table as CSV on a text stream; returns the number of rows after the header. ``ogi parse`` writes
    to standard output with "\n"; files and downloads keep CSV's "\r\n"."""
    writer = csv.writer(stream, lineterminator=lineterminator)
    writer.writerow([csv_field(h) for h in header])
    n = 0
    for row in rows:
        writer.writerow([csv_field(v) for v in row])
        n += 1
    return n


def csv_bytes(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
    buffer = io.StringIO()
    write_csv(buffer, header, rows)
    return "\ufeff".encode() + buffer.getvalue().encode("utf-8")


def save_csv(path: Path, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
    """The table as a CSV file, streamed row by row; returns the number of rows after the header."""
    with path.open("w", newline="", encoding="utf-8-sig") as f:
        return write_csv(f, header, rows)


def xlsx_value(value: Any) -> int | float | str | None:
    """A value for an XLSX cell: an int or float for a number, a text without the control characters XML forbids."""
    value = plain(value)
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return _XML_FORBIDDEN.sub("", value) if isinstance(value, str) else value


def xlsx_cell(sheet, value: Any):
    """A cell of a write-only sheet holding ``value``; a text is a string cell, never a formula."""
    from openpyxl.cell import WriteOnlyCell

    cell = WriteOnlyCell(sheet, value=xlsx_value(value))
    if isinstance(cell.value, str):
        cell.data_type = "s"
    return cell


def xlsx_bytes(sheets: Iterable[tuple[str, Sequence[str], Iterable[Sequence[Any]]]]) -> bytes:
    """Tables (name, header, rows) as one workbook, a sheet each, named after the table within Excel's limits."""
    # openpyxl takes about 0.35 s to import; a CSV (ogi parse --format csv, a page's CSV) does not pay for it.
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    used: set[str] = set()
    for name, header, rows in sheets:
        sheet = book.create_sheet(sheet_title(name, used))
        sheet.append([xlsx_cell(sheet, h) for h in header])
        for row in rows:
            sheet.append([xlsx_cell(sheet, v) for v in row])
    if not used:
        book.create_sheet("空")
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def sheet_title(name: str, used: set[str]) -> str:
    """A sheet name Excel accepts ([]:*?/\\ removed, short enough), distinct from those in ``used``."""
    title = _SHEET_BAD.sub("", name)[:_SHEET_NAME_MAX] or "表"
    while title in used:
        title = title[: _SHEET_NAME_MAX - 2] + f"_{len(used)}"
    used.add(title)
    return title
