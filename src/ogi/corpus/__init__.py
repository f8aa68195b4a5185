"""The corpus: canonical records in SQLite (default) or PostgreSQL, as tables (issue #4; schema in ``schema.py``).

The only package of ogi that imports SQLAlchemy, and the one door to the database for the CLI and the web app.

``Corpus(url)`` opens (and migrates, with Alembic) a database: ``None`` → ``$OGI_DB`` → ``./ogi.db``; a path
means SQLite, a URL (``postgresql+psycopg://…``) any SQLAlchemy database. The API the CLI and the web app use:

Writing
    add(record, source=None, run_id=None, refresh=True) -> Added   idempotent by sha256; re-parse replaces
    add_many([prepare(record, source)…], run_id=None) -> [Added | StoreError]   one transaction, bulk (ingest)
    set_cell(report_id, key, value, who, comment=None) -> Record    correction: original kept, re-audited
    review_finding(finding_id, status, who, comment=None)          status: open / confirmed / dismissed; the
                                                                    verdict is appended to ``finding_reviews``
                                                                    and never deleted: a re-audit gives it back
                                                                    to the finding that still stands
    import_organs(path) -> int                                      organ list CSV/XLSX (organs.py)
    refresh(report_ids=None) -> int                                 cross-year findings of stale reports
    start_run(paths) / beat(run_id, counts) / finish_run(run_id, counts, status) / end_dead_runs()
    record_failure(source, sha256, error, run_id)
Reading
    get(report_id) -> Record            report_id_of(sha256)         source(report_id) -> bytes | None
    reports(**filters, limit, offset, order) -> list[ReportRow]      count(**filters) -> int
        filters: year, region, organ (id or name part), template, kind, rule, severity, status, q
    history(organ_id) -> list[ReportRow]                             one organ across years
    review_history(report_id) -> list[dict]                          verdicts, those resolved marked
Campaign
    set_report_status(report_id, status, who, comment, assignee)   待审 / 审核中 / 退回整改 / 通过, history kept
    assign(filters, assignee, who) -> int   review_counts(**filters)   next_report(after, **filters)
    findings(report_id=None, **filters, limit, offset) -> list[FindingRow]
    corrections(report_id) / failures(run_id=None) / runs() / known() -> {sha256: parser_version}
    known_by_kind() -> (stored, failed): sha256 → parser version of each
    organs(q=None, region=None) / organ(organ_id) / coverage(year, region=None)
Figures (``stats.py``)
    totals(key, by, **filters) / rates(by, **filters) / ranking(measure, top, **filters) / findings_by_rule(**filters)
Accounts of the web app: ``accounts`` (``accounts.py``)

Errors: ``NotFound`` for an id that is not there, ``InvalidInput`` for a value that is not acceptable,
``StoreError`` when the database itself fails.

A report is always written whole inside one transaction (ingest puts several reports in each, ``ingest.BatchWriter``):
it is either entirely in the corpus or not at all, so a killed ingest resumes without losses or duplicates.
Writers that read before they write take the corpus write lock (``database.write_lock``), so two ingests at
once neither store a report twice nor fail on each other's organs.
"""

from __future__ import annotations

import dataclasses
import os
import socket
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import TypeVar

import sqlalchemy as sa

from .. import forms
from ..audit import assess
from ..figures import figures_row
from ..model import REPORT_STATUSES, REVIEW_STATUSES, InvalidInput, NotFound, Record, State, StoreError, now
from ..values import parse_value
from . import organs as organ_ids
from . import query, rows, stats, summaries
from .accounts import Accounts
from .database import database_url, migrate, new_ids, open_engine, write_lock
from .drafts import Drafts
from .query import Filters, FindingRow, ReportRow
from .refresh import refresh_stale
from .rows import (
    CELLS_COLUMNS,
    FINDING_COLUMNS,
    META_COLUMN,
    META_FIELDS,
    Prepared,
    cells_row,
    finding_row,
    meta_value,
    prepare,
)
from .same import add_source, file_key, same_file, same_reports
from .schema import (
    cells,
    corrections,
    extras,
    figures,
    findings,
    meta_corrections,
    organ_changes,
    organs,
    report_reviews,
    report_sources,
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
    status: str  # added / reparsed / unchanged / same (another file of a stored report)


def _report_row(prep: Prepared, organ_id: int | None, organ_key: str | None, run_id: int | None, added) -> dict:
    """The ``reports`` row of a prepared report: its own columns, where it belongs, and its finding counts."""
    errors_, warnings_, infos_ = prep.counts
    return dict(
        prep.report,
        organ_id=organ_id,
        organ_key=organ_key,
        run_id=run_id,
        added=added,
        stale=True,
        errors=errors_,
        warnings=warnings_,
        infos=infos_,
    )


class Corpus:
    """A corpus of reports in one database. Use as a context manager or call ``close()``."""

    def __init__(self, url: str | os.PathLike | None = None, *, echo: bool = False):
        self.url = database_url(url)
        try:
            self.engine = open_engine(self.url, echo=echo)
            migrate(self.engine)
        except sa.exc.SQLAlchemyError as exc:
            raise StoreError(shown_url(self.url), f"无法打开数据库：{database_problem(exc)}") from None
        self._sql: dict[tuple, str] = {}

    @property
    def accounts(self) -> Accounts:
        """The web app's accounts, kept in this corpus."""
        return Accounts(self.engine)

    @property
    def drafts(self) -> Drafts:
        """Reports being written in the web app (编制), and the organs of writer accounts."""
        return Drafts(self.engine)

    def __enter__(self) -> Corpus:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        self.engine.dispose()

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

    def add_many(
        self, items: list[Prepared], *, run_id: int | None = None, resumable: bool = False
    ) -> list[Added | StoreError]:
        """Several whole reports in one transaction (ingest): one statement per table for the whole batch, so
        the single writing process keeps up with the parsing workers. A kill loses the open batch only, never
        part of a report. When the batch fails, each report is retried alone so one bad report cannot sink the
        others. Idempotent under concurrency: the transaction holds the corpus write lock (``write_lock``).

        ``resumable``: the caller finds out by itself what is stored (an ingest skips stored files by their
        sha256 and parses the rest again), so PostgreSQL may report the commit before it is on disk
        (``synchronous_commit`` off for this transaction): a server crash can lose the last fraction of a
        second of batches, never part of one, and the next run stores them again. A web upload is not."""
        try:
            with self._writing() as conn:
                if resumable and conn.dialect.name == "postgresql":
                    conn.exec_driver_sql("SET LOCAL synchronous_commit TO OFF")
                return self._store(conn, items, run_id)
        except sa.exc.SQLAlchemyError as exc:
            if len(items) == 1:
                problem = f"无法保存报告：{database_problem(exc)}"
                return [StoreError(items[0].report["source"], problem)]
        return [self.add_many([prep], run_id=run_id, resumable=resumable)[0] for prep in items]

    @contextmanager
    def _writing(self) -> Iterator[sa.Connection]:
        """A transaction holding the corpus write lock: writers that read before they write follow one another."""
        with self.engine.begin() as conn:
            write_lock(conn)
            yield conn

    def _store(self, conn: sa.Connection, items: list[Prepared], run_id: int | None) -> list[Added]:
        """The store path: prepared reports → rows, inside the caller's locked transaction.

        Unchanged reports (same sha256 and parser version) are left alone; new ones are inserted together
        (reports with RETURNING, then each child table in one bulk statement: COPY on PostgreSQL); a report
        parsed by another parser version is replaced in place (``_write``), keeping corrections and verdicts."""
        shas = list(dict.fromkeys(p.sha256 for p in items))
        olds: dict[str, tuple[int, str]] = {}
        for start in range(0, len(shas), 500):
            for sha, rid, version in conn.execute(
                sa.select(reports.c.sha256, reports.c.id, reports.c.parser_version).where(
                    reports.c.sha256.in_(shas[start : start + 500])
                )
            ):
                olds[sha] = (rid, version)
        failed = conn.execute(sa.select(sa.exists(sa.select(failure_rows.c.id)))).scalar()
        results: dict[str, Added] = {}
        new: dict[str, Prepared] = {}  # the same bytes twice in one batch: stored once
        for prep in items:
            if prep.sha256 in results or prep.sha256 in new:
                continue
            old_id, version = olds.get(prep.sha256, (None, None))
            if old_id is None:
                new[prep.sha256] = prep
            elif version == prep.report["parser_version"]:
                results[prep.sha256] = Added(old_id, "unchanged")
            else:
                results[prep.sha256] = Added(self._write(conn, prep, run_id, old_id, failed), "reparsed")
        if new:
            # Another file of a report stored before, or of one earlier in this batch, is listed as its source.
            stored: list[Prepared] = []
            by_key: dict[tuple, list[Prepared]] = {}
            twins: list[tuple[Prepared, Prepared]] = []
            known = same_reports(conn, list(new.values()))
            for prep in new.values():
                group = by_key.setdefault(file_key(prep), [])  # the batch's files that could be this one
                if (same_id := known.get(prep.sha256)) is not None:
                    results[prep.sha256] = Added(same_id, "same")
                elif (twin := next((p for p in group if same_file(p, prep)), None)) is not None:
                    twins.append((prep, twin))
                else:
                    stored.append(prep)
                    group.append(prep)
            for prep, report_id in zip(stored, self._insert_new(conn, stored, run_id) if stored else []):
                results[prep.sha256] = Added(report_id, "added")
            self._settle_deadlines(conn, [results[p.sha256].id for p in stored])
            for prep, twin in twins:
                add_source(conn, results[twin.sha256].id, prep)
                results[prep.sha256] = Added(results[twin.sha256].id, "same")
            if failed:
                self._forget_failures(conn, list(new.values()))
        changed = [r.id for r in results.values() if r.status in ("added", "reparsed")]
        self._mark_next_years(conn, changed)
        if changed:
            self._supersede(
                conn, conn.execute(sa.select(reports.c.organ_id, reports.c.year).where(reports.c.id.in_(changed))).all()
            )
        return [results[p.sha256] for p in items]

    def _insert_new(self, conn: sa.Connection, new: list[Prepared], run_id: int | None) -> list[int]:
        organ_of = self._organ_ids(conn, new)
        added = now()
        report_rows = []
        for prep in new:
            organ_id, organ_key = organ_of.get(prep.organ_name or "", (None, None))
            report_rows.append(_report_row(prep, organ_id, organ_key, run_id, added))
        # Ids taken first, so that the reports go in one COPY like their cells (INSERT … RETURNING of a batch
        # cost PostgreSQL's driver more than all the other tables together).
        ids = new_ids(conn, reports, len(report_rows))
        columns = ("id", *report_rows[0])
        self._insert_bulk(conn, "reports", columns, [(i, *row.values()) for i, row in zip(ids, report_rows)])
        sections_, cells_, figures_, extras_, findings_, sources_ = [], [], [], [], [], []
        for report_id, prep in zip(ids, new):
            sections_ += [(report_id, *s) for s in prep.sections]
            cells_.append(cells_row(report_id, prep))
            figures_.append((report_id, *prep.figures.values()))
            extras_ += [(report_id, *e) for e in prep.extras]
            findings_ += [tuple(finding_row(report_id, f).values()) for f in prep.findings]
            if prep.data is not None:
                sources_.append((prep.sha256, prep.data))
        bulk = self._insert_bulk
        bulk(conn, "sections", ("report_id", "number", "heading", "text", "line", "standard"), sections_)
        bulk(conn, "cells", CELLS_COLUMNS, cells_)
        bulk(conn, "figures", ("report_id", *new[0].figures), figures_)
        bulk(conn, "extras", ("report_id", "tbl", "label", "cell_values", "line"), extras_)
        bulk(conn, "findings", FINDING_COLUMNS, findings_)
        # A source kept from an earlier report of the same bytes (deleted since) is not written twice.
        known = (
            set(
                conn.execute(
                    sa.select(sources.c.sha256).where(sources.c.sha256.in_([sha for sha, _ in sources_]))
                ).scalars()
            )
            if sources_
            else set()
        )
        bulk(conn, "sources", ("sha256", "data"), [s for s in sources_ if s[0] not in known])
        return ids

    def _settle_deadlines(self, conn: sa.Connection, report_ids: list[int]) -> None:
        """New reports are due as a government's (3月31日) by their organ's kind or the reviewer's word on the
        organ, not by the name the reader saw: where the two differ, the report is re-audited (DEADLINE)."""
        for start in range(0, len(report_ids), 500):
            found = conn.execute(
                sa.select(reports.c.id, reports.c.is_government, organs.c.name, organs.c.kind, organs.c.governs)
                .join(organs, organs.c.id == reports.c.organ_id)
                .where(reports.c.id.in_(report_ids[start : start + 500]))
            ).all()
            for r in found:
                due = forms.due_as_government(r.name, r.kind, r.governs)
                if due != bool(r.is_government):
                    conn.execute(reports.update().where(reports.c.id == r.id).values(is_government=due))
                    self._reaudit(conn, r.id, {})

    def _organ_ids(self, conn: sa.Connection, preps: list[Prepared]) -> dict[str, tuple[int, str]]:
        """Organ name as written → (organ id, alias key), for a batch at once."""
        return organ_ids.resolve_many(conn, {p.organ_name: p.report.get("year") for p in preps if p.organ_name})

    def _forget_failures(self, conn: sa.Connection, stored: list[Prepared]) -> None:
        """A file stored now is no longer a failure (by its bytes or by its path)."""
        shas = [p.sha256 for p in stored]
        paths = [p.report["source"] for p in stored]
        conn.execute(
            failure_rows.delete().where(sa.or_(failure_rows.c.sha256.in_(shas), failure_rows.c.source.in_(paths)))
        )

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
        year = prep.report.get("year")
        organ_id, organ_key = organ_ids.resolve(conn, prep.organ_name, year) if prep.organ_name else (None, None)
        row = _report_row(prep, organ_id, organ_key, run_id, now())
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
        raw(conn, "cells", CELLS_COLUMNS, [cells_row(report_id, prep)])
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
        fixed = old_id is not None and self._reapply_meta(conn, report_id)
        latest = rows.latest_corrections(conn, report_id) if old_id is not None else {}
        # The organ's kind (or the reviewer's word) decides the deadline; the reader only saw the name.
        governs = self._governs(conn, report_id, {"organ_id": organ_id}) if organ_id is not None else None
        if governs is not None and governs != row["is_government"] and not fixed:
            conn.execute(reports.update().where(reports.c.id == report_id).values(is_government=governs))
            fixed = True
        if fixed or latest:
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

    def _insert_bulk(self, conn: sa.Connection, table: str, columns: tuple[str, ...], rows: list[tuple]) -> None:
        """Many reports' rows of one table at once: PostgreSQL's COPY (one round trip, no per-row statement),
        elsewhere one executemany."""
        if not rows:
            return
        if conn.dialect.name != "postgresql":
            self._insert_raw(conn, table, columns, rows)
            return
        quote = conn.dialect.identifier_preparer.quote
        cursor = conn.connection.driver_connection.cursor()
        with cursor.copy(f"COPY {table} ({', '.join(quote(c) for c in columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)

    def _reaudit(self, conn: sa.Connection, report_id: int, changes: dict) -> Record:
        """Apply corrections {key: row with new_value/new_state/new_unit} and re-run the single-report audit."""
        record = rows.load_record(conn, report_id)
        for key, c in changes.items():
            record.cells[key] = rows.corrected_cell(record.cells.get(key), key, c.new_value, c.new_state, c.new_unit)
        if changes:
            rows.write_cells(conn, report_id, record.cells)
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
            old = rows.load_record(conn, report_id, only_keys={key})
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

    def set_meta(
        self, report_id: int, field: str, value: str | None, *, who: str, comment: str | None = None
    ) -> Record:
        """Correct what a report says about itself — organ, year, publication date, format (``META_FIELDS``) —
        like a cell: the original kept in ``meta_corrections``, the report re-audited (FORMAT-YEAR, DEADLINE),
        its versions and the cross-year findings of the organ-years it left and joined recomputed."""
        if field not in META_FIELDS:
            raise InvalidInput(
                f"report {report_id}", f"不能更正的字段 {field!r}（可选：{'、'.join(META_FIELDS.values())}）"
            )
        new = meta_value(field, value)
        with self._writing() as conn:  # it may create an organ (``new_ids`` wants the write lock)
            row = conn.execute(sa.select(reports).where(reports.c.id == report_id)).first()
            if row is None:
                raise _no_report(report_id)
            column = META_COLUMN[field]
            old = getattr(row, column)
            conn.execute(
                meta_corrections.insert().values(
                    report_id=report_id,
                    field=field,
                    old_value=None if old is None else str(old),
                    new_value=None if new is None else str(new),
                    who=who,
                    at=now(),
                    comment=comment,
                )
            )
            before = (row.organ_id, row.year)
            self._mark_next_years(conn, [report_id])  # the organ-year it leaves: its next year loses a partner
            self._apply_meta(conn, report_id, {field: new})
            self._reaudit(conn, report_id, {})
            self._mark_next_years(conn, [report_id])
            self._supersede(conn, [before, self._organ_year(conn, report_id)])
            neighbours = self._stale_ids(conn)
        self.refresh([report_id, *neighbours])
        return self.get(report_id)

    def meta_corrections(self, report_id: int) -> list[dict]:
        stmt = sa.select(meta_corrections).where(meta_corrections.c.report_id == report_id)
        return self._read(_dicts, stmt.order_by(meta_corrections.c.id))

    def _apply_meta(self, conn: sa.Connection, report_id: int, values: dict) -> None:
        """Write corrected metadata to the report row (an organ is resolved to its id like at ingest)."""
        update = {META_COLUMN[f]: v for f, v in values.items()}
        if "organ" in values:
            organ_id, organ_key = organ_ids.resolve(conn, values["organ"])
            update.update(organ_id=organ_id, organ_key=organ_key)
        if "organ" in values or "government" in values:
            update["is_government"] = self._governs(conn, report_id, update)
        conn.execute(reports.update().where(reports.c.id == report_id).values(**update))

    def _governs(self, conn: sa.Connection, report_id: int, update: dict) -> bool:
        """Whether the report is due as a government's (3月31日): the reviewer's word (the latest "government"
        correction), else the organ's kind (``forms.due_as_government``)."""
        said = (
            update["is_government"]
            if "is_government" in update
            else conn.execute(
                sa.select(meta_corrections.c.new_value)
                .where(meta_corrections.c.report_id == report_id, meta_corrections.c.field == "government")
                .order_by(meta_corrections.c.id.desc())
                .limit(1)
            ).scalar()
        )
        if isinstance(said, str):
            said = meta_value("government", said)
        if said is not None:
            return bool(said)
        organ_id = (
            update.get("organ_id")
            or conn.execute(sa.select(reports.c.organ_id).where(reports.c.id == report_id)).scalar()
        )
        organ = conn.execute(
            sa.select(organs.c.name, organs.c.kind, organs.c.governs).where(organs.c.id == organ_id)
        ).first()
        return organ is not None and forms.due_as_government(organ.name, organ.kind, organ.governs)

    def set_organ_deadline(self, organ_id: int, governs: bool | None, *, who: str, comment: str | None = None) -> int:
        """Say whether an organ reports as a government (True: 3月31日), as a department (False: 1月31日), or
        leave it to its kind (None); the old value kept in ``organ_changes``. Its reports are re-audited
        (DEADLINE) unless a report has its own correction; returns how many changed."""
        changed = 0
        with self.engine.begin() as conn:
            old = conn.execute(sa.select(organs.c.governs).where(organs.c.id == organ_id)).first()
            if old is None:
                raise NotFound(f"organ {organ_id}", f"机关 {organ_id} 不存在")
            conn.execute(
                organ_changes.insert().values(
                    organ_id=organ_id,
                    field="governs",
                    old_value=None if old.governs is None else str(old.governs),
                    new_value=None if governs is None else str(governs),
                    who=who,
                    at=now(),
                    comment=comment,
                )
            )
            conn.execute(organs.update().where(organs.c.id == organ_id).values(governs=governs))
            for rid, was in conn.execute(
                sa.select(reports.c.id, reports.c.is_government).where(reports.c.organ_id == organ_id)
            ).all():
                now_governs = self._governs(conn, rid, {"organ_id": organ_id})
                if now_governs != was:
                    conn.execute(reports.update().where(reports.c.id == rid).values(is_government=now_governs))
                    self._reaudit(conn, rid, {})
                    changed += 1
        return changed

    def organ_changes(self, organ_id: int) -> list[dict]:
        stmt = sa.select(organ_changes).where(organ_changes.c.organ_id == organ_id).order_by(organ_changes.c.id)
        return self._read(_dicts, stmt)

    def _reapply_meta(self, conn: sa.Connection, report_id: int) -> bool:
        """After a re-parse: the latest correction of each field again; True when there was one."""
        latest = {
            r.field: r.new_value
            for r in conn.execute(
                sa.select(meta_corrections.c.field, meta_corrections.c.new_value)
                .where(meta_corrections.c.report_id == report_id)
                .order_by(meta_corrections.c.id)
            )
        }
        if latest:
            self._apply_meta(conn, report_id, {f: meta_value(f, v) for f, v in latest.items()})
        return bool(latest)

    def _organ_year(self, conn: sa.Connection, report_id: int) -> tuple:
        row = conn.execute(sa.select(reports.c.organ_id, reports.c.year).where(reports.c.id == report_id)).first()
        return (row.organ_id, row.year)

    def _stale_ids(self, conn: sa.Connection) -> list[int]:
        return list(conn.execute(sa.select(reports.c.id).where(reports.c.stale.is_(True))).scalars())

    def _supersede(self, conn: sa.Connection, pairs: list[tuple]) -> None:
        """One current report per organ and year: the newest version (latest publication date, then the latest
        to arrive) is current, each earlier one points to it with ``superseded_by``."""
        known = {(organ_id, year) for organ_id, year in pairs if organ_id is not None and year is not None}
        for versions in query.versions_of_many(conn, known).values():
            newest = versions[-1]["id"] if versions else None
            for v in versions:
                wanted = None if v["id"] == newest else newest
                if v["superseded_by"] != wanted:
                    conn.execute(reports.update().where(reports.c.id == v["id"]).values(superseded_by=wanted))

    def versions(self, report_id: int) -> list[dict]:
        """Every version of the report's organ-year, oldest first: id, published, added, superseded_by."""
        with self.engine.connect() as conn:
            organ_id, year = self._organ_year(conn, report_id)
            if organ_id is None or year is None:
                return []
            return query.versions_of(conn, organ_id, year)

    def review_finding(self, finding_id: int, status: str, *, who: str, comment: str | None = None) -> None:
        """A verdict on a finding, appended to its history (``finding_reviews``, never deleted) and shown on it."""
        if status not in REVIEW_STATUSES:
            raise InvalidInput(f"finding {finding_id}", f"未知的审核状态 {status!r} (use {', '.join(REVIEW_STATUSES)})")
        with self.engine.begin() as conn:
            finding = conn.execute(sa.select(findings).where(findings.c.id == finding_id)).first()
            if finding is None:
                raise NotFound(f"finding {finding_id}", f"审核发现 {finding_id} 不存在")
            rows.record_review(conn, finding, status, who, comment, now())

    def set_report_status(
        self,
        report_id: int,
        status: str,
        *,
        who: str,
        comment: str | None = None,
        assignee: str | None | type[Ellipsis] = ...,
    ) -> None:
        """Where a report stands (待审 → 审核中 → 退回整改 / 通过) and, when given, who is to review it; every
        change is appended to ``report_reviews``."""
        if status not in REPORT_STATUSES:
            choices = "、".join(REPORT_STATUSES)
            raise InvalidInput(f"report {report_id}", f"未知的报告审核状态 {status!r}（可选：{choices}）")
        with self.engine.begin() as conn:
            current = conn.execute(sa.select(reports.c.assignee).where(reports.c.id == report_id)).first()
            if current is None:
                raise _no_report(report_id)
            person = current.assignee if assignee is ... else assignee
            conn.execute(
                reports.update().where(reports.c.id == report_id).values(review_status=status, assignee=person)
            )
            conn.execute(
                report_reviews.insert().values(
                    report_id=report_id, status=status, assignee=person, who=who, at=now(), comment=comment
                )
            )

    def assign(self, filters: Filters, assignee: str | None, *, who: str) -> int:
        """Give every selected report (current versions) to ``assignee`` (None: to nobody); returns how many."""
        with self.engine.begin() as conn:
            ids = list(
                conn.execute(
                    sa.select(reports.c.id).select_from(query.REPORTS_JOIN).where(*filters.conditions())
                ).scalars()
            )
            for start in range(0, len(ids), 500):
                part = ids[start : start + 500]
                conn.execute(reports.update().where(reports.c.id.in_(part)).values(assignee=assignee))
                statuses = dict(
                    conn.execute(sa.select(reports.c.id, reports.c.review_status).where(reports.c.id.in_(part))).all()
                )
                conn.execute(
                    report_reviews.insert(),
                    [
                        {"report_id": i, "status": statuses[i], "assignee": assignee, "who": who, "at": now()}
                        for i in part
                    ],
                )
        return len(ids)

    def report_status_history(self, report_id: int) -> list[dict]:
        stmt = sa.select(report_reviews).where(report_reviews.c.report_id == report_id).order_by(report_reviews.c.id)
        return self._read(_dicts, stmt)

    def resolved_reviews(self, filters: Filters | None = None, **by) -> list[dict]:
        """Verdicts whose finding a correction (or a new reading) resolved, across the selected reports."""
        return self._read(query.resolved_reviews, _filters(filters, by))

    def review_counts(self, filters: Filters | None = None, **by) -> dict[str, int]:
        """Selected reports per review status: {"pending": 37, "returned": 2, …}."""
        return self._read(query.review_counts, _filters(filters, by))

    def next_report(self, after: int, filters: Filters | None = None, **by) -> int | None:
        """The next selected report still waiting for review (待审 or 审核中) after ``after``, wrapping round."""
        return self._read(query.next_report, after, _filters(filters, by))

    def review_history(self, report_id: int) -> list[dict]:
        """Every verdict on the report's findings, oldest first; ``standing`` False: resolved by a correction."""
        return self._read(rows.review_history, report_id)

    def import_organs(self, path: str | os.PathLike) -> int:
        """Apply an organ list (名称, 别名, 省, 市, 县, 类型…); reports of merged spellings move with it."""
        items = organ_ids.read_list(path)
        with self.engine.begin() as conn:
            count, _ = organ_ids.import_list(conn, items)
        self.refresh()
        return count

    def refresh(self, report_ids: list[int] | None = None) -> int:
        """Recompute cross-year findings (crossyear.py) for stale reports; returns how many were checked."""
        return refresh_stale(self.engine, report_ids)

    def summarise(self) -> bool:
        """Build the stored aggregates of the statistics when they are out of date (PostgreSQL; ``summaries``).
        A full ``refresh`` does this by itself; True when they were built."""
        return summaries.bring_up_to_date(self.engine)

    def start_run(self, paths: list[str], parser_version: str) -> int:
        """A new ingest run, ``running`` on this host and process; runs whose process died are ended first."""
        self.end_dead_runs()
        with self.engine.begin() as conn:
            return conn.execute(
                runs.insert().values(
                    started=now(),
                    heartbeat=now(),
                    status="running",
                    parser_version=parser_version,
                    paths="\n".join(paths)[:10000],
                    host=socket.gethostname()[:100],
                    pid=os.getpid(),
                )
            ).inserted_primary_key[0]

    def beat(self, run_id: int, counts: dict[str, int]) -> None:
        """A running run's progress so far, and a sign of life for ``end_dead_runs``."""
        with self.engine.begin() as conn:
            conn.execute(runs.update().where(runs.c.id == run_id).values(heartbeat=now(), **counts))

    def finish_run(self, run_id: int, counts: dict[str, int], status: str = "done") -> None:
        with self.engine.begin() as conn:
            conn.execute(
                runs.update()
                .where(runs.c.id == run_id)
                .values(finished=now(), heartbeat=now(), status=status, **counts)
            )

    def end_dead_runs(self, silent_for: timedelta = timedelta(minutes=15)) -> int:
        """Mark ``interrupted`` the runs still ``running`` whose process is gone (``kill -9``, a power cut):
        on this host when their process no longer exists, elsewhere when they have not beaten for a while."""
        host = socket.gethostname()[:100]
        with self.engine.begin() as conn:
            running = conn.execute(
                sa.select(runs.c.id, runs.c.host, runs.c.pid, runs.c.heartbeat, runs.c.started).where(
                    runs.c.status == "running"
                )
            ).all()
            dead = [
                r.id
                for r in running
                if (r.host == host and r.pid is not None and not _alive(r.pid))
                or (r.heartbeat or r.started) < now() - silent_for
            ]
            if dead:
                conn.execute(runs.update().where(runs.c.id.in_(dead)).values(status="interrupted", finished=now()))
        return len(dead)

    def record_failure(
        self, source: str, sha256: str | None, error: str, reason: str, parser_version: str, run_id: int | None = None
    ) -> None:
        """One failed input (error = OgiError class name), replacing an earlier failure of the same source."""
        with self._writing() as conn:
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
            record = rows.load_record(conn, report_id)
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
        done, failed = self.known_by_kind()
        return failed | done if failures else done

    def known_by_kind(self) -> tuple[dict[str, str], dict[str, str]]:
        """(stored reports, failed files): sha256 → parser version of each."""
        with self.engine.connect() as conn:
            done = dict(conn.execute(sa.select(reports.c.sha256, reports.c.parser_version)).all())
            done |= dict(conn.execute(sa.select(report_sources.c.sha256, report_sources.c.parser_version)).all())
            failed = conn.execute(
                sa.select(failure_rows.c.sha256, failure_rows.c.parser_version).where(
                    failure_rows.c.sha256.is_not(None)
                )
            ).all()
        return done, dict(failed)

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

    def report_row(self, report_id: int) -> ReportRow:
        """One report as lists show it (organ, region, counts, review status, version), whatever its version."""
        row = self._read(query.report_row, report_id)
        if row is None:
            raise _no_report(report_id)
        return row

    def count(self, filters: Filters | None = None, **by) -> int:
        return self._read(stats.count, _filters(filters, by))

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
        self,
        key: str | list[str],
        by: tuple[str, ...] = ("year",),
        filters: Filters | None = None,
        *,
        harmonised: bool = False,
        **kw,
    ) -> list[dict]:
        return self._read(stats.totals, key, by, _filters(filters, kw), harmonised)

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


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process of that number
        return True
    return True


# The findings a report's own audit writes: its reading problems and its findings (not the corpus's).
_OWN = ("problem", "audit")


def _no_report(report_id: int) -> NotFound:
    return NotFound(f"report {report_id}", f"报告 {report_id} 不存在")


def _dicts(conn: sa.Connection, stmt: sa.Select) -> list[dict]:
    return [dict(r) for r in conn.execute(stmt).mappings()]


def shown_url(url: str) -> str:
    """A database URL as a person may see it: never its password."""
    try:
        parsed = sa.engine.make_url(url)
    except sa.exc.ArgumentError:
        return url.split("@")[-1]
    if parsed.get_backend_name() == "sqlite":
        return parsed.database or url
    return parsed.set(drivername=parsed.get_backend_name()).render_as_string(hide_password=True)


_DB_PROBLEMS = (  # the driver's words → what to tell a person
    ("password authentication failed", "用户名或密码不对"),
    ("Connection refused", "连接被拒绝：数据库服务器是否在运行、地址和端口是否正确？"),
    ("does not exist", "数据库不存在，请先创建"),
    ("could not translate host name", "找不到数据库服务器的主机名"),
    ("timeout expired", "连接数据库超时"),
    ("unable to open database file", "无法打开数据库文件：文件夹不存在或没有写权限"),
    ("database is locked", "数据库正被其他程序锁定，请稍后再试"),
    ("file is not a database", "这个文件不是 SQLite 数据库"),
)


def database_problem(exc: sa.exc.SQLAlchemyError) -> str:
    """A database error in one Chinese line: the driver's first line, without SQLAlchemy's help link or URL."""
    detail = str(getattr(exc, "orig", None) or exc).split("(Background on this error")[0].strip()
    for words, told in _DB_PROBLEMS:
        if words in detail:
            return told
    first = next((line.strip() for line in detail.splitlines() if line.strip()), exc.__class__.__name__)
    return f"{first}（{exc.__class__.__name__}）"


def _filters(filters: Filters | None, by: dict | None = None) -> Filters:
    """Filters given as an object, as keywords, or both (keywords win)."""
    if filters is None:
        return Filters(**(by or {}))
    return dataclasses.replace(filters, **by) if by else filters


__all__ = ["Accounts", "Added", "Corpus", "Filters", "FindingRow", "Prepared", "ReportRow", "database_url", "prepare"]
