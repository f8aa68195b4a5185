"""Rows ↔ model objects and the corpus's list queries (used by ``store.Corpus``; no state of its own).

The filters shared by lists, stats and exports: year (int or list), region (province, city or county
name), organ (id or part of a name), template, kind (organ kind), rule, severity, status, q (text in the
organ name, title or source).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

import sqlalchemy as sa

from .model import (
    Cell,
    Extra,
    Finding,
    Meta,
    Origin,
    Record,
    Section,
    Severity,
    State,
    Where,
)
from .organs import to_simplified
from .prepare import CELL_COLUMNS, cell_tuple, finding_row, finding_tuple, plain
from .schema import (
    ORIGINS,
    STATES,
    cells,
    corrections,
    extras,
    findings,
    organs,
    reports,
    sections,
)

_REVIEW_FIELDS = ("status", "comment", "reviewer", "reviewed")


@dataclass(slots=True)
class ReportRow:
    id: int
    sha256: str
    source: str
    organ_id: int | None
    organ: str | None  # the organ's registered name
    organ_name: str | None  # as the report writes it
    province: str | None
    city: str | None
    county: str | None
    kind: str | None
    year: int | None
    template: str | None
    published: dt.date | None
    errors: int
    warnings: int
    infos: int
    parser_version: str


@dataclass(slots=True)
class FindingRow:
    id: int
    report_id: int
    origin: str
    rule: str
    severity: str
    keys: list[str]
    expected: str | None
    found: str | None
    message: str
    message_en: str
    other_report_id: int | None
    status: str
    comment: str | None
    reviewer: str | None
    reviewed: dt.datetime | None
    organ: str | None = None
    year: int | None = None


def encode_cell(report_id: int, key_id: int, c: Cell) -> dict:
    return dict(zip(CELL_COLUMNS, (report_id, key_id, *cell_tuple(c)[1:])))


def decode_value(value: float | None, scale: int | None) -> int | Decimal | None:
    if value is None:
        return None
    if scale is None:
        return int(value)
    return Decimal(value).quantize(Decimal(1).scaleb(-scale))


def decode_cell(key: str, r) -> Cell:
    value = decode_value(r.value, r.scale)
    has_where = any(x is not None for x in (r.line, r.page, r.tbl, r.row, r.col, r.box))
    where = Where(line=r.line, page=r.page, table=r.tbl, row=r.row, col=r.col,
                  box=tuple(float(x) for x in r.box.split(",")) if r.box else None) if has_where else None
    return Cell(key=key, value=value, state=STATES[r.state], unit=r.unit,
                raw=r.raw if r.raw is not None else (plain(value) or ""), where=where, origin=ORIGINS[r.origin])


def corrected_cell(old: Cell | None, key: str, value: str | None, state: str, unit: str | None) -> Cell:
    number = None if value is None else (Decimal(value) if "." in value else int(value))
    return Cell(key=key, value=number, state=State(state), unit=unit, raw=old.raw if old else "",
                where=old.where if old else None, origin=Origin.corrected)


def encode_finding(report_id: int, origin: str, f: Finding, other: int | None = None) -> dict:
    return finding_row(report_id, finding_tuple(origin, f), other)


def decode_finding(r) -> Finding:
    return Finding(rule=r.rule, severity=Severity(r.severity), keys=r.cell_keys.split() if r.cell_keys else [],
                   expected=r.expected, found=r.found, message=r.message, message_en=r.message_en or "")


def _review_key(row) -> tuple:
    return (row["report_id"], row["rule"], row["cell_keys"], row["other_report_id"])


def reviews(conn: sa.Connection, report_ids: list[int]) -> dict[tuple, dict]:
    """Reviewers' verdicts on findings about to be recomputed, so the same finding keeps its verdict."""
    rows = conn.execute(sa.select(findings).where(findings.c.report_id.in_(report_ids),
                                                  findings.c.status != "open")).mappings()
    return {_review_key(r): {k: r[k] for k in _REVIEW_FIELDS} for r in rows}


def insert_findings(conn: sa.Connection, rows: list[dict], kept: dict[tuple, dict]) -> None:
    for row in rows:
        row.update(kept.get(_review_key(row), {}))
    if rows:
        conn.execute(findings.insert(), rows)


def recount(conn: sa.Connection, report_ids: list[int]) -> None:
    """Refresh the per-report finding counts (problems are repeated among the audit's findings)."""
    for column, severity in (("errors", "error"), ("warnings", "warning"), ("infos", "info")):
        n = (sa.select(sa.func.count()).where(findings.c.report_id == reports.c.id,
                                              findings.c.origin != "problem", findings.c.severity == severity)
             .scalar_subquery())
        conn.execute(reports.update().where(reports.c.id.in_(report_ids)).values({column: n}))


def latest_corrections(conn: sa.Connection, report_id: int, key: str | None = None) -> dict:
    """The newest correction of each key of a report (of one key when given)."""
    stmt = sa.select(corrections).where(corrections.c.report_id == report_id).order_by(corrections.c.id)
    rows = conn.execute(stmt.where(corrections.c.key == key) if key else stmt).all()
    return {r.key: r for r in rows}


def load_record(conn: sa.Connection, report_id: int, key_of: dict[int, str], *, only_keys: set[int] | None = None,
                section_numbers: tuple[int, ...] | None = None) -> Record | None:
    r = conn.execute(sa.select(reports).where(reports.c.id == report_id)).first()
    if r is None:
        return None
    meta = Meta(organ=r.organ_name, year=r.year, template=r.template, published=r.published,
                index_no=r.index_no, title=r.title, is_government=r.is_government, source=r.source,
                sha256=r.sha256, kind=r.kind, traditional=r.traditional, pinyin_removed=r.pinyin_removed)
    stmt = sa.select(sections).where(sections.c.report_id == report_id).order_by(sections.c.number)
    if section_numbers is not None:
        stmt = stmt.where(sections.c.number.in_(section_numbers))
    secs = [Section(number=s.number, heading=s.heading, text=s.text, line=s.line, standard=s.standard)
            for s in conn.execute(stmt)]
    stmt = sa.select(cells).where(cells.c.report_id == report_id).order_by(cells.c.key_id)
    if only_keys is not None:
        stmt = stmt.where(cells.c.key_id.in_(only_keys))
    cell_map = {key_of[c.key_id]: decode_cell(key_of[c.key_id], c) for c in conn.execute(stmt)}
    xs = [Extra(table=e.tbl, label=e.label, values=e.cell_values.split("\t") if e.cell_values else [],
                where=Where(line=e.line) if e.line else None)
          for e in conn.execute(sa.select(extras).where(extras.c.report_id == report_id).order_by(extras.c.id))]
    fs = conn.execute(sa.select(findings).where(findings.c.report_id == report_id).order_by(findings.c.id)).all()
    return Record(meta=meta, sections=secs, cells=cell_map, extras=xs,
                  problems=[decode_finding(f) for f in fs if f.origin == "problem"],
                  findings=[decode_finding(f) for f in fs if f.origin != "problem"],
                  parser_version=r.parser_version)


def _years(year) -> list[int] | None:
    if year is None:
        return None
    return [int(y) for y in year] if isinstance(year, (list, tuple, set)) else [int(year)]


def report_conditions(*, year=None, region=None, organ=None, template=None, kind=None, rule=None, severity=None,
                      status=None, q=None) -> list:
    """WHERE terms over ``reports`` outer-joined with ``organs``."""
    conds = []
    if (years := _years(year)) is not None:
        conds.append(reports.c.year.in_(years) if len(years) > 1 else reports.c.year == years[0])
    conds += region_condition(region)
    if isinstance(organ, int):
        conds.append(reports.c.organ_id == organ)
    elif organ:
        part = to_simplified(organ)
        conds.append(sa.or_(organs.c.name.contains(part, autoescape=True),
                            reports.c.organ_name.contains(part, autoescape=True)))
    if template:
        conds.append(reports.c.template == str(template))
    if kind:
        conds.append(organs.c.kind == kind)
    if rule or severity or status:
        # IN (…) rather than EXISTS: SQLite then starts from the findings index, not from every report.
        sub = sa.select(findings.c.report_id).where(findings.c.origin != "problem")
        sub = sub.where(findings.c.rule == rule) if rule else sub
        sub = sub.where(findings.c.severity == severity) if severity else sub
        sub = sub.where(findings.c.status == status) if status else sub.where(findings.c.status != "dismissed")
        conds.append(reports.c.id.in_(sub))
    if q:
        part = to_simplified(q)
        conds.append(sa.or_(organs.c.name.contains(part, autoescape=True),
                            reports.c.organ_name.contains(part, autoescape=True),
                            reports.c.title.contains(part, autoescape=True),
                            reports.c.source.contains(part, autoescape=True)))
    return conds


REPORTS_JOIN = reports.outerjoin(organs, organs.c.id == reports.c.organ_id)
_ORDER = {"id": (reports.c.id,), "year": (reports.c.year, reports.c.id), "organ": (organs.c.name, reports.c.year),
          "errors": (reports.c.errors.desc(), reports.c.id), "-year": (reports.c.year.desc(), reports.c.id)}


def list_reports(conn: sa.Connection, *, limit: int | None, offset: int, order: str, **filters) -> list[ReportRow]:
    stmt = (sa.select(reports.c.id, reports.c.sha256, reports.c.source, reports.c.organ_id,
                      organs.c.name.label("organ"), reports.c.organ_name, organs.c.province, organs.c.city,
                      organs.c.county, organs.c.kind, reports.c.year, reports.c.template, reports.c.published,
                      reports.c.errors, reports.c.warnings, reports.c.infos, reports.c.parser_version)
            .select_from(REPORTS_JOIN).where(*report_conditions(**filters))
            .order_by(*_ORDER.get(order, _ORDER["id"])).offset(offset))
    if limit is not None:
        stmt = stmt.limit(limit)
    return [ReportRow(*r) for r in conn.execute(stmt)]


def count_reports(conn: sa.Connection, **filters) -> int:
    stmt = sa.select(sa.func.count()).select_from(REPORTS_JOIN).where(*report_conditions(**filters))
    return conn.execute(stmt).scalar() or 0


def list_findings(conn: sa.Connection, report_id: int | None, *, limit: int | None, offset: int,
                  **filters) -> list[FindingRow]:
    rule, severity, status = filters.pop("rule", None), filters.pop("severity", None), filters.pop("status", None)
    stmt = (sa.select(findings, organs.c.name.label("organ"), reports.c.year)
            .select_from(findings.join(reports, reports.c.id == findings.c.report_id)
                         .outerjoin(organs, organs.c.id == reports.c.organ_id))
            .where(findings.c.origin != "problem", *report_conditions(**filters))
            .order_by(findings.c.report_id, findings.c.id).offset(offset))
    stmt = stmt.where(findings.c.report_id == report_id) if report_id is not None else stmt
    stmt = stmt.where(findings.c.rule == rule) if rule else stmt
    stmt = stmt.where(findings.c.severity == severity) if severity else stmt
    stmt = stmt.where(findings.c.status == status) if status else stmt
    stmt = stmt.limit(limit) if limit is not None else stmt
    return [FindingRow(id=r.id, report_id=r.report_id, origin=r.origin, rule=r.rule, severity=r.severity,
                       keys=r.cell_keys.split() if r.cell_keys else [], expected=r.expected, found=r.found,
                       message=r.message, message_en=r.message_en, other_report_id=r.other_report_id,
                       status=r.status, comment=r.comment, reviewer=r.reviewer, reviewed=r.reviewed,
                       organ=r.organ, year=r.year) for r in conn.execute(stmt)]


def region_condition(region: str | None) -> list:
    """A full region name ("缙云县") matches exactly; a short one ("缙云", "浙江") matches as a prefix."""
    if not region:
        return []
    region = to_simplified(region.strip())
    columns = (organs.c.province, organs.c.city, organs.c.county)
    if region[-1] in "省市县区旗州盟":
        return [sa.or_(*(c == region for c in columns))]
    return [sa.or_(*(c.startswith(region, autoescape=True) for c in columns))]


def list_organs(conn: sa.Connection, *, q: str | None, region: str | None, limit: int | None) -> list[dict]:
    n = sa.select(sa.func.count()).where(reports.c.organ_id == organs.c.id).scalar_subquery().label("reports")
    stmt = sa.select(organs, n).where(*region_condition(region)).order_by(organs.c.id)
    if q:
        stmt = stmt.where(organs.c.name.contains(to_simplified(q), autoescape=True))
    stmt = stmt.limit(limit) if limit is not None else stmt
    return [dict(r) for r in conn.execute(stmt).mappings()]


def coverage(conn: sa.Connection, year: int, region: str | None) -> list[dict]:
    """Per (province, city, county): organs known, organs reporting on ``year``, the missing names."""
    has = sa.exists(sa.select(reports.c.id).where(reports.c.organ_id == organs.c.id, reports.c.year == year))
    stmt = (sa.select(organs.c.province, organs.c.city, organs.c.county, organs.c.name, has.label("has"))
            .where(*region_condition(region)).order_by(organs.c.province, organs.c.city, organs.c.county, organs.c.id))
    out: dict[tuple, dict] = {}
    for r in conn.execute(stmt):
        entry = out.setdefault((r.province, r.city, r.county), dict(
            province=r.province, city=r.city, county=r.county, organs=0, reported=0, missing=[]))
        entry["organs"] += 1
        if r.has:
            entry["reported"] += 1
        else:
            entry["missing"].append(r.name)
    return list(out.values())
