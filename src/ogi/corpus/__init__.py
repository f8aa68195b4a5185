"""The corpus: canonical records in SQLite (default) or PostgreSQL, as tables (issue #4; schema in ``schema.py``).

The only package of ogi that imports SQLAlchemy, and the one door to the database for the CLI and the web app.

``Corpus(url)`` opens (and migrates, with Alembic) a database: ``None`` → ``$OGI_DB`` → ``./ogi.db``; a path
means SQLite, a URL (``postgresql+psycopg://…``) any SQLAlchemy database. The API the CLI and the web app use:

Writing
    add(record, source=None, run_id=None, refresh=True) -> Added   idempotent by sha256; re-parse replaces
    add_many([prepare(record, source)…], run_id=None) -> [Added | StoreError]   one transaction (ingest)
    set_cell(report_id, key, value, who, comment=None) -> Record    correction: original kept, re-audited
    review_finding(finding_id, status, who, comment=None)          status: open / confirmed / dismissed
    import_organs(path) -> int                                      organ list CSV/XLSX (organs.py)
    refresh(report_ids=None) -> int                                 cross-year findings of stale reports
    start_run(paths) / finish_run(run_id, counts, status) / record_failure(source, sha256, error, run_id)
Reading
    get(report_id) -> Record            report_id_of(sha256)         source(report_id) -> bytes | None
    reports(**filters, limit, offset, order) -> list[ReportRow]      count(**filters) -> int
        filters: year, region, organ (id or name part), template, kind, rule, severity, status, q
    history(organ_id) -> list[ReportRow]                             one organ across years
    findings(report_id=None, **filters, limit, offset) -> list[FindingRow]
    corrections(report_id) / failures(run_id=None) / runs() / known() -> {sha256: parser_version}
    organs(q=None, region=None) / organ(organ_id) / coverage(year, region=None)
Figures (``stats.py``)
    totals(key, by, **filters) / rates(by, **filters) / ranking(measure, top, **filters) / findings_by_rule(**filters)
Accounts of the web app: ``accounts`` (``accounts.py``)

Errors: ``NotFound`` for an id that is not there, ``InvalidInput`` for a value that is not acceptable,
``StoreError`` when the database itself fails.

A report is always written whole inside one transaction (ingest puts several reports in each, ``ingest.BATCH``):
it is either entirely in the corpus or not at all, so a killed ingest resumes without losses or duplicates.
"""

from __future__ import annotations

import dataclasses
import os
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TypeVar

import sqlalchemy as sa

from ..audit import assess
from ..figures import figures_row
from ..forms import TEMPLATES, keys
from ..model import REVIEW_STATUSES, InvalidInput, NotFound, Record, State, StoreError, now
from ..values import parse_value
from . import organs as organ_ids
from . import query, rows, stats
from .accounts import Accounts
from .database import database_url, migrate, open_engine
from .query import Filters, FindingRow, ReportRow
from .refresh import refresh_stale
from .rows import CELL_COLUMNS, FINDING_COLUMNS, Prepared, finding_row, prepare
from .schema import (
    cell_keys,
    cells,
    corrections,
    extras,
    figures,
    findings,
    organs,
    reports,
    runs,
    sections,
    sources,
)
from .schema import failures as failure_rows

T = TypeVar("T")


@dataclass(slots=True)
class Added:
    id: int
    status: str  # added / reparsed / unchanged


class Corpus:
    """A corpus of reports in one database. Use as a context manager or call ``close()``."""

    def __init__(self, url: str | os.PathLike | None = None, *, echo: bool = False):
        self.url = database_url(url)
        try:
            self.engine = open_engine(self.url, echo=echo)
            migrate(self.engine)
        except sa.exc.SQLAlchemyError as exc:
            problem = f"无法打开数据库 (cannot open database: {exc.__class__.__name__}: {exc})"
            raise StoreError(self.url, problem) from None
        self._key_names: dict[int, str] = {}
        self._keys = self._load_keys()
        self._sql: dict[tuple, str] = {}

    @property
    def accounts(self) -> Accounts:
        """The web app's accounts, kept in this corpus."""
        return Accounts(self.engine)

    def __enter__(self) -> Corpus:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        self.engine.dispose()

    def _load_keys(self) -> dict[str, int]:
        with self.engine.begin() as conn:
            known = dict(conn.execute(sa.select(cell_keys.c.key, cell_keys.c.id)).all())
            wanted = [k for t in TEMPLATES for k in keys(t)]
            new = [k for k in dict.fromkeys(wanted) if k not in known]
            if new:
                start = max(known.values(), default=0) + 1
                rows = [{"id": start + i, "key": k} for i, k in enumerate(new)]
                conn.execute(cell_keys.insert(), rows)
                known.update({r["key"]: r["id"] for r in rows})
        return known

    @property
    def _key_of(self) -> dict[int, str]:
        if len(self._key_names) != len(self._keys):
            self._key_names = {v: k for k, v in self._keys.items()}
        return self._key_names

    def key_id(self, conn: sa.Connection, key: str) -> int:
        if key not in self._keys:
            known = conn.execute(sa.select(cell_keys.c.id).where(cell_keys.c.key == key)).scalar()
            if known is None:
                known = (conn.execute(sa.select(sa.func.max(cell_keys.c.id))).scalar() or 0) + 1
                conn.execute(cell_keys.insert().values(id=known, key=key))
            self._keys[key] = known
        return self._keys[key]

    def add(
        self, record: Record | Prepared, source: bytes | None = None, *, run_id: int | None = None, refresh: bool = True
    ) -> Added:
        """Store one record (or a worker's ``prepare(record)``) atomically. Same sha256 and parser version:
        nothing changes; another parser version: the report is replaced in place, corrections re-applied."""
        prep = record if isinstance(record, Prepared) else prepare(record, source)
        (result,) = self.add_many([prep], run_id=run_id)
        if isinstance(result, StoreError):
            raise result
        if refresh:
            self.refresh([result.id])
        return result

    def add_many(self, items: list[Prepared], *, run_id: int | None = None) -> list[Added | StoreError]:
        """Several whole reports in one transaction (ingest: SQLite writes each touched index page once per
        batch, not once per report). A kill loses the open batch only, never part of a report. When the
        batch fails, each report is retried alone so one bad report cannot sink the others."""
        try:
            with self.engine.begin() as conn:
                olds = {
                    r.sha256: (r.id, r.parser_version)
                    for r in conn.execute(
                        sa.select(reports.c.sha256, reports.c.id, reports.c.parser_version).where(
                            reports.c.sha256.in_([p.sha256 for p in items])
                        )
                    )
                }
                failed = conn.execute(sa.select(sa.exists(sa.select(failure_rows.c.id)))).scalar()
                results = [self._add_in(conn, prep, run_id, olds, failed) for prep in items]
                self._mark_next_years(conn, [r.id for r in results if r.status != "unchanged"])
                return results
        except sa.exc.SQLAlchemyError as exc:
            self._keys = self._load_keys()  # a rolled-back transaction may have taken new key ids with it
            if len(items) == 1:
                problem = f"无法保存报告 (cannot store: {exc.__class__.__name__}: {exc})"
                return [StoreError(items[0].report["source"], problem)]
        return [self.add_many([prep], run_id=run_id)[0] for prep in items]

    def _add_in(self, conn: sa.Connection, prep: Prepared, run_id: int | None, olds: dict, failed: bool) -> Added:
        old_id, version = olds.get(prep.sha256, (None, None))
        if old_id is not None and version == prep.report["parser_version"]:
            return Added(old_id, "unchanged")
        report_id = self._write(conn, prep, run_id, old_id, failed)
        olds[prep.sha256] = (report_id, prep.report["parser_version"])  # the same file twice in one batch
        return Added(report_id, "reparsed" if old_id else "added")

    def _mark_next_years(self, conn: sa.Connection, report_ids: list[int]) -> None:
        """The same organ's next-year reports now have a (new) previous year: their cross-year findings are stale."""
        pairs = conn.execute(
            sa.select(reports.c.organ_id, reports.c.year + 1).where(
                reports.c.id.in_(report_ids), reports.c.organ_id.is_not(None), reports.c.year.is_not(None)
            )
        ).all()
        if pairs:
            conn.execute(
                reports.update().where(sa.tuple_(reports.c.organ_id, reports.c.year).in_(pairs)).values(stale=True)
            )

    def _write(
        self, conn: sa.Connection, prep: Prepared, run_id: int | None, old_id: int | None, failed: bool = True
    ) -> int:
        organ_id, organ_key = organ_ids.resolve(conn, prep.organ_name) if prep.organ_name else (None, None)
        errors_, warnings_, infos_ = prep.counts
        row = dict(
            prep.report,
            organ_id=organ_id,
            organ_key=organ_key,
            run_id=run_id,
            added=now(),
            stale=True,
            errors=errors_,
            warnings=warnings_,
            infos=infos_,
        )
        kept = {}
        if old_id is None:
            report_id = conn.execute(reports.insert().values(**row)).inserted_primary_key[0]
        else:
            report_id = old_id
            kept = rows.reviews(conn, [old_id])
            for table in (cells, sections, extras, findings, figures, sources):
                column = table.c.sha256 if table is sources else table.c.report_id
                conn.execute(table.delete().where(column == (prep.sha256 if table is sources else old_id)))
            conn.execute(reports.update().where(reports.c.id == old_id).values(**row))
        raw = self._insert_raw
        raw(
            conn,
            "sections",
            ("report_id", "number", "heading", "text", "line", "standard"),
            [(report_id, *s) for s in prep.sections],
        )
        raw(conn, "cells", CELL_COLUMNS, [(report_id, self.key_id(conn, c[0]), *c[1:]) for c in prep.cells])
        raw(conn, "figures", ("report_id", *prep.figures), [(report_id, *prep.figures.values())])
        raw(
            conn, "extras", ("report_id", "tbl", "label", "cell_values", "line"), [(report_id, *e) for e in prep.extras]
        )
        if kept:
            rows.insert_findings(conn, [finding_row(report_id, f) for f in prep.findings], kept)
        else:
            raw(conn, "findings", FINDING_COLUMNS, [tuple(finding_row(report_id, f).values()) for f in prep.findings])
        if prep.data is not None:
            raw(conn, "sources", ("sha256", "data"), [(prep.sha256, prep.data)])
        if failed:
            conn.execute(
                failure_rows.delete().where(
                    sa.or_(failure_rows.c.sha256 == prep.sha256, failure_rows.c.source == row["source"])
                )
            )
        if old_id is not None and (latest := rows.latest_corrections(conn, report_id)):
            self._reaudit(conn, report_id, latest)
        return report_id

    def _insert_raw(self, conn: sa.Connection, table: str, columns: tuple[str, ...], rows: list[tuple]) -> None:
        """Rows straight to the driver: for 200 cells a report, SQLAlchemy's per-row parameter handling would
        cost the single writing process more than a worker spends parsing the report (bench/bench_ingest.py)."""
        if not rows:
            return
        sql = self._sql.get((table, columns))
        if sql is None:
            quote = conn.dialect.identifier_preparer.quote
            mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
            sql = self._sql[(table, columns)] = (
                f"INSERT INTO {table} ({', '.join(quote(c) for c in columns)}) "
                f"VALUES ({', '.join([mark] * len(columns))})"
            )
        conn.exec_driver_sql(sql, rows)

    def _reaudit(self, conn: sa.Connection, report_id: int, changes: dict) -> Record:
        """Apply corrections {key: row with new_value/new_state/new_unit} and re-run the single-report audit."""
        record = rows.load_record(conn, report_id, self._key_of)
        for key, c in changes.items():
            record.cells[key] = rows.corrected_cell(record.cells.get(key), key, c.new_value, c.new_state, c.new_unit)
            key_id = self.key_id(conn, key)
            conn.execute(cells.delete().where(cells.c.report_id == report_id, cells.c.key_id == key_id))
            conn.execute(cells.insert().values(**rows.encode_cell(report_id, key_id, record.cells[key])))
        record.findings, record.problems = assess(record)
        conn.execute(figures.update().where(figures.c.report_id == report_id).values(**figures_row(record)))
        kept = rows.reviews(conn, [report_id])
        conn.execute(findings.delete().where(findings.c.report_id == report_id, findings.c.origin.in_(_OWN)))
        rows.insert_findings(
            conn,
            [rows.encode_finding(report_id, "problem", f) for f in record.problems]
            + [rows.encode_finding(report_id, "audit", f) for f in record.findings],
            kept,
        )
        row = conn.execute(sa.select(reports.c.organ_id, reports.c.year).where(reports.c.id == report_id)).first()
        conn.execute(
            reports.update()
            .where(
                sa.or_(
                    reports.c.id == report_id,
                    sa.and_(reports.c.organ_id == row.organ_id, reports.c.year == (row.year or 0) + 1),
                )
            )
            .values(stale=True)
        )
        rows.recount(conn, [report_id])
        return record

    def set_cell(
        self, report_id: int, key: str, value: str | int | float | None, *, who: str, comment: str | None = None
    ) -> Record:
        """Correct one cell (value as text, e.g. "12" or "—"): the old value stays in ``corrections``."""
        number, state, unit = parse_value("" if value is None else str(value))
        with self.engine.begin() as conn:
            old = rows.load_record(conn, report_id, self._key_of, only_keys={self._keys.get(key, -1)})
            if old is None:
                raise _no_report(report_id)
            cell = old.cells.get(key)
            conn.execute(
                corrections.insert().values(
                    report_id=report_id,
                    key=key,
                    old_value=None if cell is None else rows.plain(cell.value),
                    old_state=(cell.state if cell else State.missing).value,
                    old_raw=cell.raw if cell else None,
                    new_value=rows.plain(number),
                    new_state=state.value,
                    new_unit=unit,
                    who=who,
                    at=now(),
                    comment=comment,
                )
            )
            self._reaudit(conn, report_id, rows.latest_corrections(conn, report_id, key))
        self.refresh([report_id])
        return self.get(report_id)

    def review_finding(self, finding_id: int, status: str, *, who: str, comment: str | None = None) -> None:
        if status not in REVIEW_STATUSES:
            raise InvalidInput(f"finding {finding_id}", f"未知的审核状态 {status!r} (use {', '.join(REVIEW_STATUSES)})")
        with self.engine.begin() as conn:
            done = conn.execute(
                findings.update()
                .where(findings.c.id == finding_id)
                .values(status=status, reviewer=who, comment=comment, reviewed=now())
            )
            if done.rowcount == 0:
                raise NotFound(f"finding {finding_id}", f"审核发现 {finding_id} 不存在")

    def import_organs(self, path: str | os.PathLike) -> int:
        """Apply an organ list (名称, 别名, 省, 市, 县, 类型…); reports of merged spellings move with it."""
        items = organ_ids.read_list(path)
        with self.engine.begin() as conn:
            count, _ = organ_ids.import_list(conn, items)
        self.refresh()
        return count

    def refresh(self, report_ids: list[int] | None = None) -> int:
        """Recompute cross-year findings (crossyear.py) for stale reports; returns how many were checked."""
        return refresh_stale(self.engine, self._key_of, report_ids)

    def start_run(self, paths: list[str], parser_version: str) -> int:
        with self.engine.begin() as conn:
            return conn.execute(
                runs.insert().values(
                    started=now(), status="running", parser_version=parser_version, paths="\n".join(paths)[:10000]
                )
            ).inserted_primary_key[0]

    def finish_run(self, run_id: int, counts: dict[str, int], status: str = "done") -> None:
        with self.engine.begin() as conn:
            conn.execute(runs.update().where(runs.c.id == run_id).values(finished=now(), status=status, **counts))

    def record_failure(
        self, source: str, sha256: str | None, error: str, reason: str, parser_version: str, run_id: int | None = None
    ) -> None:
        """One failed input (error = OgiError class name), replacing an earlier failure of the same source."""
        with self.engine.begin() as conn:
            conn.execute(failure_rows.delete().where(failure_rows.c.source == source))
            conn.execute(
                failure_rows.insert().values(
                    source=source,
                    sha256=sha256,
                    parser_version=parser_version,
                    error=error[:40],
                    reason=reason[:2000],
                    run_id=run_id,
                    at=now(),
                )
            )

    def get(self, report_id: int) -> Record:
        with self.engine.connect() as conn:
            record = rows.load_record(conn, report_id, self._key_of)
        if record is None:
            raise _no_report(report_id)
        return record

    def report_file(self, report_id: int) -> dict:
        """What is known of a report's file: id, organ_id, source, added, size, kind, sha256."""
        with self.engine.connect() as conn:
            row = (
                conn.execute(
                    sa.select(
                        reports.c.id,
                        reports.c.organ_id,
                        reports.c.source,
                        reports.c.added,
                        reports.c.size,
                        reports.c.kind,
                        reports.c.sha256,
                    ).where(reports.c.id == report_id)
                )
                .mappings()
                .first()
            )
        if row is None:
            raise _no_report(report_id)
        return dict(row)

    def report_id_of(self, sha256: str) -> int | None:
        with self.engine.connect() as conn:
            return conn.execute(sa.select(reports.c.id).where(reports.c.sha256 == sha256)).scalar()

    def source(self, report_id: int) -> bytes | None:
        with self.engine.connect() as conn:
            data = conn.execute(
                sa.select(sources.c.data)
                .join(reports, reports.c.sha256 == sources.c.sha256)
                .where(reports.c.id == report_id)
            ).scalar()
        return zlib.decompress(data) if data is not None else None

    def known(self, failures: bool = True) -> dict[str, str]:
        """sha256 → parser version of every stored report and (by default) failed file: ingest skips them."""
        with self.engine.connect() as conn:
            done = dict(conn.execute(sa.select(reports.c.sha256, reports.c.parser_version)).all())
            if not failures:
                return done
            failed = conn.execute(
                sa.select(failure_rows.c.sha256, failure_rows.c.parser_version).where(
                    failure_rows.c.sha256.is_not(None)
                )
            ).all()
            return dict(failed) | done

    def _read(self, query_fn: Callable[..., T], *args, **kwargs) -> T:
        """One read of the query layer (``query``, ``stats``) on a connection of its own."""
        with self.engine.connect() as conn:
            return query_fn(conn, *args, **kwargs)

    def reports(
        self, filters: Filters | None = None, *, limit: int | None = 100, offset: int = 0, order: str = "id", **by
    ) -> list[ReportRow]:
        """Reports matching ``filters`` (or the same given as keywords: year=2021, region="缙云" …), in ``order``
        (``query.ORDERS``: id, -id, year, -year, organ, errors)."""
        return self._read(query.list_reports, _filters(filters, by), limit=limit, offset=offset, order=order)

    def count(self, filters: Filters | None = None, **by) -> int:
        return self._read(query.count_reports, _filters(filters, by))

    def history(self, organ_id: int) -> list[ReportRow]:
        return self.reports(organ=organ_id, order="year", limit=None)

    def findings(
        self,
        report_id: int | None = None,
        filters: Filters | None = None,
        *,
        limit: int | None = 500,
        offset: int = 0,
        reading: bool = False,
        **by,
    ) -> list[FindingRow]:
        """Findings against the reports, or with ``reading`` their reading problems (读取问题) instead."""
        return self._read(
            query.list_findings, _filters(filters, by), report_id, limit=limit, offset=offset, reading=reading
        )

    def finding_report(self, finding_id: int) -> int:
        """The report a finding belongs to."""
        with self.engine.connect() as conn:
            report_id = conn.execute(sa.select(findings.c.report_id).where(findings.c.id == finding_id)).scalar()
        if report_id is None:
            raise NotFound(f"finding {finding_id}", f"审核发现 {finding_id} 不存在")
        return report_id

    def corrections(self, report_id: int) -> list[dict]:
        stmt = sa.select(corrections).where(corrections.c.report_id == report_id).order_by(corrections.c.id)
        return self._read(_dicts, stmt)

    def failures(self, run_id: int | None = None) -> list[dict]:
        stmt = sa.select(failure_rows).order_by(failure_rows.c.id)
        if run_id is not None:
            stmt = stmt.where(failure_rows.c.run_id == run_id)
        return self._read(_dicts, stmt)

    def runs(self) -> list[dict]:
        return self._read(_dicts, sa.select(runs).order_by(runs.c.id))

    def organs(self, q: str | None = None, region: str | None = None, limit: int | None = 1000) -> list[dict]:
        return self._read(query.list_organs, Filters(q=q, region=region), limit=limit)

    def organ(self, organ_id: int) -> dict | None:
        found = self._read(_dicts, sa.select(organs).where(organs.c.id == organ_id))
        return found[0] if found else None

    def coverage(self, year: int, region: str | None = None) -> list[dict]:
        """Per region: organs known, organs with a report for ``year``, and which are missing."""
        return self._read(query.coverage, year, Filters(region=region))

    def deadlines(self, year: int, filters: Filters | None = None, *, registry_only: bool = False) -> list[dict]:
        """Every organ of the region with its report for ``year`` and whether it was published in time."""
        return self._read(query.organ_deadlines, year, _filters(filters), registry_only)

    def region_options(self, filters: Filters | None = None) -> dict[str, list[str]]:
        return self._read(query.region_options, _filters(filters))

    def years(self) -> list[int]:
        return self._read(query.years)

    def rules_seen(self) -> list[str]:
        return self._read(query.rules_seen)

    def count_failures(self) -> int:
        return self._read(query.count_failures)

    def has_registry(self) -> bool:
        return self._read(query.has_registry)

    def templates_present(self, filters: Filters | None = None, **by) -> list[str]:
        """The formats of the selected reports, sorted ("2019", "2021")."""
        return self._read(query.templates_present, _filters(filters, by))

    def reports_with_cells(self, filters: Filters | None = None, **by) -> Iterator[tuple[dict, list[dict]]]:
        """(report, cells) of each selected report in id order, streamed (an export reads them all)."""
        return query.reports_with_cells(self.engine, _filters(filters, by))

    def figures_by_year(self, filters: Filters | None = None) -> list[dict]:
        return self._read(stats.figures_by_year, _filters(filters))

    def figures_per_report(self, filters: Filters | None = None) -> list[dict]:
        return self._read(stats.figures_per_report, _filters(filters))

    def totals(
        self, key: str | list[str], by: tuple[str, ...] = ("year",), filters: Filters | None = None, **kw
    ) -> list[dict]:
        return self._read(stats.totals, key, by, _filters(filters, kw))

    def rates(self, by: tuple[str, ...] = ("year",), filters: Filters | None = None, **kw) -> list[dict]:
        return self._read(stats.rates, by, _filters(filters, kw))

    def ranking(
        self,
        measure: str,
        top: int = 20,
        filters: Filters | None = None,
        *,
        ascending: bool = False,
        min_base: float = 10,
        **kw,
    ) -> list[dict]:
        f = _filters(filters, kw)
        return self._read(stats.ranking, measure, top, f, ascending=ascending, min_base=min_base)

    def findings_by_rule(self, by: tuple[str, ...] = (), filters: Filters | None = None, **kw) -> list[dict]:
        return self._read(stats.findings_by_rule, by, _filters(filters, kw))

    def by_region(self, level: str, filters: Filters | None = None) -> list[dict]:
        return self._read(stats.by_region, level, _filters(filters))


# The findings a report's own audit writes: its reading problems and its findings (not the corpus's).
_OWN = ("problem", "audit")


def _no_report(report_id: int) -> NotFound:
    return NotFound(f"report {report_id}", f"报告 {report_id} 不存在")


def _dicts(conn: sa.Connection, stmt: sa.Select) -> list[dict]:
    return [dict(r) for r in conn.execute(stmt).mappings()]


def _filters(filters: Filters | None, by: dict | None = None) -> Filters:
    """Filters given as an object, as keywords, or both (keywords win)."""
    if filters is None:
        return Filters(**(by or {}))
    return dataclasses.replace(filters, **by) if by else filters


__all__ = ["Accounts", "Added", "Corpus", "Filters", "FindingRow", "Prepared", "ReportRow", "database_url", "prepare"]
