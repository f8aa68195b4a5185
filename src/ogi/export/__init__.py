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
from .rows import LONG, LONG_ZH, META, all_keys, long_rows, wide_rows
from .tables import save_csv

if TYPE_CHECKING:
    from ..corpus import Corpus, Filters

FORMATS = ("csv", "xlsx", "parquet")
FORMS = ("wide", "long")
FINDINGS_PAGE = 5000


def export(
    corpus: Corpus, path: str | Path, fmt: str = "csv", form: str = "wide", filters: Filters | None = None, **by
) -> int:
    """Write the selection (``filters``, or the same as keywords) to ``path``; returns the number of rows
    written (reports for xlsx)."""
    if fmt not in FORMATS:
        raise InvalidInput(str(path), f"不支持的导出格式 {fmt} (use {', '.join(FORMATS)})")
    if form not in FORMS:
        raise InvalidInput(str(path), f"未知的导出形式 {form} (use wide or long)")
    path = Path(path)
    templates = corpus.templates_present(filters, **by)
    selection = corpus.reports_with_cells(filters, **by)
    if fmt == "xlsx":
        from .xlsx import keys_of, official_sheets, save_workbook  # openpyxl: only an XLSX export loads it

        rows = wide_rows(selection, keys_of(official_sheets(templates)))
        chosen = (filters.params() if filters else {}) | {k: v for k, v in by.items() if v not in (None, "")}
        return save_workbook(path, templates, rows, _findings(corpus, filters, by), chosen)
    if form == "wide":
        keys = all_keys(templates)
        columns, rows = [m for m, _ in META] + keys, wide_rows(selection, keys)
    else:
        columns, rows = list(LONG), long_rows(selection)
    try:
        return _save(path, fmt, columns, rows)
    except OSError as exc:
        raise StoreError(str(path), f"无法写入导出文件 (cannot write: {exc.strerror or exc})") from None


def _save(path: Path, fmt: str, columns: list[str], rows: Iterator[dict]) -> int:
    if fmt == "parquet":
        return save_parquet(path, columns, rows)
    return save_csv(path, columns, ([row.get(c) for c in columns] for row in rows))


def _findings(corpus: Corpus, filters: Filters | None, by: dict) -> Iterator:
    """Every finding of the selection, read from the corpus a page at a time."""
    offset = 0
    while rows := corpus.findings(None, filters, limit=FINDINGS_PAGE, offset=offset, **by):
        offset += len(rows)
        yield from rows


__all__ = ["FORMATS", "LONG_ZH", "META", "all_keys", "export", "long_rows", "wide_rows"]
