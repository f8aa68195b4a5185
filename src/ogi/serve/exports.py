"""The tables a page shows → a CSV (one table) or XLSX (a sheet per table) download.

A table is the page's ``{"title", "columns": [(key, heading)…], "rows": [dict…]}``; ``export.tables`` writes
it (UTF-8 with BOM; a text that starts like a formula is neutralised, so opening an export never runs anything).
"""

from __future__ import annotations

import datetime as dt
from urllib.parse import quote

from fastapi.responses import Response

from ..export import tables as sheet
from .session import HTTPProblem

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def _header_and_rows(spec: dict) -> tuple[list[str], list[list]]:
    keys = [key for key, _ in spec["columns"]]
    return [label for _, label in spec["columns"]], [[row.get(k) for k in keys] for row in spec["rows"]]


def to_csv(spec: dict) -> bytes:
    return sheet.csv_bytes(*_header_and_rows(spec))


def to_xlsx(tables: dict[str, dict]) -> bytes:
    return sheet.xlsx_bytes((spec.get("title") or name, *_header_and_rows(spec)) for name, spec in tables.items())


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
        body, media = to_xlsx(chosen), XLSX
    return download(body, media, filename)


def download(body: bytes, media: str, filename: str) -> Response:
    return Response(
        body, media_type=media, headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(filename)}"}
    )
