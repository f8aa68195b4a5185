"""The whole pipeline on one screen: read → normalise → unflatten → locate → metadata → extract → audit.

parse(path_or_bytes) -> Record          one report, with its single-report findings and reading problems
check(record, previous) -> list[Finding]  the audit, optionally with last year's record
batch_mode()                              garbage-collector settings for a long run of parses
"""

from __future__ import annotations

import gc
from pathlib import Path

from .audit import assess, audit
from .extract import extract
from .locate import locate
from .metadata import metadata
from .model import Finding, Record
from .normalise import normalise
from .read import read, read_file
from .unflatten import unflatten
from .write.workbook import is_template

PARSER_VERSION = "2"  # bump when extraction changes what a record holds: the corpus re-parses


def parse(source: str | Path | bytes, name: str = "") -> Record:
    """Read one report into its canonical record and audit it (raises OgiError on bad input)."""
    if isinstance(source, bytes) and is_template(source):
        # ogi's own Excel template says where every cell lives: read it by its key map, exactly.
        from .write.workbook import read_workbook  # openpyxl: only for the writers' workbooks

        return read_workbook(source, name or "<bytes>")
    if isinstance(source, (str, Path)) and str(source).lower().endswith((".xlsx", ".xlsm")):
        return parse(read_file(source, name), name or str(source))
    document = unflatten(normalise(read(source, name)))
    layout = locate(document)
    meta = metadata(layout)
    record = extract(layout, meta)
    record.parser_version = PARSER_VERSION
    record.findings, record.problems = assess(record)  # 审核发现 apart from 读取问题 (issue #10)
    return record


def check(record: Record, previous: Record | None = None) -> list[Finding]:
    """Audit a record, with the organ's previous year when there is one (cross-year rules)."""
    return audit(record, previous)


def batch_mode() -> None:
    """Tune Python's cyclic garbage collector for a long run of parses (``ogi check``/``parse`` over many
    files, ingest workers, the benchmark).

    A parse allocates thousands of short-lived objects (tokens, cells) and creates no reference
    cycles, yet by default a collection runs every 700 allocations and, now and then, walks every
    live object — the imported modules and the parse caches included — which cost about a sixth of the
    time of a parse. Objects alive now (modules, rule tables) are frozen out of collections, and
    collections run ten times less often; cycles are still collected. Memory stays flat (bench/).
    """
    gc.freeze()
    gc.set_threshold(7_000, 10, 10)
