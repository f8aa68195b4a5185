"""The cross-year refresh: run ``crossyear``'s rules for every stale report of the corpus, in batches.

A report is stale when it is new, re-parsed or corrected, or when a neighbouring year of the same organ
arrived. Its corpus findings are recomputed against the organ's previous year, and near-identical
narratives of other organs in the same year are found with ``crossyear.PeerIndex``; a reviewer's verdict
on a finding that comes back is kept (``rows.insert_findings``).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

import sqlalchemy as sa

from ..crossyear import NARRATIVE, NEEDED_KEYS, Light, PeerIndex, cross_year, peer_finding
from . import summaries
from .database import write_lock
from .rows import encode_finding, insert_findings, recount, reviews, stored_number
from .schema import VALUE_KEYS, cells, findings, reports, runs, sections

_NEEDED_VALUES = [k for k in NEEDED_KEYS if k in VALUE_KEYS]  # the value columns the rules read


def _year_index(conn: sa.Connection, year: int) -> PeerIndex:
    return PeerIndex(
        conn.execute(
            sa.select(reports.c.id, reports.c.organ_id, reports.c.fingerprint).where(
                reports.c.year == year, reports.c.fingerprint.is_not(None)
            )
        ).all()
    )


def _light_records(conn: sa.Connection, ids: list[int]) -> dict[int, Light]:
    """Just what the rules read: year, format, the needed cells' values and the prose sections, for many reports."""
    out = {
        r.id: Light(r.year, r.template, {})
        for r in conn.execute(sa.select(reports.c.id, reports.c.year, reports.c.template).where(reports.c.id.in_(ids)))
    }
    # Values only, from their columns: the rules read nothing else (a cell counts only when it holds a number,
    # and a value is stored only for those), and unpacking every cell of a report cost half a refresh.
    for row in conn.execute(
        sa.select(cells.c.report_id, *(cells.c[k] for k in _NEEDED_VALUES)).where(cells.c.report_id.in_(ids))
    ):
        out[row[0]].numbers = {
            key: stored_number(value) for key, value in zip(_NEEDED_VALUES, row[1:]) if value is not None
        }
    for s in conn.execute(
        sa.select(sections.c.report_id, sections.c.number, sections.c.text)
        .where(sections.c.report_id.in_(ids), sections.c.number.in_(NARRATIVE))
        .order_by(sections.c.report_id, sections.c.number)
    ):
        out[s.report_id].sections[s.number] = s.text
    return out


def refresh_stale(engine: sa.Engine, report_ids: list[int] | None = None, batch: int = 400) -> int:
    """Recompute corpus findings of stale reports (all, or ``report_ids`` and their stale next years)."""
    forced = set(report_ids or ())  # asked for by id (a correction): refreshed even if not marked stale
    with engine.connect() as conn:
        stmt = sa.select(reports.c.id).where(reports.c.stale.is_(True))
        if report_ids is not None:
            ids = set(report_ids)
            pairs = conn.execute(sa.select(reports.c.organ_id, reports.c.year).where(reports.c.id.in_(ids))).all()
            for organ_id, year in pairs:
                if organ_id is not None and year is not None:
                    ids |= set(
                        conn.execute(stmt.where(reports.c.organ_id == organ_id, reports.c.year == year + 1)).scalars()
                    )
            stmt = sa.select(reports.c.id).where(reports.c.id.in_(ids))
        # Year by year: one year's near-duplicate index is in memory at a time (memory stays flat).
        by_year: dict[int | None, list[int]] = defaultdict(list)
        for rid, year in conn.execute(stmt.add_columns(reports.c.year).order_by(reports.c.year, reports.c.id)):
            by_year[year].append(rid)
    for todo in by_year.values():
        indexes: dict[int, PeerIndex] = {}
        for start in range(0, len(todo), batch):
            with engine.begin() as conn:
                # Under the write lock, and only what is still stale: another process (a second ingest)
                # may have refreshed these reports meanwhile; refreshing twice would write findings twice.
                write_lock(conn)
                chosen = todo[start : start + batch]
                still = conn.execute(
                    sa.select(reports.c.id).where(reports.c.id.in_(chosen), reports.c.stale.is_(True))
                ).scalars()
                due = sorted(set(still) | (set(chosen) & forced))
                if due:
                    _refresh_batch(conn, due, indexes)
    if report_ids is None:  # a full pass (the end of an ingest or a load): the aggregates follow the reports
        summaries.bring_up_to_date(engine)
    return sum(len(t) for t in by_year.values())


def previous_reports(conn: sa.Connection, wanted: set[tuple[int, int]]) -> dict[tuple[int, int], int]:
    """(organ, year) → the organ's current report of that year, when it has several (versions, formats).

    Chosen by what the reports say and when they came, never by row id (which depends on which worker
    finished first, so two identical ingests would compare with different reports): the latest publication
    date, then the latest ingest (the run's start, so one run's reports tie, or the time of a single upload),
    then the sha256 of the file, which makes the choice the same on every run."""
    if not wanted:
        return {}
    came = sa.func.coalesce(runs.c.started, reports.c.added)
    best: dict[tuple[int, int], tuple] = {}
    stmt = (
        sa.select(reports.c.id, reports.c.organ_id, reports.c.year, reports.c.published, came, reports.c.sha256)
        .select_from(reports.outerjoin(runs, runs.c.id == reports.c.run_id))
        .where(reports.c.organ_id.in_({o for o, _ in wanted}), reports.c.year.in_({y for _, y in wanted}))
    )
    for rid, organ_id, year, published, arrived, sha in conn.execute(stmt):
        if (organ_id, year) not in wanted:
            continue
        rank = (published is not None, published or dt.date.min, arrived, sha)
        if (organ_id, year) not in best or rank > best[(organ_id, year)][0]:
            best[(organ_id, year)] = (rank, rid)
    return {pair: rid for pair, (_, rid) in best.items()}


def _refresh_batch(conn: sa.Connection, ids: list[int], indexes: dict) -> None:
    rows = conn.execute(sa.select(reports.c.id, reports.c.organ_id, reports.c.year).where(reports.c.id.in_(ids))).all()
    wanted = {(r.organ_id, r.year - 1) for r in rows if r.organ_id is not None and r.year is not None}
    prev_of = previous_reports(conn, wanted)
    records = _light_records(conn, list(set(ids) | set(prev_of.values())))
    new_rows, partners = [], set()
    for r in rows:
        prev_id = prev_of.get((r.organ_id, (r.year or 0) - 1))
        previous = records.get(prev_id) if prev_id is not None else None
        for f in cross_year(records[r.id], previous):
            new_rows.append(encode_finding(r.id, "corpus", f, prev_id if f.rule != "OUTLIER" or previous else None))
    for year in {r.year for r in rows if r.year is not None}:
        index = indexes.get(year) or indexes.setdefault(year, _year_index(conn, year))
        for rid in (r.id for r in rows if r.year == year):
            for other, share in index.peers(rid):
                partners.add(other)
                for a, b in ((rid, other), (other, rid)):
                    new_rows.append(encode_finding(a, "corpus", peer_finding(share, b), b))
    touched = sorted(set(ids) | partners)
    kept = reviews(conn, touched)
    conn.execute(findings.delete().where(findings.c.report_id.in_(ids), findings.c.origin == "corpus"))
    conn.execute(
        findings.delete().where(
            findings.c.other_report_id.in_(ids), findings.c.origin == "corpus", findings.c.cell_keys == "narrative.peer"
        )
    )
    new_rows = list({(d["report_id"], d["rule"], d["cell_keys"], d["other_report_id"]): d for d in new_rows}.values())
    insert_findings(conn, new_rows, kept)
    conn.execute(reports.update().where(reports.c.id.in_(ids)).values(stale=False))
    recount(conn, touched)
