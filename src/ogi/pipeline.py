"""The whole pipeline on one screen: read → normalise → locate → extract → audit.

    parse(path_or_bytes) -> Record          one report, with its single-report findings
    check(record, previous) -> list[Finding]  the audit, optionally with last year's record
"""

from __future__ import annotations

from pathlib import Path

from .audit import audit
from .extract import extract
from .locate import locate
from .model import Finding, Record
from .normalise import normalise
from .read import read

PARSER_VERSION = "1"  # bump when extraction changes what a record holds: the corpus re-parses


def parse(source: str | Path | bytes, name: str = "") -> Record:
    """Read one report into its canonical record and audit it (raises OgiError on bad input)."""
    record = extract(locate(normalise(read(source, name))))
    record.parser_version = PARSER_VERSION
    record.findings = audit(record)
    return record


def check(record: Record, previous: Record | None = None) -> list[Finding]:
    """Audit a record, with the organ's previous year when there is one (cross-year rules)."""
    return audit(record, previous)
