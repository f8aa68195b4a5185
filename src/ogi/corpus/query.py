"""The corpus's one query layer: lists, counts, coverage, region options and dashboard sums, for the CLI and
the web app alike, all filtered by one ``Filters``.

``Filters`` holds what a user can narrow a corpus by: year (one or several), region (a name of any level:
"浙江省", "缙云" …) or the hierarchy province → city → county → township (a township is the leading
镇/乡/街道 of an organ's name without its region prefix), organ (id or part of a name), template, organ
kind, rule, severity, review status, and q (text in the organ name, title or source). Names are matched
in simplified characters whatever the user typed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, fields, replace

import sqlalchemy as sa

from .. import divisions
from ..forms import deadline, due_as_government
from ..normalise import to_simplified
from .rows import decode_cell, unpack_cells
from .schema import cells, failures, finding_reviews, findings, organs, reports

# The one definition of a current report, for lists, counts, coverage, figures and exports alike: the newest
# version of an organ's report for a year (an older one has ``superseded_by`` set when a newer one arrives).
CURRENT = reports.c.superseded_by.is_(None)
# An organ that counts in coverage: imported from an organ list, or with a report. A name a reviewer corrected
# away (an OCR misreading such as 临江上县) keeps its row but no longer counts as an organ that failed to report.
KNOWN_ORGAN = organs.c.imported.is_(True) | sa.exists(sa.select(reports.c.id).where(reports.c.organ_id == organs.c.id))
LEVELS = ("province", "city", "county", "township")
LEVEL_ZH = {"province": "省", "city": "市", "county": "县(区)", "township": "乡镇(街道)"}


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
    township: str | None
    kind: str | None  # the organ's kind (人民政府, 政府部门 …)
    year: int | None
    template: str | None
    published: dt.date | None
    errors: int
    warnings: int
    infos: int
    parser_version: str
    file_kind: str  # what the reader read: text, html, docx, pdf …
    review_status: str = "pending"  # model.REPORT_STATUSES
    assignee: str | None = None
    superseded_by: int | None = None  # the newer version of the same organ and year, when there is one


@dataclass(slots=True)
class FindingRow:
    id: int
    report_id: int
    origin: str
    kind: str  # finding (审核发现) or reading (读取问题)
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


@dataclass(frozen=True, slots=True)
class Filters:
    """What a list, a count, a figure or an export is narrowed by; None means any."""

    year: int | list[int] | None = None
    region: str | None = None
    province: str | None = None
    city: str | None = None
    county: str | None = None
    township: str | None = None
    organ: int | str | None = None
    template: str | None = None
    kind: str | None = None
    rule: str | None = None
    severity: str | None = None
    status: str | None = None
    q: str | None = None
    review: str | None = None  # the report's review status (model.REPORT_STATUSES)
    assignee: str | None = None  # the reviewer the report is assigned to
    versions: bool = False  # True: superseded versions too; by default only the current report of an organ-year
    reading: bool = False  # True: only reports with a reading problem (读取问题) still to check against the source

    def conditions(self) -> list:
        """WHERE terms over ``reports`` outer-joined with ``organs`` (``REPORTS_JOIN``)."""
        conds = self.region_conditions()
        if not self.versions:
            conds.append(CURRENT)
        if self.review:
            conds.append(reports.c.review_status == self.review)
        if self.assignee:
            conds.append(reports.c.assignee == self.assignee)
        if (years := self.years()) is not None:
            conds.append(reports.c.year.in_(years) if len(years) > 1 else reports.c.year == years[0])
        if isinstance(self.organ, int):
            conds.append(reports.c.organ_id == self.organ)
        elif self.organ:
            part = to_simplified(self.organ)
            conds.append(
                sa.or_(
                    organs.c.name.contains(part, autoescape=True), reports.c.organ_name.contains(part, autoescape=True)
                )
            )
        if self.template:
            conds.append(reports.c.template == str(self.template))
        if self.kind:
            conds.append(organs.c.kind == self.kind)
        if self.rule or self.severity or self.status:
            # IN (…) rather than EXISTS: SQLite then starts from the findings index, not from every report.
            sub = sa.select(findings.c.report_id).where(findings.c.kind == "finding", *self.finding_conditions())
            conds.append(reports.c.id.in_(sub))
        if self.reading:
            # Open reading problems only: one a reviewer has marked as checked no longer asks for a look.
            sub = sa.select(findings.c.report_id).where(findings.c.kind == "reading", findings.c.status == "open")
            conds.append(reports.c.id.in_(sub))
        if self.q:
            part = to_simplified(self.q)
            conds.append(
                sa.or_(
                    organs.c.name.contains(part, autoescape=True),
                    reports.c.organ_name.contains(part, autoescape=True),
                    reports.c.title.contains(part, autoescape=True),
                    reports.c.source.contains(part, autoescape=True),
                )
            )
        return conds

    def finding_conditions(self) -> list:
        """Rule, severity and status over ``findings``; without a status, dismissed findings do not count."""
        conds = [findings.c.status == self.status] if self.status else [findings.c.status != "dismissed"]
        if self.rule:
            conds.append(findings.c.rule == self.rule)
        if self.severity:
            conds.append(findings.c.severity == self.severity)
        return conds

    def region_conditions(self) -> list:
        conds = [
            organs.c[level] == to_simplified(value)
            for level in ("province", "city", "county")
            if (value := getattr(self, level))
        ]
        if self.township:
            conds.append(organs.c.core.startswith(to_simplified(self.township), autoescape=True))
        if self.region:
            conds.append(_region_condition(to_simplified(self.region.strip())))
        return conds

    def years(self) -> list[int] | None:
        if self.year is None:
            return None
        return [int(y) for y in self.year] if isinstance(self.year, (list, tuple, set)) else [int(self.year)]

    def params(self) -> dict:
        """The filters that are set, as query parameters."""
        return {k: v for k, v in asdict(self).items() if v not in (None, "", False)}

    def deepest_region(self) -> str | None:
        return self.township or self.county or self.city or self.province or self.region


def _region_condition(region: str):
    """A full region name ("缙云县") matches exactly; a short one ("缙云", "浙江") matches as a prefix."""
    columns = (organs.c.province, organs.c.city, organs.c.county)
    if region[-1] in "省市县区旗州盟":
        return sa.or_(*(c == region for c in columns))
    return sa.or_(*(c.startswith(region, autoescape=True) for c in columns))


def township_of(core: str | None) -> str | None:
    return divisions.township_of(core)  # "住房和城乡建设局" names no 乡


REPORTS_JOIN = reports.outerjoin(organs, organs.c.id == reports.c.organ_id)
# One set of orders for every list: a leading "-" is newest/largest first.
ORDERS = {
    "id": (reports.c.id,),
    "-id": (reports.c.id.desc(),),
    "year": (reports.c.year, reports.c.id),
    "-year": (reports.c.year.desc(), reports.c.id),
    "organ": (organs.c.name, reports.c.year),
    "errors": (reports.c.errors.desc(), reports.c.warnings.desc(), reports.c.id),
}


def _report_select() -> sa.Select:
    return sa.select(
        reports.c.id,
        reports.c.sha256,
        reports.c.source,
        reports.c.organ_id,
        organs.c.name.label("organ"),
        reports.c.organ_name,
        organs.c.province,
        organs.c.city,
        organs.c.county,
        organs.c.core,
        organs.c.kind,
        reports.c.year,
        reports.c.template,
        reports.c.published,
        reports.c.errors,
        reports.c.warnings,
        reports.c.infos,
        reports.c.parser_version,
        reports.c.kind.label("file_kind"),
        reports.c.review_status,
        reports.c.assignee,
        reports.c.superseded_by,
    ).select_from(REPORTS_JOIN)


def list_reports(
    conn: sa.Connection, f: Filters, *, limit: int | None, offset: int = 0, order: str = "id"
) -> list[ReportRow]:
    stmt = _report_select().where(*f.conditions()).order_by(*ORDERS.get(order, ORDERS["id"])).offset(offset)
    if limit is not None:
        stmt = stmt.limit(limit)
    return [_report_row(r) for r in conn.execute(stmt).mappings()]


def report_row(conn: sa.Connection, report_id: int) -> ReportRow | None:
    """One report as lists show it, whatever its version."""
    r = conn.execute(_report_select().where(reports.c.id == report_id)).mappings().first()
    return _report_row(r) if r is not None else None


def _report_row(r) -> ReportRow:
    row = dict(r)
    row["township"] = township_of(row.pop("core"))
    return ReportRow(**row)


def count_reports(conn: sa.Connection, f: Filters) -> int:
    stmt = sa.select(sa.func.count()).select_from(REPORTS_JOIN).where(*f.conditions())
    return conn.execute(stmt).scalar() or 0


def versions_of(conn: sa.Connection, organ_id: int, year: int) -> list[dict]:
    """The reports of one organ and year, oldest version first: by publication date (undated ones first), then
    by arrival. The last is the current one (``CURRENT``)."""
    return versions_of_many(conn, [(organ_id, year)]).get((organ_id, year), [])


def versions_of_many(conn: sa.Connection, pairs: Iterable[tuple[int, int]]) -> dict[tuple[int, int], list[dict]]:
    """``versions_of`` for many (organ, year) pairs in one query a few hundred organs (a batch of an ingest)."""
    wanted = set(pairs)
    out: dict[tuple[int, int], list[dict]] = {}
    organ_ids = sorted({o for o, _ in wanted})
    years = {y for _, y in wanted}
    for start in range(0, len(organ_ids), 500):
        rows = conn.execute(
            sa.select(
                reports.c.id,
                reports.c.organ_id,
                reports.c.year,
                reports.c.published,
                reports.c.added,
                reports.c.superseded_by,
                reports.c.source,
            ).where(reports.c.organ_id.in_(organ_ids[start : start + 500]), reports.c.year.in_(years))
        ).mappings()
        for r in rows:
            if (r["organ_id"], r["year"]) in wanted:
                out.setdefault((r["organ_id"], r["year"]), []).append(dict(r))
    for versions in out.values():
        versions.sort(key=lambda r: (r["published"] or dt.date.min, r["id"]))
    return out


def resolved_reviews(conn: sa.Connection, f: Filters) -> list[dict]:
    """The latest verdict on each finding of the selected reports that no longer stands (a correction or a new
    reading resolved it), with the report's organ and year; a verdict that only reopened is left out."""
    selected = sa.select(reports.c.id).select_from(REPORTS_JOIN).where(*f.conditions())
    standing = {
        (r.report_id, r.rule, r.cell_keys, r.other_report_id)
        for r in conn.execute(
            sa.select(findings.c.report_id, findings.c.rule, findings.c.cell_keys, findings.c.other_report_id).where(
                findings.c.report_id.in_(selected.where(reports.c.id.in_(sa.select(finding_reviews.c.report_id))))
            )
        )
    }
    latest: dict[tuple, dict] = {}
    stmt = (
        sa.select(finding_reviews, organs.c.name.label("organ"), reports.c.organ_name, reports.c.year)
        .select_from(finding_reviews.join(REPORTS_JOIN, reports.c.id == finding_reviews.c.report_id))
        .where(*f.conditions())
        .order_by(finding_reviews.c.id)
    )
    for r in conn.execute(stmt).mappings():
        key = (r["report_id"], r["rule"], r["cell_keys"], r["other_report_id"])
        if key not in standing:
            latest[key] = dict(r) | {"keys": r["cell_keys"].split()}
    return [r for r in latest.values() if r["status"] != "open"]


def review_counts(conn: sa.Connection, f: Filters) -> dict[str, int]:
    """How many of the selected reports stand at each review status ("还剩 37 份待审"); the review filter
    itself is left out, so the counts read as the choices of that filter."""
    stmt = (
        sa.select(reports.c.review_status, sa.func.count())
        .select_from(REPORTS_JOIN)
        .where(*replace(f, review=None).conditions())
        .group_by(reports.c.review_status)
    )
    return dict(conn.execute(stmt).all())


def next_report(conn: sa.Connection, after: int, f: Filters) -> int | None:
    """The report to review after ``after``: the next (by id, wrapping round) of the selected reports still
    waiting (待审 or 审核中)."""
    waiting = replace(f, review=None).conditions() + [reports.c.review_status.in_(("pending", "reviewing"))]
    stmt = sa.select(reports.c.id).select_from(REPORTS_JOIN).where(*waiting, reports.c.id != after)
    return (
        conn.execute(stmt.where(reports.c.id > after).order_by(reports.c.id).limit(1)).scalar()
        or conn.execute(stmt.order_by(reports.c.id).limit(1)).scalar()
    )


def list_findings(
    conn: sa.Connection, f: Filters, report_id: int | None, *, limit: int | None, offset: int = 0, reading: bool = False
) -> list[FindingRow]:
    # Rule, severity and status select findings here, not reports that have some (Filters.conditions).
    # One report's findings whatever its version; across the corpus, those of current reports (``CURRENT``).
    report_filters = replace(f, rule=None, severity=None, status=None, versions=f.versions or report_id is not None)
    stmt = (
        sa.select(findings, organs.c.name.label("organ"), reports.c.year)
        .select_from(
            findings.join(reports, reports.c.id == findings.c.report_id).outerjoin(
                organs, organs.c.id == reports.c.organ_id
            )
        )
        .where(findings.c.kind == ("reading" if reading else "finding"), *report_filters.conditions())
        .order_by(findings.c.report_id, findings.c.id)
        .offset(offset)
    )
    stmt = stmt.where(findings.c.report_id == report_id) if report_id is not None else stmt
    stmt = stmt.where(findings.c.rule == f.rule) if f.rule else stmt
    stmt = stmt.where(findings.c.severity == f.severity) if f.severity else stmt
    stmt = stmt.where(findings.c.status == f.status) if f.status else stmt
    stmt = stmt.limit(limit) if limit is not None else stmt
    return [
        FindingRow(keys=r.cell_keys.split() if r.cell_keys else [], **{k: r._mapping[k] for k in _FINDING_ROW_COLUMNS})
        for r in conn.execute(stmt)
    ]


_FINDING_ROW_COLUMNS = tuple(f.name for f in fields(FindingRow) if f.name != "keys")


def list_organs(conn: sa.Connection, f: Filters, *, limit: int | None) -> list[dict]:
    n = sa.select(sa.func.count()).where(reports.c.organ_id == organs.c.id).scalar_subquery().label("reports")
    stmt = sa.select(organs, n).where(*f.region_conditions()).order_by(organs.c.id)
    if f.q:
        stmt = stmt.where(organs.c.name.contains(to_simplified(f.q), autoescape=True))
    stmt = stmt.limit(limit) if limit is not None else stmt
    return [dict(r) for r in conn.execute(stmt).mappings()]


def coverage(conn: sa.Connection, year: int, f: Filters) -> list[dict]:
    """Per (province, city, county): organs known, organs reporting on ``year``, the missing names."""
    has = sa.exists(sa.select(reports.c.id).where(reports.c.organ_id == organs.c.id, reports.c.year == year))
    stmt = (
        sa.select(organs.c.province, organs.c.city, organs.c.county, organs.c.name, has.label("has"))
        .where(*f.region_conditions(), KNOWN_ORGAN)
        .order_by(organs.c.province, organs.c.city, organs.c.county, organs.c.id)
    )
    out: dict[tuple, dict] = {}
    for r in conn.execute(stmt):
        entry = out.setdefault(
            (r.province, r.city, r.county),
            {"province": r.province, "city": r.city, "county": r.county, "organs": 0, "reported": 0, "missing": []},
        )
        entry["organs"] += 1
        if r.has:
            entry["reported"] += 1
        else:
            entry["missing"].append(r.name)
    return list(out.values())


def organ_deadlines(conn: sa.Connection, year: int, f: Filters, registry_only: bool) -> list[dict]:
    """Every organ of the region (the imported registry, or all known organs) with its report for ``year``,
    its deadline and whether it published in time: state missing / unknown / late / on_time."""
    mine = (
        sa.select(
            reports.c.organ_id,
            sa.func.min(reports.c.id).label("report_id"),
            sa.func.min(reports.c.published).label("published"),
            sa.func.max(sa.cast(reports.c.is_government, sa.Integer)).label("government"),
        )
        .where(reports.c.year == year)
        .group_by(reports.c.organ_id)
        .subquery()
    )
    stmt = (
        sa.select(
            organs.c.id,
            organs.c.name,
            organs.c.province,
            organs.c.city,
            organs.c.county,
            organs.c.core,
            organs.c.kind,
            organs.c.imported,
            organs.c.governs,
            mine.c.report_id,
            mine.c.published,
            mine.c.government,
        )
        .select_from(organs.outerjoin(mine, mine.c.organ_id == organs.c.id))
        .where(*f.region_conditions())
        .order_by(organs.c.province, organs.c.city, organs.c.county, organs.c.name)
    )
    stmt = stmt.where(organs.c.imported.is_(True) if registry_only else KNOWN_ORGAN)
    if f.organ:
        stmt = stmt.where(organs.c.name.contains(to_simplified(str(f.organ)), autoescape=True))
    return [_deadline_row(dict(r), year) for r in conn.execute(stmt).mappings()]


def _deadline_row(row: dict, year: int) -> dict:
    row["township"] = township_of(row.pop("core"))
    governs = row.pop("governs")
    government = due_as_government(row["name"], row["kind"], governs) or (governs is None and bool(row["government"]))
    row.pop("government")
    row["deadline"] = deadline(year, government)
    published: dt.date | None = row["published"]
    row["state"] = (
        "missing"
        if row["report_id"] is None
        else "unknown"
        if published is None
        else "late"
        if published > row["deadline"]
        else "on_time"
    )
    row["days_late"] = (published - row["deadline"]).days if published and row["state"] == "late" else None
    return row


def region_options(conn: sa.Connection, f: Filters) -> dict[str, list[str]]:
    """Choices for each level of the region filter, narrowed by the levels already chosen."""
    rows = conn.execute(
        sa.select(organs.c.province, organs.c.city, organs.c.county, organs.c.core).where(
            organs.c.id.in_(sa.select(reports.c.organ_id)) | organs.c.imported
        )
    ).all()
    options: dict[str, set] = {level: set() for level in LEVELS}
    for province, city, county, core in rows:
        place = {"province": province, "city": city, "county": county, "township": township_of(core)}
        for i, level in enumerate(LEVELS):
            parents_match = all(not getattr(f, p) or place[p] == getattr(f, p) for p in LEVELS[:i])
            if parents_match and place[level]:
                options[level].add(place[level])
    return {level: sorted(values) for level, values in options.items()}


def years(conn: sa.Connection) -> list[int]:
    return [
        y
        for (y,) in conn.execute(
            sa.select(reports.c.year).distinct().where(reports.c.year.is_not(None)).order_by(reports.c.year.desc())
        )
    ]


def rules_seen(conn: sa.Connection) -> list[str]:
    return list(conn.execute(sa.select(findings.c.rule).distinct().order_by(findings.c.rule)).scalars())


def count_failures(conn: sa.Connection) -> int:
    return conn.execute(sa.select(sa.func.count()).select_from(failures)).scalar() or 0


def has_registry(conn: sa.Connection) -> bool:
    return conn.execute(sa.select(organs.c.id).where(organs.c.imported.is_(True)).limit(1)).first() is not None


EXPORT_BATCH = 1000  # reports read at a time for an export: memory stays flat at any corpus size
_EXPORT_COLUMNS = (
    reports.c.id.label("report_id"),
    organs.c.name.label("organ"),
    reports.c.organ_name,
    organs.c.province,
    organs.c.city,
    organs.c.county,
    organs.c.township,
    organs.c.division_code,
    organs.c.kind,
    reports.c.year,
    reports.c.template,
    reports.c.published,
    reports.c.errors,
    reports.c.warnings,
    reports.c.source,
    reports.c.sha256,
)


def templates_present(conn: sa.Connection, f: Filters) -> list[str]:
    """The formats of the selected reports, sorted ("2019", "2021")."""
    stmt = sa.select(reports.c.template).select_from(REPORTS_JOIN).where(*f.conditions()).distinct()
    return sorted(t for t in conn.execute(stmt).scalars() if t)


def reports_with_cells(engine: sa.Engine, f: Filters) -> Iterator[tuple[dict, list[dict]]]:
    """(report, cells) of each selected report in id order. A report row has ``_EXPORT_COLUMNS``'s names; a
    cell is {key, value, state, unit, raw, origin} with its value decoded and its raw text filled in."""
    last = 0
    with engine.connect() as conn:
        while batch := _report_batch(conn, last, f):
            by_report = _cells_of(conn, [r["report_id"] for r in batch])
            for report in batch:
                yield report, by_report[report["report_id"]]
            last = batch[-1]["report_id"]


def _report_batch(conn: sa.Connection, after: int, f: Filters) -> list[dict]:
    stmt = (
        sa.select(*_EXPORT_COLUMNS)
        .select_from(REPORTS_JOIN)
        .where(reports.c.id > after, *f.conditions())
        .order_by(reports.c.id)
        .limit(EXPORT_BATCH)
    )
    return [dict(r) for r in conn.execute(stmt).mappings()]


def _cells_of(conn: sa.Connection, ids: list[int]) -> dict[int, list[dict]]:
    out: dict[int, list[dict]] = {i: [] for i in ids}
    for report_id, detail in conn.execute(
        sa.select(cells.c.report_id, cells.c.detail).where(cells.c.report_id.in_(ids))
    ):
        for t in unpack_cells(detail):
            cell = decode_cell(t)
            out[report_id].append(
                {
                    "key": cell.key,
                    "value": cell.value,
                    "state": cell.state,
                    "unit": cell.unit,
                    "raw": cell.raw,
                    "origin": cell.origin,
                }
            )
    return out
