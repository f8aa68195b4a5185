"""Corpus → CSV / XLSX / Parquet (issue #4 item 5).

Wide form: one row per report (meta, then every cell key of the formats present, in the official order).
Long form: one row per cell, with state, unit, raw text and origin (spec §5: what the source says).
The XLSX is what an office circulates: Chinese headers, a sheet per table in the official layout (row
labels merged over their columns), one per format, plus 报告 (the list) and 审核发现 (the findings).
Rows are streamed in batches, so memory stays flat at any corpus size.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path

import sqlalchemy as sa

from . import forms
from .forms import T3_COLUMNS, T3_ROWS, T4_COLUMNS, T4_GROUPS, t2_blocks
from .model import StoreError
from .query import REPORTS_JOIN, decode_value, plain, report_conditions
from .schema import ORIGINS, STATES, cells, organs, reports

FORMATS = ("csv", "xlsx", "parquet")
META = (
    ("report_id", "报告编号"), ("organ", "机关"), ("organ_name", "报告所署机关"), ("province", "省"), ("city", "市"),
    ("county", "县(区)"), ("kind", "机关类型"), ("year", "年度"), ("template", "格式"), ("published", "发布日期"),
    ("errors", "错误"), ("warnings", "警告"), ("source", "来源"), ("sha256", "SHA-256"),
)
LONG = ("report_id", "organ", "year", "template", "key", "label", "value", "state", "unit", "raw", "origin")
LONG_ZH = dict(zip(LONG, ("报告编号", "机关", "年度", "格式", "单元格", "名称", "数值", "状态", "单位", "原文", "来源")))
BATCH = 1000


def all_keys(templates: list[str]) -> list[str]:
    """Keys of the given formats in reading order: table 2 of each format, then table 3 rows, then table 4."""
    ordered = [k for t in ("2019", "2021") if t in templates for k in forms.t2_keys(t)]
    ordered += [k for t in ("2019", "2021") if t in templates for k in forms.t3_keys(t)]
    return list(dict.fromkeys(ordered + list(forms.T4_KEYS)))


def _report_batches(corpus, filters: dict) -> Iterator[list[dict]]:
    cols = [reports.c.id.label("report_id"), organs.c.name.label("organ"), reports.c.organ_name, organs.c.province,
            organs.c.city, organs.c.county, organs.c.kind, reports.c.year, reports.c.template, reports.c.published,
            reports.c.errors, reports.c.warnings, reports.c.source, reports.c.sha256]
    last = 0
    with corpus.engine.connect() as conn:
        while True:
            stmt = (sa.select(*cols).select_from(REPORTS_JOIN)
                    .where(reports.c.id > last, *report_conditions(**filters)).order_by(reports.c.id).limit(BATCH))
            rows = [dict(r) for r in conn.execute(stmt).mappings()]
            if not rows:
                return
            last = rows[-1]["report_id"]
            yield rows


def _cells_of(corpus, ids: list[int]) -> dict[int, list]:
    out: dict[int, list] = {i: [] for i in ids}
    with corpus.engine.connect() as conn:
        stmt = sa.select(cells).where(cells.c.report_id.in_(ids)).order_by(cells.c.report_id, cells.c.key_id)
        for r in conn.execute(stmt):
            out[r.report_id].append(r)
    return out


def templates_present(corpus, filters: dict) -> list[str]:
    with corpus.engine.connect() as conn:
        stmt = sa.select(reports.c.template).select_from(REPORTS_JOIN).where(*report_conditions(**filters)).distinct()
        return sorted(t for t in conn.execute(stmt).scalars() if t)


def wide_rows(corpus, keys: list[str], **filters) -> Iterator[dict]:
    for batch in _report_batches(corpus, filters):
        by_id = _cells_of(corpus, [r["report_id"] for r in batch])
        for row in batch:
            values = {corpus._key_of[c.key_id]: decode_value(c.value, c.scale) for c in by_id[row["report_id"]]}
            yield row | {k: values.get(k) for k in keys}


def long_rows(corpus, **filters) -> Iterator[dict]:
    for batch in _report_batches(corpus, filters):
        by_id = _cells_of(corpus, [r["report_id"] for r in batch])
        for row in batch:
            for c in by_id[row["report_id"]]:
                key = corpus._key_of[c.key_id]
                value = decode_value(c.value, c.scale)
                yield dict(report_id=row["report_id"], organ=row["organ"] or row["organ_name"], year=row["year"],
                           template=row["template"], key=key, label=forms.label_of(key), value=value,
                           state=STATES[c.state].value, unit=c.unit,
                           raw=c.raw if c.raw is not None else (plain(value) or ""), origin=ORIGINS[c.origin].value)


def _number(v):
    return None if v is None else (float(v) if not isinstance(v, int) else v)


def export(corpus, path: str | Path, fmt: str = "csv", form: str = "wide", **filters) -> int:
    """Write the selection to ``path``; returns the number of rows written (reports for xlsx)."""
    if fmt not in FORMATS:
        raise StoreError(str(path), f"不支持的导出格式 {fmt} (use {', '.join(FORMATS)})")
    if form not in ("wide", "long"):
        raise StoreError(str(path), f"未知的导出形式 {form} (use wide or long)")
    path = Path(path)
    if fmt == "xlsx":
        from .export_xlsx import write_xlsx

        return write_xlsx(corpus, path, **filters)
    keys = all_keys(templates_present(corpus, filters))
    if form == "wide":
        columns = [m for m, _ in META] + keys
        rows = wide_rows(corpus, keys, **filters)
    else:
        columns, rows = list(LONG), long_rows(corpus, **filters)
    try:
        return _write_csv(path, columns, rows) if fmt == "csv" else _write_parquet(path, columns, rows, form)
    except OSError as exc:
        raise StoreError(str(path), f"无法写入导出文件 (cannot write: {exc.strerror or exc})") from None


def _write_csv(path: Path, columns: list[str], rows: Iterator[dict]) -> int:
    n = 0
    # utf-8-sig: Excel, which most offices open a CSV with, then reads the Chinese correctly.
    with path.open("w", newline="", encoding="utf-8-sig") as f:
        writer = csv.writer(f)
        writer.writerow(columns)
        for row in rows:
            writer.writerow(["" if row.get(c) is None else plain(row[c]) if c in _NUMERIC else row[c] for c in columns])
            n += 1
    return n


_NUMERIC = set(forms.T4_KEYS) | {k for t in forms.TEMPLATES for k in forms.keys(t)} | {"value"}


def _write_parquet(path: Path, columns: list[str], rows: Iterator[dict], form: str) -> int:
    import pyarrow as pa
    import pyarrow.parquet as pq

    text = {"organ", "organ_name", "province", "city", "county", "kind", "template", "source", "sha256", "key",
            "label", "state", "unit", "raw", "origin"}
    ints = {"report_id", "year", "errors", "warnings"}
    fields = [pa.field(c, pa.string() if c in text else pa.int64() if c in ints else pa.date32()
                       if c == "published" else pa.float64()) for c in columns]
    schema = pa.schema(fields)
    n = 0
    with pq.ParquetWriter(str(path), schema, compression="zstd") as writer:
        batch: list[dict] = []
        for row in rows:
            batch.append({c: _number(row.get(c)) if c in _NUMERIC else row.get(c) for c in columns})
            if len(batch) >= 50000:
                writer.write_table(pa.Table.from_pylist(batch, schema=schema))
                n += len(batch)
                batch = []
        if batch or n == 0:
            writer.write_table(pa.Table.from_pylist(batch, schema=schema))
            n += len(batch)
    return n


def official_sheets(templates: list[str]) -> list[tuple[str, list[tuple[str, list[tuple[str, str]]]]]]:
    """Per sheet: (name, [(row label, [(column label, key)…])…]) in the order of the official tables."""
    sheets = []
    for t in templates:
        groups = [(r.label, [(c.label, f"t2.{r.key}.{c.key}") for c in b.columns]) for b in t2_blocks(t) for r in b.rows]
        sheets.append((f"表二({t}版)", groups))
    for t in templates:
        groups = [(_t3_label(r), [(c.label, f"t3.{r.key}.{c.key}") for c in T3_COLUMNS]) for r in T3_ROWS[t]]
        sheets.append((f"表三({t}版)", groups))
    sheets.append(("表四", [(g.label, [(c.label, f"t4.{g.key}.{c.key}") for c in T4_COLUMNS]) for g in T4_GROUPS]))
    return sheets


def _t3_label(row) -> str:
    label = row.label.split("(区分")[0]
    group = row.group if row.group and row.group != "三、本年度办理结果" else ""
    return f"{group} {label}".strip()


__all__ = ["FORMATS", "LONG_ZH", "META", "all_keys", "export", "long_rows", "official_sheets", "wide_rows"]
