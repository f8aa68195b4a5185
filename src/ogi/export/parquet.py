"""Rows of the wide or long export → a Parquet file (zstd), typed columns: text, integers, dates, numbers.

Written in batches of ``BATCH`` rows, so memory stays flat at any corpus size.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from pathlib import Path

BATCH = 50000
_TEXT = {
    "organ",
    "organ_name",
    "province",
    "city",
    "county",
    "township",
    "division_code",
    "kind",
    "template",
    "source",
    "sha256",
    "key",
    "label",
    "state",
    "unit",
    "raw",
    "origin",
}
_INTEGER = {"report_id", "year", "errors", "warnings"}


def save_parquet(path: Path, columns: list[str], rows: Iterable[dict]) -> int:
    """Write ``rows`` (dicts over ``columns``); a column not named above holds numbers (cell values)."""
    # pyarrow takes long to import; only a Parquet export pays for it.
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = pa.schema([pa.field(c, _arrow_type(pa, c)) for c in columns])
    n = 0
    with pq.ParquetWriter(str(path), schema, compression="zstd") as writer:
        batch: list[dict] = []
        for row in rows:
            batch.append({c: float(v) if isinstance(v := row.get(c), Decimal) else v for c in columns})
            if len(batch) >= BATCH:
                writer.write_table(pa.Table.from_pylist(batch, schema=schema))
                n += len(batch)
                batch = []
        if batch or n == 0:
            writer.write_table(pa.Table.from_pylist(batch, schema=schema))
            n += len(batch)
    return n


def _arrow_type(pa, column: str):
    if column in _TEXT:
        return pa.string()
    if column in _INTEGER:
        return pa.int64()
    return pa.date32() if column == "published" else pa.float64()
