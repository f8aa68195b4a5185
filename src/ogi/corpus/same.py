"""One report, several files: the same organ-year report read from its DOCX, HTML, PDF and text is one report.

``same_reports`` is the one decision, called from the store path before a new file becomes a report. A file
is the same report as a stored one when the year, template and organ spelling (or both organs unknown)
agree, every cell agrees in value and state, and the narratives share most of their sampled shingles
(``crossyear.fingerprint``; formats differ in line breaks and page furniture, never in most of the text).
The file is then listed in ``report_sources`` and its bytes kept in ``sources``: nothing a user gave is
lost, and every figure counts the report once. A file with other numbers or other text is another report
(or another version of it) and is stored as such.
"""

from __future__ import annotations

from array import array

import sqlalchemy as sa

from ..model import now
from .rows import Prepared, unpack_cells
from .schema import cells, report_sources, reports, sources

# Share of the smaller fingerprint's sampled shingles that the other must have.
TEXT_AGREEMENT = 0.8
_CANDIDATES = 20
_GROUP = (reports.c.organ_key, reports.c.year, reports.c.template)


def same_reports(conn: sa.Connection, preps: list[Prepared]) -> dict[str, int]:
    """sha256 → the id of the stored report each file is another file of (the file recorded as its source),
    for the files that are; the stored candidates of a whole batch are looked up at once."""
    judged = [p for p in preps if p.report.get("year") is not None and p.cells]
    candidates: dict[tuple, list] = {}
    keyed = [p for p in judged if p.organ_key]
    for start in range(0, len(keyed), 500):
        chunk = keyed[start : start + 500]
        for row in conn.execute(
            sa.select(reports.c.id, reports.c.sha256, reports.c.fingerprint, *_GROUP).where(
                reports.c.organ_key.in_({p.organ_key for p in chunk}),
                reports.c.year.in_({p.report["year"] for p in chunk}),
            )
        ):
            candidates.setdefault((row.organ_key, row.year, row.template), []).append(row)
    out = {}
    for prep in judged:
        group = (prep.organ_key, prep.report["year"], prep.report.get("template"))
        if prep.organ_key is None:  # both organs unknown: the same year and format, a few at most
            rows = conn.execute(
                sa.select(reports.c.id, reports.c.sha256, reports.c.fingerprint, *_GROUP)
                .where(reports.c.organ_key.is_(None), reports.c.year == group[1], reports.c.template == group[2])
                .limit(_CANDIDATES)
            ).all()
        else:
            rows = candidates.get(group, [])[:_CANDIDATES]
        mine = None
        for candidate in rows:
            if candidate.sha256 == prep.sha256 or not _text_agrees(
                prep.report.get("fingerprint"), candidate.fingerprint
            ):
                continue
            mine = _cells(prep.cells) if mine is None else mine
            if _stored_cells(conn, candidate.id) == mine:
                add_source(conn, candidate.id, prep)
                out[prep.sha256] = candidate.id
                break
    return out


def file_key(prep: Prepared) -> tuple:
    """What two files of one report share exactly: files with different keys are never the same report."""
    return (prep.report.get("year"), prep.report.get("template"), prep.organ_key, prep.values)


def same_file(first: Prepared, other: Prepared) -> bool:
    """Whether two files of one batch, neither stored yet, are the same report (the test ``same_reports``
    makes against the corpus)."""
    if first.report.get("year") is None or not first.cells or file_key(first) != file_key(other):
        return False
    return _text_agrees(first.report.get("fingerprint"), other.report.get("fingerprint")) and _cells(
        first.cells
    ) == _cells(other.cells)


def _cells(detail: bytes | None) -> dict[str, tuple]:
    # (key, value, scale, state, …): value and state are what a figure reads
    return {c[0]: (c[1], c[3]) for c in unpack_cells(detail)}


def _stored_cells(conn: sa.Connection, report_id: int) -> dict[str, tuple]:
    return _cells(conn.execute(sa.select(cells.c.detail).where(cells.c.report_id == report_id)).scalar())


def _text_agrees(a: bytes | None, b: bytes | None) -> bool:
    if a is None or b is None:
        return a is None and b is None  # both too short to judge: the cells decide
    x, y = set(array("I", a)), set(array("I", b))
    return len(x & y) >= TEXT_AGREEMENT * min(len(x), len(y))


def add_source(conn: sa.Connection, report_id: int, prep: Prepared) -> None:
    report = prep.report
    exists = sa.select(report_sources.c.sha256).where(report_sources.c.sha256 == prep.sha256)
    if conn.execute(exists).first() is None:
        conn.execute(
            report_sources.insert().values(
                sha256=prep.sha256,
                report_id=report_id,
                source=report["source"],
                kind=report.get("kind") or "text",
                parser_version=report["parser_version"],
                added=now(),
            )
        )
    kept = sa.select(sources.c.sha256).where(sources.c.sha256 == prep.sha256)
    if prep.data is not None and conn.execute(kept).first() is None:
        conn.execute(sources.insert().values(sha256=prep.sha256, data=prep.data))


def extra_sources(conn: sa.Connection, report_ids: list[int]) -> dict[int, list[dict]]:
    """The further files of each report: {report id: [{sha256, source, kind, added}]}."""
    out: dict[int, list[dict]] = {}
    rows = conn.execute(
        sa.select(report_sources).where(report_sources.c.report_id.in_(report_ids)).order_by(report_sources.c.added)
    )
    for r in rows:
        out.setdefault(r.report_id, []).append(
            {"sha256": r.sha256, "source": r.source, "kind": r.kind, "added": r.added}
        )
    return out
