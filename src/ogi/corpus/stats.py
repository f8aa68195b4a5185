"""Corpus figures (issue #4 item 5): totals of any cell, the derived rates of spec §6, rankings, findings by rule.

Each function is one indexed GROUP BY (SQLite and PostgreSQL alike) and returns plain dicts; ``LABELS`` gives
the Chinese column headings the CLI and exports print. The rates are declared once in ``ogi.figures``; here
they are pooled — Σ numerator / Σ denominator over the reports where both are known — which is how an
office sums a region.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa

from ..figures import FIGURES, LEFT_OUT, MEASURE, MEASURES, ratio
from ..forms import TEMPLATES, keys, label_of
from ..harmonise import HARMONISED_BY_NAME
from ..model import InvalidInput
from . import summaries
from .query import REPORTS_JOIN, Filters, count_reports
from .schema import VALUE_KEYS, cells, figures, findings, organs, reports
from .summaries import left_out, numerator, pooled

BY = {
    "year": reports.c.year,
    "province": organs.c.province,
    "city": organs.c.city,
    "county": organs.c.county,
    "kind": organs.c.kind,
    "sector": organs.c.sector,
    "level": organs.c.level,
    "template": reports.c.template,
    "organ": organs.c.name,
}
LABELS = {
    "year": "年度",
    "province": "省",
    "city": "市",
    "county": "县(区)",
    "kind": "机关类型",
    "sector": "领域",
    "level": "层级",
    "template": "格式",
    "organ": "机关",
    "reports": "报告数",
    "numbers": "有数值报告数",
    "report_id": "报告编号",
    "value": "数值",
    "rule": "规则",
    "severity": "级别",
    "findings": "发现数",
    "base": "基数",
}


LABELS |= {m.name: m.label for m in MEASURES}
LABELS |= {m.name + LEFT_OUT: f"{m.label}·未计入报告数" for m in MEASURES}


def _by(by: Sequence[str]) -> list:
    unknown = [b for b in by if b not in BY]
    if unknown:
        raise InvalidInput("stats", f"未知的分组 {', '.join(unknown)} (use {', '.join(BY)})")
    return [BY[b].label(b) for b in by]


def _key_value(key: str) -> tuple:
    """A cell key → (its value column, the formats that have it)."""
    if key not in VALUE_KEYS:
        raise InvalidInput("stats", f"未知的单元格 {key}（单元格键见 ogi keys 与 docs/codebook.md）")
    return cells.c[key], [t for t in TEMPLATES if key in keys(t)]


def _value_of(key: str, harmonised: bool) -> tuple:
    """(A report's value of ``key`` as SQL, the formats that have it). A harmonised variable (ogi.harmonise) is
    the sum of its cells in the report's format, unknown when any of them is (a blank is not a 0)."""
    if not harmonised:
        return _key_value(key)
    variable = HARMONISED_BY_NAME.get(key)
    if variable is None:
        raise InvalidInput("stats", f"未知的统一变量 {key}（统一变量见 ogi keys --harmonised 与 docs/codebook.md）")
    sums = {t: sum((cells.c[k] for k in parts[1:]), cells.c[parts[0]]) for t, parts in variable.parts.items() if parts}
    return sa.case(*((reports.c.template == t, total) for t, total in sums.items())), list(sums)


def totals(
    conn: sa.Connection,
    keys: str | list[str] | tuple[str, ...],
    by: Sequence[str],
    f: Filters,
    harmonised: bool = False,
) -> list[dict]:
    """Σ of each cell key per group, with how many reports (and how many had a number there). With
    ``harmonised``, a key is a harmonised variable (ogi.harmonise): the cells of either format that make it,
    per report, unknown when any part is (a blank is not a 0)."""
    names = [keys] if isinstance(keys, str) else list(keys)
    groups = _by(by)
    out: dict[tuple, dict] = {}
    for key in names:
        value, templates = _value_of(key, harmonised)
        found = None if harmonised else summaries.totals(conn, key, templates, by, f)
        if found is None:
            stmt = (
                sa.select(
                    *groups,
                    sa.func.count().label("reports"),
                    sa.func.count(value).label("numbers"),
                    sa.func.sum(value).label("total"),
                )
                .select_from(cells.join(REPORTS_JOIN, reports.c.id == cells.c.report_id))
                .where(reports.c.template.in_(templates), *f.conditions())
                .group_by(*groups)
                .order_by(*groups)
            )
            found = list(conn.execute(stmt).mappings())
        for r in found:
            group = tuple(r[b] for b in by)
            entry = out.setdefault(group, {b: r[b] for b in by} | {"reports": int(r["reports"])})
            entry[key] = _clean(r["total"])
            entry["reports"] = max(entry["reports"], int(r["reports"]))
            entry.setdefault("numbers", {})[key] = int(r["numbers"] or 0)
    return list(out.values())


def _clean(x):
    if x is None:
        return None
    return int(x) if float(x).is_integer() else round(float(x), 4)


def rates(conn: sa.Connection, by: Sequence[str], f: Filters) -> list[dict]:
    """Every measure of ``MEASURES`` per group, pooled over the group's reports."""
    groups = _by(by)
    found = summaries.rates(conn, by, f)
    if found is None:
        columns = [c for m in MEASURES for c in pooled(m) if c is not None]
        columns += [left_out(m) for m in MEASURES]
        stmt = (
            sa.select(*groups, sa.func.count().label("reports"), *columns)
            .select_from(figures.join(REPORTS_JOIN, reports.c.id == figures.c.report_id))
            .where(*f.conditions())
            .group_by(*groups)
            .order_by(*groups)
        )
        found = list(conn.execute(stmt).mappings())
    out = []
    for r in found:
        row = {b: r[b] for b in by} | {"reports": int(r["reports"])}
        for m in MEASURES:
            num = r[f"{m.name}__num"]
            row[m.name] = ratio(m, num, r[f"{m.name}__den"]) if m.over else _clean(num)
        for m in MEASURES:  # after the figures: how many reports each leaves out (an operand blank or unreadable)
            row[m.name + LEFT_OUT] = int(r[m.name + LEFT_OUT] or 0)
        out.append(row)
    return out


def ranking(
    conn: sa.Connection, measure: str, top: int, f: Filters, *, ascending: bool = False, min_base: float = 10
) -> list[dict]:
    """Reports ranked by a cell key or a measure (rates only over reports whose base ≥ ``min_base``)."""
    base_cols = [
        reports.c.id.label("report_id"),
        organs.c.name.label("organ"),
        reports.c.year,
        organs.c.province,
        organs.c.city,
        organs.c.county,
    ]
    conds = f.conditions()
    if measure in MEASURE:
        m = MEASURE[measure]
        num = numerator(m)
        if m.over:
            den = sum((figures.c[c] for c in m.over), sa.literal(0.0))
            value = (1 - num / den) if m.complement else num / den
            conds += [den >= max(min_base, 1)]
        else:
            value, den = num, None
        conds += [value.is_not(None)]
        cols = base_cols + [value.label("value")] + ([den.label("base")] if den is not None else [])
        source = figures.join(REPORTS_JOIN, reports.c.id == figures.c.report_id)
    else:
        value, _ = _key_value(measure)
        cols, conds = base_cols + [value.label("value")], conds + [value.is_not(None)]
        source = cells.join(REPORTS_JOIN, reports.c.id == cells.c.report_id)
    order = value.asc() if ascending else value.desc()
    stmt = sa.select(*cols).select_from(source).where(*conds).order_by(order, reports.c.id).limit(top)
    rows = [dict(r) for r in conn.execute(stmt).mappings()]
    for r in rows:
        r["value"] = round(r["value"], 4) if measure in MEASURE and MEASURE[measure].over else _clean(r["value"])
        if "base" in r:
            r["base"] = _clean(r["base"])
    return rows


def findings_by_rule(conn: sa.Connection, by: Sequence[str], f: Filters) -> list[dict]:
    """Findings (not dismissed) per rule and severity, and how many reports have them."""
    groups = _by(by)
    if (stored := summaries.findings_by_rule(conn, by, f)) is not None:
        return stored
    conds = f.conditions()
    # Without groups or filters on reports, the covering index on findings answers alone.
    source = findings.join(REPORTS_JOIN, reports.c.id == findings.c.report_id) if groups or conds else findings
    stmt = (
        sa.select(
            *groups,
            findings.c.rule,
            findings.c.severity,
            sa.func.count().label("findings"),
            sa.func.count(sa.distinct(findings.c.report_id)).label("reports"),
        )
        .select_from(source)
        .where(findings.c.kind == "finding", findings.c.status != "dismissed", *conds)
        .group_by(*groups, findings.c.rule, findings.c.severity)
        .order_by(*groups, findings.c.rule, findings.c.severity)
    )
    return [dict(r) for r in conn.execute(stmt).mappings()]


def by_region(conn: sa.Connection, level: str, f: Filters) -> list[dict]:
    """Per region at ``level``: reports, applications handled, the pooled 公开率, errors and warnings."""
    column = BY[level]
    handled, open_rate = MEASURE["handled"], MEASURE["open_rate"]
    opened, decided = pooled(open_rate)
    stmt = (
        sa.select(
            column.label("region"),
            sa.func.count().label("reports"),
            # A region's workload: every report counts, an unknown operand as 0 (unlike the pooled rates).
            sa.func.sum(sum(sa.func.coalesce(figures.c[c], 0) for c in handled.plus)).label(handled.name),
            opened,
            decided,
            sa.func.sum(reports.c.errors).label("errors"),
            sa.func.sum(reports.c.warnings).label("warnings"),
        )
        .select_from(figures.join(REPORTS_JOIN, reports.c.id == figures.c.report_id))
        .where(column.is_not(None), *f.conditions())
        .group_by(column)
        .order_by(column)
    )
    rows = [dict(r) for r in conn.execute(stmt).mappings()]
    for row in rows:
        row["open_rate"] = ratio(open_rate, row.pop(opened.name), row.pop(decided.name))
        row["handled"] = int(row["handled"] or 0)
    return rows


def figures_by_year(conn: sa.Connection, f: Filters) -> list[dict]:
    """Σ of the figures (applications and outcomes) per year."""
    stmt = (
        sa.select(
            reports.c.year, sa.func.count().label("reports"), *(sa.func.sum(figures.c[c]).label(c) for c in FIGURES)
        )
        .select_from(figures.join(REPORTS_JOIN, reports.c.id == figures.c.report_id))
        .where(reports.c.year.is_not(None), *f.conditions())
        .group_by(reports.c.year)
        .order_by(reports.c.year)
    )
    return [{k: _clean(v) if k != "year" else v for k, v in r.items()} for r in conn.execute(stmt).mappings()]


def figures_per_report(conn: sa.Connection, f: Filters) -> list[dict]:
    """The figures of each report (for the distributions of 公开率 and 纠错率)."""
    stmt = (
        sa.select(reports.c.id, reports.c.year, *(figures.c[c] for c in FIGURES))
        .select_from(figures.join(REPORTS_JOIN, reports.c.id == figures.c.report_id))
        .where(*f.conditions())
    )
    return [dict(r) for r in conn.execute(stmt).mappings()]


def label(name: str) -> str:
    """Chinese heading for a stats column: a grouping, a measure, or a cell key."""
    return LABELS.get(name) or label_of(name)


__all__ = [
    "by_region",
    "figures_by_year",
    "figures_per_report",
    "findings_by_rule",
    "label",
    "ranking",
    "rates",
    "totals",
]


def count(conn: sa.Connection, f: Filters) -> int:
    """How many reports the filters select: from the stored aggregates when they can say."""
    stored = summaries.count(conn, f)
    return count_reports(conn, f) if stored is None else stored
