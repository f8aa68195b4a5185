"""The cross-year rules as a Dask job over a dataset (``ogi crossyear``): for corpora that do not fit a database.

What ``corpus/refresh.py`` does for a corpus, over the Parquet dataset of ``to_dataset``, with the rules of
``ogi.crossyear`` (their one home; nothing here judges a number):

1. one task a group of provinces (usually one): its reports year by year, each against its organ's current report
   of the year before (``crossyear.cross_year``); the organ is the spelling key the corpus keys its aliases by
   (``reports.organ_key``), the current report of an organ and year the latest published (then the greatest
   sha256: one run has no order of arrival, where the corpus breaks a tie by it). Provinces that share an organ
   (its name read against another year's divisions) go to one task, so every organ's years meet in one place.
   Only two years of a group are in memory at a time.
2. one task a year: near-identical narratives of different organs (``crossyear.PeerIndex``) over that year's
   fingerprints, which step 1 wrote.

Written into the dataset, partitioned by year and province like the findings:
    crossyear/     the findings: sha256, rule, severity, kind, keys, expected, found, message, other_sha256
                   (the previous year's report, or the peer)
    fingerprints/  sha256, organ_key, the narrative's fingerprint (``crossyear.fingerprint``)
    versions/      reports that are not their organ-year's current one: sha256, current_sha256 (the stats leave
                   them out, as the corpus's figures count current reports only)
    _crossyear.json  the finished pass: its id and the dataset it was run on (the parse batches, merged by
                   ``compact`` or not, and ogi's version). A re-run over the same dataset does nothing; after new
                   batches the pass is run
                   again whole (a new report changes its neighbours' findings); a pass killed midway leaves no
                   manifest, and its files are removed when the next one starts.

Organs are grouped by their spelling only: where the corpus also joins a name without its region to the one
organ of the same core, or follows an imported organ list, the dataset keeps them apart.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import msgspec
import pyarrow as pa
import pyarrow.parquet as pq
from distributed import Client

from ..crossyear import NARRATIVE, NEEDED_KEYS, Light, PeerIndex, fingerprint, peer_finding
from ..crossyear import cross_year as rules_of
from ..model import Finding, OgiError, Record
from ..pipeline import PARSER_VERSION
from .dataset import (
    COMPRESSION,
    DONE,
    SCHEMAS,
    finding_row,
    parse_batches,
    partition_of,
    read_files,
    require_columns,
    run_all,
    scan_files,
    table_files,
)

FINDINGS = "crossyear"
FINGERPRINTS = "fingerprints"
VERSIONS = "versions"
MANIFEST = "_crossyear.json"
PASS_TABLES = (FINDINGS, FINGERPRINTS, VERSIONS)

PASS_SCHEMAS = {
    FINDINGS: pa.schema(
        [*(f for f in SCHEMAS["findings"] if f.name not in ("year", "province")), ("other_sha256", pa.string())]
        + [("year", pa.int32()), ("province", pa.string())]
    ),
    FINGERPRINTS: pa.schema(
        [
            ("sha256", pa.string()),
            ("organ_key", pa.string()),
            ("fingerprint", pa.binary()),
            ("year", pa.int32()),
            ("province", pa.string()),
        ]
    ),
    VERSIONS: pa.schema(
        [("sha256", pa.string()), ("current_sha256", pa.string()), ("year", pa.int32()), ("province", pa.string())]
    ),
}
_READ = ["sha256", "organ_key", "published", "record", "year", "province"]
_NEEDED = frozenset(NEEDED_KEYS)


@dataclass
class CrossYear:
    """What a cross-year pass found (or the finished pass it found in place)."""

    reports: int = 0
    findings: int = 0
    peers: int = 0  # of the findings: near-identical narratives of two organs (each counted on both reports)
    superseded: int = 0  # earlier versions of an organ-year, left out of the stats
    skipped: bool = False  # the dataset had not changed since the last pass

    def __str__(self) -> str:
        head = "数据集自上次跨年度审核以来未变，沿用上次结果：" if self.skipped else "跨年度审核："
        return (
            f"{head}{self.reports} 份报告，发现 {self.findings} 条（其中同年不同机关正文雷同 {self.peers} 条），"
            f"{self.superseded} 份为同一机关同年的旧版本"
        )


def signature(dest: Path) -> str:
    """The dataset a pass ran on: its parse batches (merged or not: ``compact`` moves rows between files, never
    changes them, so the pass stays valid) and the rules' version."""
    text = "\n".join([PARSER_VERSION, *parse_batches(dest)])
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def finished_pass(dest: str | os.PathLike) -> dict | None:
    """The manifest of the pass over the dataset as it is now; None when there is none or the dataset changed."""
    dest = Path(dest)
    try:
        done = json.loads((dest / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return done if done.get("signature") == signature(dest) else None


def read_pass_table(
    dest: str | os.PathLike, name: str, columns: list[str] | None = None, *, years=None, provinces=None
) -> pa.Table:
    """A table of the finished pass (empty when the pass has not run over the dataset as it is now)."""
    done = finished_pass(dest)
    pass_id = done["pass"] if done else None
    files = table_files(dest, name, keep=lambda prefix: prefix == pass_id, years=years, provinces=provinces)
    return read_files(files, Path(dest) / name, PASS_SCHEMAS[name], columns)


# --- on the workers ---------------------------------------------------------------------------------------


def light_record(text: str, year: int | None) -> tuple[Light, bytes | None]:
    """What the rules read of a stored record (meta, the needed cells, the prose sections), as ``refresh`` reads
    it from the corpus — decoded by the same model, so a value is the same int or Decimal as in the record — and
    the fingerprint of its narrative, as the corpus stores it."""
    whole = msgspec.json.decode(text)
    meta = whole.get("meta") or {}
    prose = [s for s in whole.get("sections") or () if s.get("number") in NARRATIVE]
    light = {
        "meta": {k: meta.get(k) for k in ("organ", "template", "published")} | {"year": year},
        "cells": {k: c for k, c in (whole.get("cells") or {}).items() if k in _NEEDED},
        "sections": prose,
    }
    record = Record.model_validate_json(msgspec.json.encode(light))
    # The fingerprint of every prose section, as the corpus stores it; the rules read one section a number.
    return Light.of(record), fingerprint(record)


def _rank(row: dict) -> tuple:
    """The current report of an organ-year ranks highest: published latest (a date before none), then sha256."""
    published = row["published"]
    return (published is not None, published or "", row["sha256"])


def _finding_row(sha: str, f: Finding, other: str | None, year: int | None, province: str | None) -> dict:
    return finding_row(sha, f, year, province) | {"other_sha256": other}


def _unique(rows: list[dict]) -> list[dict]:
    """One finding a report, rule, cells and other report (as ``refresh`` keeps them)."""
    return list({(r["sha256"], r["rule"], r["keys"], r["other_sha256"]): r for r in rows}.values())


def _write(dest: str, name: str, rows: list[dict], basename: str) -> None:
    if rows:
        pq.write_to_dataset(
            pa.Table.from_pylist(rows, schema=PASS_SCHEMAS[name]),
            f"{dest}/{name}",
            partition_cols=["year", "province"],
            basename_template=f"{basename}-{{i}}.parquet",
            existing_data_behavior="overwrite_or_ignore",
            compression=COMPRESSION,
        )


def organ_years(dest: str, files: list[str], pass_id: str, part: str) -> dict:
    """Runs on a worker: the organ rules over the reports of ``files`` (every year of a group of provinces)."""
    folder = Path(dest) / "reports"
    by_year: dict[int | None, list[str]] = defaultdict(list)
    for path in files:
        by_year[partition_of(Path(path))[0]].append(path)
    counts = {"reports": 0, "findings": 0, "superseded": 0}
    previous: dict[str, tuple[str, Light]] = {}  # organ → its current report of the year before
    previous_year: int | None = None
    years = sorted(by_year, key=lambda y: (y is None, y or 0))
    for year in years:
        rows: dict[str, dict] = {}  # one file copied twice: one report
        light: dict[str, tuple[Light, bytes | None]] = {}
        for chunk in scan_files(by_year[year], folder, SCHEMAS["reports"], _READ):
            for r in chunk:
                if r["sha256"] not in rows:
                    light[r["sha256"]] = light_record(r.pop("record"), year)
                    rows[r["sha256"]] = r
        records = {sha: record for sha, (record, _) in light.items()}
        current: dict[str, dict] = {}
        for r in rows.values():
            organ = r["organ_key"]
            if organ is not None and year is not None and (organ not in current or _rank(r) > _rank(current[organ])):
                current[organ] = r
        before = previous if year is not None and previous_year == year - 1 else {}
        found, prints, versions = [], [], []
        for r in rows.values():
            sha, organ = r["sha256"], r["organ_key"]
            prev_sha, prev = before.get(organ, (None, None)) if organ is not None else (None, None)
            for finding in rules_of(records[sha], prev):
                found.append(_finding_row(sha, finding, prev_sha if prev is not None else None, year, r["province"]))
            blob = light[sha][1]
            if blob is not None:
                prints.append(
                    {"sha256": sha, "organ_key": organ, "fingerprint": blob, "year": year, "province": r["province"]}
                )
            if organ is not None and organ in current and current[organ]["sha256"] != sha:
                versions.append(
                    {"sha256": sha, "current_sha256": current[organ]["sha256"], "year": year, "province": r["province"]}
                )
        found = _unique(found)
        _write(dest, FINDINGS, found, f"{pass_id}-o{part}")
        _write(dest, FINGERPRINTS, prints, f"{pass_id}-o{part}")
        _write(dest, VERSIONS, versions, f"{pass_id}-o{part}")
        counts["reports"] += len(rows)
        counts["findings"] += len(found)
        counts["superseded"] += len(versions)
        previous = {organ: (r["sha256"], records[r["sha256"]]) for organ, r in current.items()}
        previous_year = year
    return counts


def same_text(dest: str, year: int, pass_id: str) -> int:
    """Runs on a worker: near-identical narratives of different organs in ``year``, both ways, as ``refresh``."""
    files = table_files(dest, FINGERPRINTS, keep=lambda prefix: prefix == pass_id, years={year})
    table = read_files(files, Path(dest) / FINGERPRINTS, PASS_SCHEMAS[FINGERPRINTS])
    rows = list({r["sha256"]: r for r in table.to_pylist()}.values())
    organ_ids: dict[str, int] = {}
    index = PeerIndex(
        (i, None if r["organ_key"] is None else organ_ids.setdefault(r["organ_key"], len(organ_ids)), r["fingerprint"])
        for i, r in enumerate(rows)
    )
    found = []
    for i, r in enumerate(rows):
        for j, share in index.peers(i):
            for a, b in ((r, rows[j]), (rows[j], r)):
                f = peer_finding(share, b["sha256"][:12])
                found.append(_finding_row(a["sha256"], f, b["sha256"], year, a["province"]))
    found = _unique(found)
    _write(dest, FINDINGS, found, f"{pass_id}-y{year}")
    return len(found)


# --- on the client -----------------------------------------------------------------------------------------


def _groups(dest: Path) -> list[list[str]]:
    """The reports files in groups of provinces that share no organ with another group (union–find over the
    provinces each organ's reports are in), each group's files of every year."""
    folder = dest / "reports"
    files = table_files(dest, "reports")
    by_province: dict[str | None, list[str]] = defaultdict(list)
    for f in files:
        by_province[partition_of(f)[1]].append(str(f))
    parent = {p: p for p in by_province}

    def root(p):
        while parent[p] != p:
            parent[p] = parent[parent[p]]
            p = parent[p]
        return p

    table = read_files(files, folder, SCHEMAS["reports"], ["organ_key", "province"])
    first: dict[str, str | None] = {}
    for organ, province in zip(*(table.column(c).to_pylist() for c in ("organ_key", "province"))):
        if organ is None:
            continue
        seen = first.setdefault(organ, province)
        if seen != province:
            parent[root(seen)] = root(province)
    groups: dict[str | None, list[str]] = defaultdict(list)
    for province, found in by_province.items():
        groups[root(province)] += found
    return [sorted(g) for g in groups.values()]


def _clear(dest: Path) -> None:
    """The files of any earlier pass (the dataset changed, or a pass was killed midway)."""
    (dest / MANIFEST).unlink(missing_ok=True)
    for name in PASS_TABLES:
        shutil.rmtree(dest / name, ignore_errors=True)


def cross_year(dest: str | os.PathLike, client: Client | None = None, *, force: bool = False) -> CrossYear:
    """The cross-year pass over the dataset at ``dest`` (a folder every worker reaches) on ``client``'s cluster,
    or in this process without one; nothing to do when the finished pass in place ran over the same dataset
    (unless ``force``)."""
    dest = Path(dest)
    if not (dest / DONE).is_dir():
        raise OgiError(str(dest), "不是 ogi ingest --cluster 写出的数据集（缺少 _done 清单）")
    done = finished_pass(dest)
    if done and not force:
        return CrossYear(**done["counts"], skipped=True)
    require_columns(dest, "reports", ["organ_key"], "按机关比较相邻年度")
    _clear(dest)
    sig = signature(dest)
    pass_id = hashlib.sha256(f"{sig} {dt.datetime.now(dt.UTC).isoformat()}".encode()).hexdigest()[:16]
    target = str(dest.resolve())
    jobs = [(target, files, pass_id, str(i)) for i, files in enumerate(_groups(dest))]
    result = CrossYear()
    for counts in run_all(client, organ_years, jobs, f"ogi-crossyear-{pass_id}"):
        result.reports += counts["reports"]
        result.findings += counts["findings"]
        result.superseded += counts["superseded"]
    years = sorted(
        {y for f in table_files(dest, FINGERPRINTS, keep=lambda p: p == pass_id) if (y := partition_of(f)[0])}
    )
    result.peers = sum(run_all(client, same_text, [(target, y, pass_id) for y in years], f"ogi-sametext-{pass_id}"))
    result.findings += result.peers
    manifest = {
        "signature": sig,
        "pass": pass_id,
        "counts": {k: getattr(result, k) for k in ("reports", "findings", "peers", "superseded")},
    }
    temporary = dest / (MANIFEST + ".tmp")
    temporary.write_text(json.dumps(manifest, ensure_ascii=False), encoding="utf-8")
    os.replace(temporary, dest / MANIFEST)  # after every file of the pass: the pass counts only once whole
    return result
