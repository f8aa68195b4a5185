"""Stored aggregates: the statistics of a national corpus in well under a second (issue #12 item 4).

At a million reports every figure of ``stats.py`` is a GROUP BY over a million rows joined with their organs —
seconds on PostgreSQL however it is indexed. ``summaries`` holds the current reports already summed per year,
format, province and kind of organ (``SUMMARY_DIMS``): every value column with how many numbers it had, every
pooled figure of ``ogi.figures.MEASURES`` (numerator, denominator, reports left out), and ``finding_summaries``
the findings per rule and severity with how many reports have them. Each of those is a sum, so any grouping
and filter made of the four dimensions is answered by summing a few thousand rows, and gives what the
reports themselves give (tests/test_summaries.py compares the two).

Never stale: on PostgreSQL, triggers on the tables the aggregates come from clear ``summary_state.valid`` in
the statement that changes them (revision 0010); while it is clear every figure is computed from the reports.
``rebuild`` runs at the end of a full cross-year pass (an ingest, a load) when the flag is clear. SQLite has no
such triggers and never uses the aggregates: its corpora are small enough to be answered directly.

This module is also the one home of the pooled figures' SQL (``pooled``, ``left_out``, ``numerator``), which
``stats.py`` uses over the reports and ``rebuild`` over the aggregates' source.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa

from ..figures import LEFT_OUT, MEASURES, Measure
from ..model import now
from ..normalise import to_simplified
from .database import write_lock
from .query import CURRENT, Filters
from .schema import (
    SUMMARY_DIMS,
    VALUE_KEYS,
    cells,
    figures,
    finding_summaries,
    findings,
    organs,
    reports,
    summaries,
    summary_state,
)

# The regions a filter may name that are one province exactly (a province's own name, or a municipality's).
_MUNICIPALITIES = ("北京市", "天津市", "上海市", "重庆市")


def numerator(m: Measure):
    return sum((figures.c[c] for c in m.plus), sa.literal(0.0)) - sum((figures.c[c] for c in m.minus), sa.literal(0.0))


def pooled(m: Measure) -> tuple:
    """Σ numerator and Σ denominator of ``m`` over the reports where every operand is known."""
    cols = [figures.c[c] for c in m.plus + m.minus + m.over]
    known = sa.and_(*(c.is_not(None) for c in cols))
    num = numerator(m)
    den = sum((figures.c[c] for c in m.over), sa.literal(0.0)) if m.over else None
    return (
        sa.func.sum(sa.case((known, num))).label(f"{m.name}__num"),
        sa.func.sum(sa.case((known, den))).label(f"{m.name}__den") if den is not None else None,
    )


def left_out(m: Measure):
    """Reports whose value of ``m`` is unknown: an operand blank, missing or unreadable (never counted as 0)."""
    cols = [figures.c[c] for c in m.plus + m.minus + m.over]
    known = sa.and_(*(c.is_not(None) for c in cols))
    return sa.func.sum(sa.case((known, 0), else_=1)).label(m.name + LEFT_OUT)


def usable(conn: sa.Connection) -> bool:
    """Whether the aggregates may answer: on PostgreSQL, and built since the last change they depend on."""
    if conn.dialect.name != "postgresql":
        return False
    return bool(conn.execute(sa.select(summary_state.c.valid).where(summary_state.c.id == 1)).scalar())


def rebuild(conn: sa.Connection) -> bool:
    """Compute the aggregates again from the current reports when they are out of date (PostgreSQL only); True
    when it did. Run under the corpus write lock, in the transaction that then marks them valid."""
    if conn.dialect.name != "postgresql" or usable(conn):
        return False
    dims = (reports.c.year, reports.c.template, organs.c.province, organs.c.kind)
    joined = (
        reports.join(cells, cells.c.report_id == reports.c.id)
        .join(figures, figures.c.report_id == reports.c.id)
        .outerjoin(organs, organs.c.id == reports.c.organ_id)
    )
    measures = []
    for m in MEASURES:
        num, den = pooled(m)
        measures += [num, den if den is not None else sa.literal(None, sa.Float), left_out(m)]
    select = (
        sa.select(
            *dims,
            sa.func.count(),
            *(sa.func.sum(cells.c[k]) for k in VALUE_KEYS),
            *(sa.func.count(cells.c[k]) for k in VALUE_KEYS),
            *measures,
        )
        .select_from(joined)
        .where(CURRENT)
        .group_by(*dims)
    )
    names = [*SUMMARY_DIMS, "reports", *VALUE_KEYS, *(k + "#n" for k in VALUE_KEYS)]
    names += [f"{m.name}#{part}" for m in MEASURES for part in ("num", "den", "left")]
    conn.execute(summaries.delete())
    conn.execute(summaries.insert().from_select(names, select))
    found = (
        sa.select(
            *dims, findings.c.rule, findings.c.severity, sa.func.count(), sa.func.count(findings.c.report_id.distinct())
        )
        .select_from(
            findings.join(reports, reports.c.id == findings.c.report_id).outerjoin(
                organs, organs.c.id == reports.c.organ_id
            )
        )
        .where(findings.c.kind == "finding", findings.c.status != "dismissed", CURRENT)
        .group_by(*dims, findings.c.rule, findings.c.severity)
    )
    conn.execute(finding_summaries.delete())
    conn.execute(
        finding_summaries.insert().from_select([*SUMMARY_DIMS, "rule", "severity", "findings", "reports"], found)
    )
    # Written last: the triggers fired by the statements above cleared the flag once more.
    conn.execute(summary_state.update().where(summary_state.c.id == 1).values(valid=True, built=now()))
    return True


def bring_up_to_date(engine: sa.Engine) -> bool:
    """``rebuild`` in a transaction of its own under the corpus write lock (the end of a full cross-year pass,
    ``Corpus.summarise``); SQLite, which never uses the aggregates, is not even locked."""
    if engine.dialect.name != "postgresql":
        return False
    with engine.begin() as conn:
        write_lock(conn)
        return rebuild(conn)


def conditions(conn: sa.Connection, by: Sequence[str], f: Filters, table: sa.Table) -> list | None:
    """``f`` as WHERE terms over an aggregates table, or None when the aggregates cannot answer it (grouped or
    filtered by anything but the four dimensions, superseded versions asked for, or out of date)."""
    if any(b not in SUMMARY_DIMS for b in by) or f.versions or not usable(conn):
        return None
    others = (f.city, f.county, f.township, f.organ, f.rule, f.severity, f.status, f.q, f.review, f.assignee)
    if any(others) or f.reading:
        return None
    conds = []
    province = f.province and to_simplified(f.province)
    if f.region:
        region = to_simplified(f.region.strip())
        if not (region.endswith(("省", "自治区")) or region in _MUNICIPALITIES):
            return None  # a city, a county or a prefix: only the reports know
        if province and province != region:
            return [sa.false()]
        province = region
    if province:
        conds.append(table.c.province == province)
    if (years := f.years()) is not None:
        conds.append(table.c.year.in_(years))
    if f.template:
        conds.append(table.c.template == str(f.template))
    if f.kind:
        conds.append(table.c.kind == f.kind)
    return conds


def totals(conn: sa.Connection, key: str, templates: list[str], by: Sequence[str], f: Filters) -> list | None:
    """Rows of (*by, reports, numbers, total) for one cell key (of the formats ``templates``), or None when the
    aggregates cannot answer."""
    if (conds := conditions(conn, by, f, summaries)) is None:
        return None
    groups = [summaries.c[b].label(b) for b in by]
    stmt = (
        sa.select(
            *groups,
            sa.func.sum(summaries.c.reports).label("reports"),
            sa.func.sum(summaries.c[key + "#n"]).label("numbers"),
            sa.func.sum(summaries.c[key]).label("total"),
        )
        .where(summaries.c.template.in_(templates), *conds)
        .group_by(*groups)
        .order_by(*groups)
    )
    return list(conn.execute(stmt).mappings())


def rates(conn: sa.Connection, by: Sequence[str], f: Filters) -> list | None:
    """Rows of (*by, reports, <measure>__num/__den, <measure>__left_out), or None when the aggregates cannot answer."""
    if (conds := conditions(conn, by, f, summaries)) is None:
        return None
    groups = [summaries.c[b].label(b) for b in by]
    columns = []
    for m in MEASURES:
        columns.append(sa.func.sum(summaries.c[f"{m.name}#num"]).label(f"{m.name}__num"))
        columns.append(sa.func.sum(summaries.c[f"{m.name}#den"]).label(f"{m.name}__den"))
        columns.append(sa.func.sum(summaries.c[f"{m.name}#left"]).label(m.name + LEFT_OUT))
    stmt = (
        sa.select(*groups, sa.func.sum(summaries.c.reports).label("reports"), *columns)
        .where(*conds)
        .group_by(*groups)
        .order_by(*groups)
    )
    return list(conn.execute(stmt).mappings())


def findings_by_rule(conn: sa.Connection, by: Sequence[str], f: Filters) -> list[dict] | None:
    if (conds := conditions(conn, by, f, finding_summaries)) is None:
        return None
    t = finding_summaries
    groups = [t.c[b].label(b) for b in by]
    stmt = (
        sa.select(
            *groups,
            t.c.rule,
            t.c.severity,
            sa.func.sum(t.c.findings).label("findings"),
            sa.func.sum(t.c.reports).label("reports"),
        )
        .where(*conds)
        .group_by(*groups, t.c.rule, t.c.severity)
        .order_by(*groups, t.c.rule, t.c.severity)
    )
    return [
        {k: int(v) if k in ("findings", "reports") else v for k, v in r.items()} for r in conn.execute(stmt).mappings()
    ]


def count(conn: sa.Connection, f: Filters) -> int | None:
    if (conds := conditions(conn, (), f, summaries)) is None:
        return None
    return int(conn.execute(sa.select(sa.func.sum(summaries.c.reports)).where(*conds)).scalar() or 0)
