"""Queries the web app needs beyond ``store.Corpus`` (SQLAlchemy Core over the store's tables, read only).

The store filters by one region name; pages filter by the full hierarchy province → city → county →
township (a township is the leading 镇/乡/街道 of an organ's name without its region prefix). The store's
own filters (year, organ, format, rule, severity, status, q) are reused through ``query.report_conditions``.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass

import sqlalchemy as sa
from fastapi import Query

from ..forms import deadline
from ..normalise import to_simplified
from ..query import REPORTS_JOIN, report_conditions
from ..schema import FIGURES, figures, findings, organs, reports
from ..schema import failures as failure_rows

TOWNSHIP = re.compile(r"^[^县区乡镇]{1,8}?(?:镇|乡|街道)")
LEVELS = ("province", "city", "county", "township")
LEVEL_ZH = {"province": "省", "city": "市", "county": "县(区)", "township": "乡镇(街道)"}
SEVERITIES = ("error", "warning", "info")


@dataclass(slots=True)
class Filters:
    year: int | None = None
    province: str | None = None
    city: str | None = None
    county: str | None = None
    township: str | None = None
    organ: str | None = None
    template: str | None = None
    rule: str | None = None
    severity: str | None = None
    status: str | None = None
    q: str | None = None

    def store(self) -> dict:
        """The part the store's ``report_conditions`` understands (region is handled here)."""
        return {"year": self.year, "organ": self.organ, "template": self.template, "rule": self.rule,
                "severity": self.severity, "status": self.status, "q": self.q}

    def conditions(self) -> list:
        return report_conditions(**self.store()) + self.region_conditions()

    def region_conditions(self) -> list:
        conds = [organs.c[level] == getattr(self, level) for level in ("province", "city", "county")
                 if getattr(self, level)]
        if self.township:
            conds.append(organs.c.core.startswith(self.township, autoescape=True))
        return conds

    def params(self) -> dict:
        return {k: v for k, v in asdict(self).items() if v not in (None, "")}

    def deepest_region(self) -> str | None:
        return self.township or self.county or self.city or self.province


def _clean(text: str | None) -> str | None:
    text = (text or "").strip()
    return to_simplified(text) if text else None


def filters(
    year: str | None = Query(None, description="报告年度，如 2021"),
    province: str | None = Query(None, description="省"),
    city: str | None = Query(None, description="市"),
    county: str | None = Query(None, description="县(区)"),
    township: str | None = Query(None, description="乡镇(街道)"),
    organ: str | None = Query(None, description="机关名称（全称或部分，简体或繁体）"),
    template: str | None = Query(None, description="格式：2019 或 2021"),
    rule: str | None = Query(None, description="审核规则编号，如 T3-BALANCE"),
    severity: str | None = Query(None, description="级别：error / warning / info"),
    status: str | None = Query(None, description="审核状态：open / confirmed / dismissed"),
    q: str | None = Query(None, description="在机关名、标题和文件名中搜索"),
) -> Filters:
    """Query parameters → Filters; empty form fields mean "any" (an HTML form sends year= when blank)."""
    year_text = (year or "").strip()
    return Filters(
        year=int(year_text) if year_text.isdigit() else None, province=_clean(province), city=_clean(city),
        county=_clean(county), township=_clean(township), organ=_clean(organ),
        template=template if template in ("2019", "2021") else None, rule=_clean(rule),
        severity=severity if severity in SEVERITIES else None,
        status=status if status in ("open", "confirmed", "dismissed") else None, q=_clean(q))


def township_of(core: str | None) -> str | None:
    m = TOWNSHIP.match(core or "")
    return m.group(0) if m else None


_ROW = (reports.c.id, reports.c.source, reports.c.organ_id, organs.c.name.label("organ"), reports.c.organ_name,
        organs.c.province, organs.c.city, organs.c.county, organs.c.core, organs.c.kind, reports.c.year,
        reports.c.template, reports.c.published, reports.c.kind.label("file_kind"), reports.c.errors,
        reports.c.warnings, reports.c.infos)
_ORDER = {"id": (reports.c.id.desc(),), "year": (reports.c.year.desc(), reports.c.id),
          "organ": (organs.c.name, reports.c.year), "errors": (reports.c.errors.desc(), reports.c.warnings.desc())}


def list_reports(conn: sa.Connection, f: Filters, limit: int, offset: int, order: str = "id") -> list[dict]:
    stmt = (sa.select(*_ROW).select_from(REPORTS_JOIN).where(*f.conditions())
            .order_by(*_ORDER.get(order, _ORDER["id"])).limit(limit).offset(offset))
    out = []
    for r in conn.execute(stmt).mappings():
        row = dict(r)
        row["township"] = township_of(row.pop("core"))
        row["organ"] = row["organ"] or row["organ_name"]
        out.append(row)
    return out


def count_reports(conn: sa.Connection, f: Filters) -> int:
    return conn.execute(sa.select(sa.func.count()).select_from(REPORTS_JOIN).where(*f.conditions())).scalar() or 0


def region_options(conn: sa.Connection, f: Filters) -> dict[str, list[str]]:
    """Choices for each level of the region filter, narrowed by the levels already chosen."""
    rows = conn.execute(sa.select(organs.c.province, organs.c.city, organs.c.county, organs.c.core)
                        .where(organs.c.id.in_(sa.select(reports.c.organ_id)) | organs.c.imported)).all()
    options: dict[str, set] = {level: set() for level in LEVELS}
    for province, city, county, core in rows:
        place = {"province": province, "city": city, "county": county, "township": township_of(core)}
        for i, level in enumerate(LEVELS):
            parents_match = all(not getattr(f, p) or place[p] == getattr(f, p) for p in LEVELS[:i])
            if parents_match and place[level]:
                options[level].add(place[level])
    return {level: sorted(values) for level, values in options.items()}


def years(conn: sa.Connection) -> list[int]:
    return [y for (y,) in conn.execute(sa.select(reports.c.year).distinct().where(reports.c.year.is_not(None))
                                       .order_by(reports.c.year.desc()))]


def rules_seen(conn: sa.Connection) -> list[str]:
    return list(conn.execute(sa.select(findings.c.rule).distinct().order_by(findings.c.rule)).scalars())


def count_failures(conn: sa.Connection) -> int:
    return conn.execute(sa.select(sa.func.count()).select_from(failure_rows)).scalar() or 0


def has_registry(conn: sa.Connection) -> bool:
    return conn.execute(sa.select(organs.c.id).where(organs.c.imported.is_(True)).limit(1)).first() is not None


def coverage(conn: sa.Connection, year: int, f: Filters, registry_only: bool) -> list[dict]:
    """Every organ of the region (the imported registry, or all known organs) with its report for ``year``."""
    mine = (sa.select(reports.c.organ_id, sa.func.min(reports.c.id).label("report_id"),
                      sa.func.min(reports.c.published).label("published"),
                      sa.func.max(sa.cast(reports.c.is_government, sa.Integer)).label("government"))
            .where(reports.c.year == year).group_by(reports.c.organ_id).subquery())
    stmt = (sa.select(organs.c.id, organs.c.name, organs.c.province, organs.c.city, organs.c.county, organs.c.core,
                      organs.c.kind, organs.c.imported, mine.c.report_id, mine.c.published, mine.c.government)
            .select_from(organs.outerjoin(mine, mine.c.organ_id == organs.c.id))
            .where(*f.region_conditions()).order_by(organs.c.province, organs.c.city, organs.c.county, organs.c.name))
    if registry_only:
        stmt = stmt.where(organs.c.imported.is_(True))
    if f.organ:
        stmt = stmt.where(organs.c.name.contains(f.organ, autoescape=True))
    out = []
    for r in conn.execute(stmt).mappings():
        row = dict(r)
        row["township"] = township_of(row.pop("core"))
        government = bool(row.pop("government")) or row["kind"] == "人民政府"
        row["deadline"] = deadline(year, government)
        published = row["published"]
        row["state"] = ("missing" if row["report_id"] is None else "unknown" if published is None
                        else "late" if published > row["deadline"] else "on_time")
        row["days_late"] = (published - row["deadline"]).days if row["state"] == "late" else None
        out.append(row)
    return out


def by_year(conn: sa.Connection, f: Filters) -> list[dict]:
    """Σ of the figures columns (applications and outcomes) per year."""
    stmt = (sa.select(reports.c.year, sa.func.count().label("reports"), *(sa.func.sum(figures.c[c]).label(c) for c in FIGURES))
            .select_from(figures.join(REPORTS_JOIN, reports.c.id == figures.c.report_id))
            .where(reports.c.year.is_not(None), *f.conditions()).group_by(reports.c.year).order_by(reports.c.year))
    return [{k: (int(v) if isinstance(v, float) and v.is_integer() else v) for k, v in r.items()}
            for r in conn.execute(stmt).mappings()]


def per_report(conn: sa.Connection, f: Filters) -> list[dict]:
    """The figures of each report (for the distributions of 公开率 and 纠错率)."""
    stmt = (sa.select(reports.c.id, reports.c.year, *(figures.c[c] for c in FIGURES))
            .select_from(figures.join(REPORTS_JOIN, reports.c.id == figures.c.report_id)).where(*f.conditions()))
    return [dict(r) for r in conn.execute(stmt).mappings()]


def findings_by_rule(conn: sa.Connection, f: Filters) -> list[dict]:
    stmt = (sa.select(findings.c.rule, findings.c.severity, sa.func.count().label("findings"),
                      sa.func.count(sa.distinct(findings.c.report_id)).label("reports"))
            .select_from(findings.join(REPORTS_JOIN, reports.c.id == findings.c.report_id))
            .where(findings.c.origin != "problem", findings.c.status != "dismissed", *f.conditions())
            .group_by(findings.c.rule, findings.c.severity).order_by(findings.c.rule, findings.c.severity))
    return [dict(r) for r in conn.execute(stmt).mappings()]


def by_region(conn: sa.Connection, f: Filters, level: str) -> list[dict]:
    """Reports, applications handled, pooled 公开率 and findings per region at ``level``."""
    column = organs.c[level]
    known = sa.and_(figures.c.granted.is_not(None), figures.c.partial.is_not(None), figures.c.total.is_not(None))
    stmt = (sa.select(column.label("region"), sa.func.count().label("reports"),
                      sa.func.sum(sa.func.coalesce(figures.c.new, 0) + sa.func.coalesce(figures.c.carried_in, 0)).label("handled"),
                      sa.func.sum(sa.case((known, figures.c.granted + figures.c.partial))).label("opened"),
                      sa.func.sum(sa.case((known, figures.c.total))).label("decided"),
                      sa.func.sum(reports.c.errors).label("errors"), sa.func.sum(reports.c.warnings).label("warnings"))
            .select_from(figures.join(REPORTS_JOIN, reports.c.id == figures.c.report_id))
            .where(column.is_not(None), *f.conditions()).group_by(column).order_by(column))
    out = []
    for r in conn.execute(stmt).mappings():
        row = dict(r)
        decided = row.pop("decided")
        opened = row.pop("opened")
        row["open_rate"] = round(opened / decided, 4) if decided else None
        row["handled"] = int(row["handled"] or 0)
        out.append(row)
    return out

