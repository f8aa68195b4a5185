"""The tables a page shows → CSV (UTF-8 with BOM, so Excel reads the Chinese) or XLSX (one sheet per table).

Report text is hostile input: a cell that starts like a formula is written as text (CSV: a leading
apostrophe; XLSX: the string type), so opening an export never runs anything.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from decimal import Decimal
from urllib.parse import quote

from fastapi.responses import Response

from .session import HTTPProblem

_FORMULA = ("=", "+", "-", "@", "\t", "\r")
_SHEET_BAD = re.compile(r"[\[\]:*?/\\]")


def _plain(value):
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat(sep=" ") if isinstance(value, dt.datetime) else value.isoformat()
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, (list, tuple)):
        return " ".join(str(v) for v in value)
    return value


def _csv_safe(value) -> str:
    value = _plain(value)
    text = str(value)
    if isinstance(value, str) and text.startswith(_FORMULA):
        return "'" + text
    return text


def to_csv(spec: dict) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([label for _, label in spec["columns"]])
    for row in spec["rows"]:
        writer.writerow([_csv_safe(row.get(key)) for key, _ in spec["columns"]])
    return "\ufeff".encode() + buffer.getvalue().encode("utf-8")


def to_xlsx(tables: dict[str, dict]) -> bytes:
    from openpyxl import Workbook
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    book = Workbook()
    book.remove(book.active)
    used: set[str] = set()
    for name, spec in tables.items():
        title = _SHEET_BAD.sub("", spec.get("title") or name)[:28] or name[:28]
        while title in used:
            title = title[:26] + f"_{len(used)}"
        used.add(title)
        sheet = book.create_sheet(title)
        sheet.append([label for _, label in spec["columns"]])
        for r, row in enumerate(spec["rows"], start=2):
            for c, (key, _) in enumerate(spec["columns"], start=1):
                value = _plain(row.get(key))
                if isinstance(value, str):
                    value = ILLEGAL_CHARACTERS_RE.sub("", value)
                cell = sheet.cell(row=r, column=c, value=value)
                if isinstance(value, str):
                    cell.data_type = "s"  # never a formula, whatever the text starts with
    if not used:
        book.create_sheet("空")
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def export(tables: dict[str, dict], fmt: str, which: str | None, name: str) -> Response:
    if which is not None and which not in tables:
        raise HTTPProblem(404, f"没有名为 {which} 的表（可选：{'、'.join(tables) or '无'}）")
    stamp = dt.date.today().isoformat()
    if fmt == "csv":
        key = which or next(iter(tables), None)
        if key is None:
            raise HTTPProblem(404, "此页没有可导出的表")
        filename = f"ogi-{name}-{key}-{stamp}.csv"
        body, media = to_csv(tables[key]), "text/csv; charset=utf-8"
    else:
        chosen = {which: tables[which]} if which else tables
        filename = f"ogi-{name}-{stamp}.xlsx"
        body, media = to_xlsx(chosen), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return Response(body, media_type=media,
                    headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(filename)}"})
