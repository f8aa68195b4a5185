"""Corpus + filters → an export file: CSV or Parquet (wide or long form), or the official-layout XLSX.

``export`` is what ``ogi export`` calls. The package runs one way: ``query`` reads the selected reports
and cells from the database (the only SQL here), ``rows`` shapes them into wide or long rows, and
``tables`` (CSV), ``parquet`` and ``xlsx`` write them. Rows are streamed, so memory stays flat.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from ..model import InvalidInput, StoreError
from .parquet import save_parquet
from .rows import (
    LONG,
    LONG_ZH,
    META,
    all_keys,
    harmonised_columns,
    harmonised_rows,
    long_rows,
    wide_columns,
    wide_rows,
)
from .tables import save_csv, xlsx_bytes

if TYPE_CHECKING:
    from ..corpus import Corpus, Filters

FORMATS = ("csv", "xlsx", "parquet")
FORMS = ("wide", "long", "harmonised")
SUFFIXES = {"csv": "csv", "xlsx": "xlsx", "parquet": "parquet", "pq": "parquet"}
FINDINGS_PAGE = 5000


def export(
    corpus: Corpus, path: str | Path, fmt: str = "csv", form: str = "wide", filters: Filters | None = None, **by
) -> int:
    """Write the selection (``filters``, or the same as keywords) to ``path``; returns the number of rows
    written (reports for xlsx)."""
    if fmt not in FORMATS:
        raise InvalidInput(str(path), f"不支持的导出格式 {fmt}（可用：{'、'.join(FORMATS)}）")
    if form not in FORMS:
        raise InvalidInput(str(path), f"未知的导出形式 {form}（可用：wide 宽表、long 长表、harmonised 统一变量宽表）")
    path = Path(path)
    templates = corpus.templates_present(filters, **by)
    selection = corpus.reports_with_cells(filters, **by)
    meta = [m for m, _ in META]
    if form == "wide" and fmt == "xlsx":
        from .xlsx import keys_of, official_sheets, save_workbook  # openpyxl: only an XLSX export loads it

        rows = wide_rows(selection, keys_of(official_sheets(templates)), money_in_wan=False)
        chosen = (filters.params() if filters else {}) | {k: v for k, v in by.items() if v not in (None, "")}
        return _guard(path, lambda: save_workbook(path, templates, rows, _findings(corpus, filters, by), chosen))
    if form == "wide":
        keys = all_keys(templates)
        columns, rows = meta + wide_columns(keys), wide_rows(selection, keys)
    elif form == "harmonised":
        columns, rows = meta + harmonised_columns(), harmonised_rows(selection)
    else:
        columns, rows = list(LONG), long_rows(selection)
    return _guard(path, lambda: _save(path, fmt, columns, rows))


def _guard(path: Path, write):
    try:
        return write()
    except OSError as exc:
        raise StoreError(str(path), f"无法写入导出文件 (cannot write: {exc.strerror or exc})") from None


def format_of(path: str, fmt: str | None) -> str:
    """The export format: as given, else from the file's extension. A given format that contradicts the
    extension is an error (``out.json`` never receives CSV)."""
    suffix = path.rsplit(".", 1)[-1].lower() if "." in path.rsplit("/", 1)[-1] else ""
    known = SUFFIXES.get(suffix)
    if fmt is None:
        if known is None:
            shown = f"扩展名 .{suffix}" if suffix else "没有扩展名"
            raise InvalidInput(
                path, f"无法从文件名判断导出格式（{shown}）：请用 .csv、.xlsx 或 .parquet，或以 --format 指定"
            )
        return known
    if fmt not in FORMATS:
        raise InvalidInput(path, f"不支持的导出格式 {fmt}（可用：{'、'.join(FORMATS)}）")
    if suffix and known != fmt:
        raise InvalidInput(path, f"文件扩展名 .{suffix} 与导出格式 {fmt} 不符：请改用 .{fmt} 结尾的文件名")
    return fmt


def _save(path: Path, fmt: str, columns: list[str], rows: Iterator[dict]) -> int:
    if fmt == "parquet":
        return save_parquet(path, columns, rows)
    if fmt == "xlsx":  # the long or harmonised form as one sheet (the official layout is the wide form's)
        n = 0

        def counted() -> Iterator[list]:
            nonlocal n
            for row in rows:
                n += 1
                yield [row.get(c) for c in columns]

        header = [LONG_ZH.get(c, c) for c in columns]
        path.write_bytes(xlsx_bytes([("长表" if columns == list(LONG) else "统一变量", header, counted())]))
        return n
    return save_csv(path, columns, ([row.get(c) for c in columns] for row in rows))


def _findings(corpus: Corpus, filters: Filters | None, by: dict) -> Iterator:
    """Every finding of the selection, read from the corpus a page at a time."""
    offset = 0
    while rows := corpus.findings(None, filters, limit=FINDINGS_PAGE, offset=offset, **by):
        offset += len(rows)
        yield from rows


__all__ = ["FORMATS", "FORMS", "LONG_ZH", "META", "all_keys", "export", "format_of", "long_rows", "wide_rows"]
