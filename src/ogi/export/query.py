"""Corpus database + filters → the plain rows an export writes: the selected reports with their cells.

The one module of ``export`` that speaks SQL (SQLAlchemy Core, SQLite and PostgreSQL alike); the filters
are those of ``query.report_conditions``. Reports are read in id batches with their cells, so memory stays
flat at any corpus size.
"""

from __future__ import annotations

from collections.abc import Iterator

import sqlalchemy as sa

from ..prepare import plain
from ..query import REPORTS_JOIN, decode_value, report_conditions
from ..schema import ORIGINS, STATES, cell_keys, cells, organs, reports

BATCH = 1000
_REPORT_COLUMNS = (
    reports.c.id.label("report_id"), organs.c.name.label("organ"), reports.c.organ_name, organs.c.province,
    organs.c.city, organs.c.county, organs.c.kind, reports.c.year, reports.c.template, reports.c.published,
    reports.c.errors, reports.c.warnings, reports.c.source, reports.c.sha256,
)


def templates_present(engine: sa.Engine, filters: dict) -> list[str]:
    """The formats of the selected reports, sorted ("2019", "2021")."""
    stmt = sa.select(reports.c.template).select_from(REPORTS_JOIN).where(*report_conditions(**filters)).distinct()
    with engine.connect() as conn:
        return sorted(t for t in conn.execute(stmt).scalars() if t)


def reports_with_cells(engine: sa.Engine, filters: dict) -> Iterator[tuple[dict, list[dict]]]:
    """(report, cells) of each selected report in id order. A report row has ``_REPORT_COLUMNS``'s names; a
    cell is {key, value, state, unit, raw, origin} with its value decoded and its raw text filled in."""
    last = 0
    with engine.connect() as conn:
        while batch := _report_batch(conn, last, filters):
            by_report = _cells_of(conn, [r["report_id"] for r in batch])
            for report in batch:
                yield report, by_report[report["report_id"]]
            last = batch[-1]["report_id"]


def _report_batch(conn: sa.Connection, after: int, filters: dict) -> list[dict]:
    stmt = (sa.select(*_REPORT_COLUMNS).select_from(REPORTS_JOIN)
            .where(reports.c.id > after, *report_conditions(**filters)).order_by(reports.c.id).limit(BATCH))
    return [dict(r) for r in conn.execute(stmt).mappings()]


def _cells_of(conn: sa.Connection, ids: list[int]) -> dict[int, list[dict]]:
    out: dict[int, list[dict]] = {i: [] for i in ids}
    stmt = (sa.select(cells, cell_keys.c.key).join(cell_keys, cell_keys.c.id == cells.c.key_id)
            .where(cells.c.report_id.in_(ids)).order_by(cells.c.report_id, cells.c.key_id))
    for r in conn.execute(stmt):
        value = decode_value(r.value, r.scale)
        # A NULL raw text means the source wrote the value plainly (the store's encoding).
        out[r.report_id].append({"key": r.key, "value": value, "state": STATES[r.state], "unit": r.unit,
                                 "raw": r.raw if r.raw is not None else (plain(value) or ""),
                                 "origin": ORIGINS[r.origin]})
    return out
