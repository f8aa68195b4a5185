"""Record → the rows the store writes, as plain tuples (pure; runs in the ingest workers).

Why a separate step: unpickling a pydantic Record costs the single writing process more than a worker
spends parsing it, and encoding 200 cells is CPU work the workers can do in parallel. A ``Prepared`` holds
only str/int/float/bytes tuples, which cross process boundaries cheaply (issue #4: ingest limited by parsing).
"""

from __future__ import annotations

import hashlib
import zlib
from dataclasses import dataclass
from decimal import Decimal

from .model import Cell, Finding, Record, Severity, Where
from .organs import name_from_title
from .schema import FIGURES, ORIGIN_CODE, STATE_CODE

CELL_COLUMNS = ("report_id", "key_id", "value", "scale", "state", "origin", "unit", "raw", "line", "page", "tbl",
                "row", "col", "box")
FINDING_COLUMNS = ("report_id", "origin", "rule", "severity", "cell_keys", "expected", "found", "message",
                   "message_en", "other_report_id", "status", "comment", "reviewer", "reviewed")


@dataclass(slots=True)
class Prepared:
    sha256: str
    report: dict  # columns of ``reports`` known from the record alone
    organ_name: str | None  # the organ as written (or from the title) → organs.resolve
    sections: list[tuple]  # (number, heading, text, line, standard)
    cells: list[tuple]  # (key, value, scale, state, origin, unit, raw, line, page, tbl, row, col, box)
    extras: list[tuple]  # (tbl, label, values, line)
    findings: list[tuple]  # (origin, rule, severity, cell_keys, expected, found, message, message_en)
    figures: dict
    data: bytes | None  # zlib-compressed source
    counts: tuple[int, int, int]  # errors, warnings, infos among the audit's findings


def plain(value: int | Decimal | None) -> str | None:
    """A value written plainly ("12", "532934.41"): what ``raw`` is assumed to be when stored as NULL."""
    if value is None:
        return None
    return format(value, "f") if isinstance(value, Decimal) else str(value)


def cell_tuple(c: Cell) -> tuple:
    value = c.value
    scale = None
    if isinstance(value, Decimal):
        exponent = value.as_tuple().exponent
        scale = -exponent if isinstance(exponent, int) and exponent < 0 else 0
    w = c.where or Where()
    return (c.key, None if value is None else float(value), scale, STATE_CODE[c.state], ORIGIN_CODE[c.origin], c.unit,
            None if c.raw == (plain(value) or "") else c.raw, w.line, w.page, w.table, w.row, w.col,
            ",".join(f"{x:g}" for x in w.box) if w.box else None)


def finding_tuple(origin: str, f: Finding) -> tuple:
    return (origin, f.rule, f.severity.value, " ".join(f.keys), f.expected, f.found, f.message, f.message_en)


def finding_row(report_id: int, t: tuple, other: int | None = None) -> dict:
    return dict(zip(FINDING_COLUMNS, (report_id, *t, other, "open", None, None, None)))


def prepare(record: Record, source: bytes | None = None) -> Prepared:
    from .crossyear import fingerprint
    from .stats import figures_row

    meta = record.meta
    sha = meta.sha256 or hashlib.sha256(source if source is not None else record.model_dump_json().encode()).hexdigest()
    report = dict(
        sha256=sha, source=meta.source or sha, organ_name=meta.organ, year=meta.year, template=meta.template,
        published=meta.published, index_no=meta.index_no, title=meta.title, is_government=meta.is_government,
        kind=meta.kind, traditional=meta.traditional, pinyin_removed=meta.pinyin_removed,
        parser_version=record.parser_version, size=len(source) if source is not None else None,
        fingerprint=fingerprint(record),
    )
    severities = [f.severity for f in record.findings]
    return Prepared(
        sha256=sha, report=report, organ_name=meta.organ or name_from_title(meta.title),
        sections=[(s.number, s.heading, s.text, s.line, s.standard)
                  for s in {s.number: s for s in record.sections}.values()],
        cells=[cell_tuple(c) for c in record.cells.values()],
        extras=[(e.table, e.label, "\t".join(e.values), e.where.line if e.where else None) for e in record.extras],
        findings=([finding_tuple("problem", f) for f in record.problems]
                  + [finding_tuple("audit", f) for f in record.findings]),
        figures={k: v for k, v in figures_row(0, record).items() if k in FIGURES},
        data=zlib.compress(source, 6) if source is not None else None,
        counts=tuple(severities.count(s) for s in (Severity.error, Severity.warning, Severity.info)),
    )
