"""Record ↔ rows of the corpus tables, both ways: the one codec of cells, findings and reports.

Record → rows: ``prepare(record)`` is pure and runs in the ingest workers. Why a separate step: unpickling
a pydantic Record costs the single writing process more than a worker spends parsing it, and encoding 200
cells is CPU work the workers can do in parallel. A ``Prepared`` holds only str/int/float/bytes tuples,
which cross process boundaries cheaply (issue #4: ingest limited by parsing).

Rows → Record: ``load_record`` (and ``decode_cell``/``decode_finding``). A report's cells are one row of
``cells``: packed whole by ``pack_cells``, and their values in a column a key. Findings are written with
``insert_findings``, which gives a finding computed again the reviewer's latest verdict on it (``reviews``; the
verdicts themselves live in ``finding_reviews`` and are never deleted).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import zlib
from dataclasses import dataclass
from decimal import Decimal

import msgspec
import sqlalchemy as sa

from ..crossyear import fingerprint
from ..figures import figures_row
from ..model import Cell, Extra, Finding, InvalidInput, Meta, Origin, Record, Section, Severity, State, Where
from ..normalise import to_simplified
from .organs import name_from_title, organ_key
from .schema import (
    ORIGIN_CODE,
    ORIGINS,
    STATE_CODE,
    STATES,
    VALUE_KEYS,
    cells,
    corrections,
    extras,
    finding_reviews,
    findings,
    reports,
    sections,
)

# A cell in ``cells.detail`` (``pack_cells``): these fields in this order. Part of the stored format.
CELL_FIELDS = (
    "key",
    "value",
    "scale",
    "state",
    "origin",
    "unit",
    "raw",
    "line",
    "page",
    "tbl",
    "row",
    "col",
    "box",
    "candidates",
)
CELLS_COLUMNS = ("report_id", "detail", *VALUE_KEYS)
FINDING_COLUMNS = (
    "report_id",
    "origin",
    "kind",
    "rule",
    "severity",
    "cell_keys",
    "expected",
    "found",
    "message",
    "message_en",
    "other_report_id",
    "status",
    "comment",
    "reviewer",
    "reviewed",
)


_MSGPACK = msgspec.msgpack.Encoder()


@dataclass(slots=True)
class Prepared:
    sha256: str
    report: dict  # columns of ``reports`` known from the record alone
    organ_name: str | None  # the organ as written (or from the title) → organs.resolve
    organ_key: str | None  # its normalised spelling (the alias key), computed here rather than by the writer
    sections: list[tuple]  # (number, heading, text, line, standard)
    cells: bytes  # every cell whole, packed (``pack_cells``); b"" when the report has none
    values: tuple  # the value of each key of ``VALUE_KEYS`` (None: blank, unread or not in its format)
    extras: list[tuple]  # (tbl, label, values, line)
    findings: list[tuple]  # (origin, kind, rule, severity, cell_keys, expected, found, message, message_en)
    figures: dict
    data: bytes | None  # zlib-compressed source
    counts: tuple[int, int, int]  # errors, warnings, infos among the audit's findings


def plain(value: int | Decimal | None) -> str | None:
    """A value written plainly ("12", "532934.41"): what ``raw`` is assumed to be when stored as NULL."""
    if value is None:
        return None
    return format(value, "f") if isinstance(value, Decimal) else str(value)


_NOWHERE = Where()  # read only: most cells of a text report carry no place beyond their line


def cell_tuple(c: Cell) -> tuple:
    value = c.value
    scale = None
    if isinstance(value, Decimal):
        exponent = value.as_tuple().exponent
        scale = -exponent if isinstance(exponent, int) and exponent < 0 else 0
    w = c.where or _NOWHERE
    return (
        c.key,
        None if value is None else float(value),
        scale,
        STATE_CODE[c.state],
        ORIGIN_CODE[c.origin],
        c.unit,
        None if c.raw == (plain(value) or "") else c.raw,
        w.line,
        w.page,
        w.table,
        w.row,
        w.col,
        ",".join(f"{x:g}" for x in w.box) if w.box else None,
        " ".join(map(plain, c.candidates)) if c.candidates else None,
    )


def pack_cells(tuples: list[tuple]) -> bytes:
    """Cells (``cell_tuple``s) → the ``cells.detail`` of their report: MessagePack, deflated (a report's ~200
    cells take ~1.5 KB). msgspec encodes and decodes them in tens of microseconds."""
    return zlib.compress(_MSGPACK.encode(tuples), 1) if tuples else b""


def unpack_cells(detail: bytes | None) -> list[list]:
    """``cells.detail`` → the cells' field lists (``CELL_FIELDS`` order)."""
    return msgspec.msgpack.decode(zlib.decompress(detail)) if detail else []


def cell_values(cells: dict[str, Cell]) -> tuple:
    """The value columns of ``cells`` for a report's cells: a float per key of ``VALUE_KEYS`` or None."""
    return tuple(None if (c := cells.get(k)) is None or c.value is None else float(c.value) for k in VALUE_KEYS)


# Containers that are usually compressed inside: PDF (Flate streams), zip (DOCX, XLSX, OFD), JPEG, PNG, TIFF scans.
_PACKED = (b"%PDF", b"PK\x03\x04", b"\xff\xd8\xff", b"\x89PNG", b"II*\x00", b"MM\x00*")
_SAMPLE, _SAMPLES = 2048, 4  # bytes a sample, samples a file: from its middle, not its plain-text ends
_INCOMPRESSIBLE = 0.9  # a sample that shrinks by less than a tenth: the file is stored as it is


def compress_source(data: bytes) -> bytes:
    """A file's bytes as a zlib stream (``sources.data``). A PDF, DOCX or scan is mostly compressed already:
    deflate gains it 2–6 % and costs the most CPU of any step of storing it (1.6 ms for an 80 KB PDF, about
    what parsing a text report costs; 20 ms a megabyte). So such a file whose middle barely shrinks is stored
    (level 0: still a zlib stream, read back the same way); anything else, text and HTML (2–15× smaller), and
    an uncompressed PDF, at level 6."""
    size = len(data)
    if data.startswith(_PACKED) and size > 4 * _SAMPLE * _SAMPLES:
        step = size * 8 // 10 // _SAMPLES  # a PDF's header and cross-reference table are plain text
        sample = b"".join(data[size // 10 + i * step :][:_SAMPLE] for i in range(_SAMPLES))
        if len(zlib.compress(sample, 1)) > _INCOMPRESSIBLE * len(sample):
            return zlib.compress(data, 0)
    return zlib.compress(data, 6)


def cells_row(report_id: int, prep: Prepared) -> tuple:
    """The ``cells`` row of a prepared report, columns in ``CELLS_COLUMNS`` order."""
    return (report_id, prep.cells, *prep.values)


def finding_tuple(origin: str, f: Finding) -> tuple:
    return (origin, f.kind, f.rule, f.severity.value, " ".join(f.keys), f.expected, f.found, f.message, f.message_en)


def finding_row(report_id: int, t: tuple, other: int | None = None) -> dict:
    return dict(zip(FINDING_COLUMNS, (report_id, *t, other, "open", None, None, None)))


def prepare(record: Record, source: bytes | None = None) -> Prepared:
    meta = record.meta
    sha = meta.sha256 or hashlib.sha256(source if source is not None else record.model_dump_json().encode()).hexdigest()
    report = {
        "sha256": sha,
        "source": meta.source or sha,
        "organ_name": meta.organ,
        "year": meta.year,
        "template": meta.template,
        "published": meta.published,
        "index_no": meta.index_no,
        "title": meta.title,
        "is_government": meta.is_government,
        "kind": meta.kind,
        "traditional": meta.traditional,
        "pinyin_removed": meta.pinyin_removed,
        "parser_version": record.parser_version,
        "size": len(source) if source is not None else None,
        "fingerprint": fingerprint(record),
    }
    severities = [f.severity for f in record.findings]
    organ_name = meta.organ or name_from_title(meta.title)
    return Prepared(
        sha256=sha,
        report=report,
        organ_name=organ_name,
        organ_key=organ_key(organ_name) if organ_name else None,
        sections=[
            (s.number, s.heading, s.text, s.line, s.standard) for s in {s.number: s for s in record.sections}.values()
        ],
        cells=pack_cells([cell_tuple(c) for c in record.cells.values()]),
        values=cell_values(record.cells),
        extras=[(e.table, e.label, "\t".join(e.values), e.where.line if e.where else None) for e in record.extras],
        findings=(
            [finding_tuple("problem", f) for f in record.problems]
            + [finding_tuple("audit", f) for f in record.findings]
        ),
        figures=figures_row(record),
        data=compress_source(source) if source is not None else None,
        counts=tuple(severities.count(s) for s in (Severity.error, Severity.warning, Severity.info)),
    )


def prepare_stored(row: tuple[str, str | bytes]) -> Prepared | str:
    """A stored record, (its sha256, its JSON: a dataset's ``record`` column) → ``prepare``'s rows, or, in Chinese
    and naming it, why it cannot be read. ``ogi load`` runs it in worker processes: decoding and preparing are two
    thirds of a load's CPU."""
    sha, text = row
    try:
        return prepare(Record.model_validate_json(text))
    except ValueError as exc:  # pydantic's ValidationError among them: a record another program wrote
        return f"{sha}: 记录无法解码（{str(exc).splitlines()[0]}）"


# What a reviewer can correct of a report's metadata (``Corpus.set_meta``): field → its name in Chinese, and the
# ``reports`` column it is stored in. "government": whether the report is due as a government's (3月31日).
META_FIELDS = {"organ": "机关", "year": "年度", "published": "发布日期", "template": "格式", "government": "报送期限"}
META_COLUMN = {
    "organ": "organ_name",
    "year": "year",
    "published": "published",
    "template": "template",
    "government": "is_government",
}


def meta_value(field: str, text: str | None):
    """A metadata correction as typed by a reviewer (or stored as text) → the value of its column; a Chinese
    ``InvalidInput`` for one that cannot be."""
    text = (text or "").strip()
    if field == "organ":
        if not text:
            raise InvalidInput("organ", "机关名称不能为空")
        return to_simplified(text)[:200]
    if field == "year":
        if not (text.isdigit() and 1990 <= int(text) <= 2100):
            raise InvalidInput("year", f"年度应为四位数字，如 2023，而不是 {text!r}")
        return int(text)
    if field == "published":
        if not text:
            return None
        try:
            return dt.date.fromisoformat(text.replace("/", "-").replace(".", "-"))
        except ValueError:
            raise InvalidInput("published", f"发布日期应写作 2024-01-31，而不是 {text!r}") from None
    if field == "template":
        if text not in ("2019", "2021"):
            raise InvalidInput("template", f"格式应为 2019 或 2021，而不是 {text!r}")
        return text
    if field == "government":
        choices = {"": None, "auto": None, "government": True, "True": True, "department": False, "False": False}
        if text not in choices:
            raise InvalidInput(
                "government", f"报送期限应为 government（3月31日）或 department（1月31日），而不是 {text!r}"
            )
        return choices[text]
    raise InvalidInput(field, f"不能更正的字段 {field!r}（可选：{'、'.join(META_FIELDS)}）")


def decode_value(value: float | None, scale: int | None) -> int | Decimal | None:
    if value is None:
        return None
    if scale is None:
        return int(value)
    return Decimal(value).quantize(Decimal(1).scaleb(-scale))


def stored_number(value: float) -> int | Decimal:
    """A value column's float as the number it was: an integer, or the decimal its shortest repr spells
    ("532934.41"); exact for the counts and the amounts of two decimal places the tables hold."""
    return int(value) if value.is_integer() else Decimal(repr(value))


def decode_cell(t: list) -> Cell:
    """A packed cell (``CELL_FIELDS`` order) → the Cell it was made from."""
    key, value, scale, state, origin, unit, raw, line, page, tbl, row, col, box, candidates = t
    number = decode_value(value, scale)
    has_where = any(x is not None for x in (line, page, tbl, row, col, box))
    where = (
        Where(
            line=line,
            page=page,
            table=tbl,
            row=row,
            col=col,
            box=tuple(float(x) for x in box.split(",")) if box else None,
        )
        if has_where
        else None
    )
    return Cell(
        key=key,
        value=number,
        state=STATES[state],
        unit=unit,
        raw=raw if raw is not None else (plain(number) or ""),
        where=where,
        origin=ORIGINS[origin],
        candidates=[Decimal(x) if "." in x else int(x) for x in candidates.split()] if candidates else [],
    )


def stored_cells(conn: sa.Connection, report_id: int, only: set[str] | None = None) -> dict[str, Cell]:
    """A stored report's cells (only the keys ``only`` when given)."""
    detail = conn.execute(sa.select(cells.c.detail).where(cells.c.report_id == report_id)).scalar()
    return {t[0]: decode_cell(t) for t in unpack_cells(detail) if only is None or t[0] in only}


def write_cells(conn: sa.Connection, report_id: int, record_cells: dict[str, Cell]) -> None:
    """Replace a stored report's cells with these (a correction, a re-audit)."""
    conn.execute(cells.delete().where(cells.c.report_id == report_id))
    packed = pack_cells([cell_tuple(c) for c in record_cells.values()])
    values = dict(zip(VALUE_KEYS, cell_values(record_cells)))
    conn.execute(cells.insert().values({"report_id": report_id, "detail": packed, **values}))


def corrected_cell(old: Cell | None, key: str, value: str | None, state: str, unit: str | None) -> Cell:
    number = None if value is None else (Decimal(value) if "." in value else int(value))
    return Cell(
        key=key,
        value=number,
        state=State(state),
        unit=unit,
        raw=old.raw if old else "",
        where=old.where if old else None,
        origin=Origin.corrected,
    )


def encode_finding(report_id: int, origin: str, f: Finding, other: int | None = None) -> dict:
    return finding_row(report_id, finding_tuple(origin, f), other)


def decode_finding(r) -> Finding:
    return Finding(
        rule=r.rule,
        severity=Severity(r.severity),
        kind=r.kind,
        keys=r.cell_keys.split() if r.cell_keys else [],
        expected=r.expected,
        found=r.found,
        message=r.message,
        message_en=r.message_en or "",
    )


def _review_key(row) -> tuple:
    return (row["report_id"], row["kind"], row["rule"], row["cell_keys"], row["other_report_id"])


def reviews(conn: sa.Connection, report_ids: list[int]) -> dict[tuple, dict]:
    """The latest verdict on each finding of these reports (``finding_reviews``, where verdicts are never deleted),
    so that a finding computed again — same rule, same cells, same report compared with — keeps its verdict."""
    rows = conn.execute(
        sa.select(finding_reviews).where(finding_reviews.c.report_id.in_(report_ids)).order_by(finding_reviews.c.id)
    ).mappings()
    return {
        _review_key(r): {"status": r["status"], "comment": r["comment"], "reviewer": r["reviewer"], "reviewed": r["at"]}
        for r in rows
    }


def record_review(conn: sa.Connection, finding, status: str, who: str, comment: str | None, at) -> None:
    """Append a verdict on a ``findings`` row to the history and show it on the row."""
    conn.execute(
        finding_reviews.insert().values(
            report_id=finding.report_id,
            kind=finding.kind,
            rule=finding.rule,
            cell_keys=finding.cell_keys,
            other_report_id=finding.other_report_id,
            severity=finding.severity,
            message=finding.message,
            expected=finding.expected,
            found=finding.found,
            status=status,
            comment=comment,
            reviewer=who,
            at=at,
        )
    )
    conn.execute(
        findings.update()
        .where(findings.c.id == finding.id)
        .values(status=status, reviewer=who, comment=comment, reviewed=at)
    )


def review_history(conn: sa.Connection, report_id: int) -> list[dict]:
    """Every verdict given on the report's findings, oldest first, each marked ``standing`` when its finding is
    still among the report's findings (otherwise a correction or a new reading resolved it)."""
    current = {
        _review_key(r)
        for r in conn.execute(
            sa.select(
                findings.c.report_id, findings.c.kind, findings.c.rule, findings.c.cell_keys, findings.c.other_report_id
            ).where(findings.c.report_id == report_id)
        ).mappings()
    }
    rows = conn.execute(
        sa.select(finding_reviews).where(finding_reviews.c.report_id == report_id).order_by(finding_reviews.c.id)
    ).mappings()
    return [dict(r) | {"keys": r["cell_keys"].split(), "standing": _review_key(r) in current} for r in rows]


def insert_findings(conn: sa.Connection, rows: list[dict], kept: dict[tuple, dict]) -> None:
    for row in rows:
        row.update(kept.get(_review_key(row), {}))
    if rows:
        conn.execute(findings.insert(), rows)


def recount(conn: sa.Connection, report_ids: list[int]) -> None:
    """Refresh the per-report finding counts: findings against the report, never reading problems."""
    for column, severity in (("errors", "error"), ("warnings", "warning"), ("infos", "info")):
        n = (
            sa.select(sa.func.count())
            .where(findings.c.report_id == reports.c.id, findings.c.kind == "finding", findings.c.severity == severity)
            .scalar_subquery()
        )
        conn.execute(reports.update().where(reports.c.id.in_(report_ids)).values({column: n}))


def latest_corrections(conn: sa.Connection, report_id: int, key: str | None = None) -> dict:
    """The newest correction of each key of a report (of one key when given)."""
    stmt = sa.select(corrections).where(corrections.c.report_id == report_id).order_by(corrections.c.id)
    rows = conn.execute(stmt.where(corrections.c.key == key) if key else stmt).all()
    return {r.key: r for r in rows}


def load_record(conn: sa.Connection, report_id: int, *, only_keys: set[str] | None = None) -> Record | None:
    r = conn.execute(sa.select(reports).where(reports.c.id == report_id)).first()
    if r is None:
        return None
    meta = Meta(
        organ=r.organ_name,
        year=r.year,
        template=r.template,
        published=r.published,
        index_no=r.index_no,
        title=r.title,
        is_government=r.is_government,
        source=r.source,
        sha256=r.sha256,
        kind=r.kind,
        traditional=r.traditional,
        pinyin_removed=r.pinyin_removed,
    )
    stmt = sa.select(sections).where(sections.c.report_id == report_id).order_by(sections.c.number)
    secs = [
        Section(number=s.number, heading=s.heading, text=s.text, line=s.line, standard=s.standard)
        for s in conn.execute(stmt)
    ]
    cell_map = stored_cells(conn, report_id, only_keys)
    xs = [
        Extra(
            table=e.tbl,
            label=e.label,
            values=e.cell_values.split("\t") if e.cell_values else [],
            where=Where(line=e.line) if e.line else None,
        )
        for e in conn.execute(sa.select(extras).where(extras.c.report_id == report_id).order_by(extras.c.id))
    ]
    fs = conn.execute(sa.select(findings).where(findings.c.report_id == report_id).order_by(findings.c.id)).all()
    return Record(
        meta=meta,
        sections=secs,
        cells=cell_map,
        extras=xs,
        problems=[decode_finding(f) for f in fs if f.kind == "reading"],
        findings=[decode_finding(f) for f in fs if f.kind != "reading"],
        parser_version=r.parser_version,
    )
