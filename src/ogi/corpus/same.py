"""One report, several files: the same organ-year report read from its DOCX, HTML, PDF and text is one report.

``same_report`` is the one decision, called from the store path before a new file becomes a report. A file
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
from .organs import organ_key
from .rows import Prepared
from .schema import cell_keys, cells, report_sources, reports, sources

# Share of the smaller fingerprint's sampled shingles that the other must have.
TEXT_AGREEMENT = 0.8
_CANDIDATES = 20


def same_report(conn: sa.Connection, prep: Prepared) -> int | None:
    """The id of the stored report ``prep`` is another file of (recording the file as its source), or None."""
    report = prep.report
    key = organ_key(prep.organ_name) if prep.organ_name else None
    if report.get("year") is None or not prep.cells:
        return None
    organ = reports.c.organ_key == key if key else reports.c.organ_key.is_(None)
    candidates = conn.execute(
        sa.select(reports.c.id, reports.c.fingerprint)
        .where(
            reports.c.year == report["year"],
            reports.c.template == report.get("template"),
            reports.c.sha256 != prep.sha256,
            organ,
        )
        .limit(_CANDIDATES)
    ).all()
    mine = _cells(prep)
    for candidate in candidates:
        if _text_agrees(report.get("fingerprint"), candidate.fingerprint) and _stored_cells(conn, candidate.id) == mine:
            add_source(conn, candidate.id, prep)
            return candidate.id
    return None


def same_file(first: Prepared, other: Prepared) -> bool:
    """Whether two files of one batch, neither stored yet, are the same report (the test ``same_report``
    makes against the corpus)."""
    a, b = first.report, other.report
    if (
        a.get("year") is None
        or not first.cells
        or (a.get("year"), a.get("template")) != (b.get("year"), b.get("template"))
    ):
        return False
    key_a = organ_key(first.organ_name) if first.organ_name else None
    key_b = organ_key(other.organ_name) if other.organ_name else None
    return (
        key_a == key_b and _text_agrees(a.get("fingerprint"), b.get("fingerprint")) and _cells(first) == _cells(other)
    )


def _cells(prep: Prepared) -> dict[str, tuple]:
    # (key, value, scale, state, …): value and state are what a figure reads
    return {c[0]: (c[1], c[3]) for c in prep.cells}


def _stored_cells(conn: sa.Connection, report_id: int) -> dict[str, tuple]:
    rows = conn.execute(
        sa.select(cell_keys.c.key, cells.c.value, cells.c.state)
        .join(cell_keys, cell_keys.c.id == cells.c.key_id)
        .where(cells.c.report_id == report_id)
    )
    return {r.key: (r.value, r.state) for r in rows}


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
