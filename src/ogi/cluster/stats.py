"""The corpus figures as Dask jobs over a dataset (``ogi stats --dataset``): totals, rates, findings by rule.

The same figures as ``Corpus.totals`` / ``Corpus.rates`` / ``Corpus.findings_by_rule`` (corpus/stats.py), for a
dataset too large for a database: one task a partition (a year and a province, read by pyarrow; a year or
province filter never opens the other partitions), each returning partial sums the client adds up. What a figure
is stays declared once: the rates are ``ogi.figures.MEASURES`` pooled like the corpus pools them (Σ of each
operand over the reports where all are known, then ``figures.rate``; a blank is unknown, never 0), from the
figures ``figures_row`` wrote beside each report at parse time.

As in the corpus, a report counts once (the same bytes at two paths are one report) and only when it is its
organ-year's current version (the cross-year pass's ``versions`` table says which are not: it runs first if
the dataset changed since). Groupings: year and province (the partitions); a province the name does not tell
is None, as in the corpus.
"""

from __future__ import annotations

import os
from collections import defaultdict
from collections.abc import Collection, Sequence
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from distributed import Client

from ..figures import FIGURES, LEFT_OUT, MEASURES, rate
from ..harmonise import HARMONISED_BY_NAME
from ..model import InvalidInput, OgiError
from .crossyear_job import FINDINGS, PASS_SCHEMAS, VERSIONS, cross_year, finished_pass, read_pass_table
from .dataset import (
    DONE,
    SCHEMAS,
    UNKNOWN_PROVINCE,
    files_dataset,
    partition_of,
    read_files,
    require_columns,
    run_all,
    table_files,
)

BY = ("year", "province")
Part = tuple[int | None, str | None]  # a partition: (year, province)


def _groups(by: Sequence[str]) -> list[str]:
    unknown = [b for b in by if b not in BY]
    if unknown:
        raise InvalidInput("stats", f"数据集统计只能按 {'、'.join(BY)} 分组，不支持 {', '.join(unknown)}")
    return list(by)


def _clean(x: float | None) -> int | float | None:
    """A total as the corpus prints it: an integer when whole, else four places."""
    if x is None:
        return None
    return int(x) if float(x).is_integer() else round(float(x), 4)


def _group_of(part: Part, by: list[str]) -> tuple:
    year, province = part
    values = {"year": year, "province": None if province == UNKNOWN_PROVINCE else province}
    return tuple(values[b] for b in by)


def _sort_key(group: tuple) -> tuple:
    return tuple((v is None, v if v is not None else 0) for v in group)  # None last, as SQL orders NULLs here


# --- on the workers ---------------------------------------------------------------------------------------


def _rows(files: list[str], folder: str, schema: pa.Schema, columns: list[str], left_out: set[str], where=None):
    """The rows of one partition's files, each report once: a report whose bytes an earlier file has (a copy
    at another path) and the superseded versions in ``left_out`` are left out. The files are read in one scan
    (pyarrow's threads), each row tagged with its file's place in ``files``, and the copies dropped after: read a
    file at a time, a query over the 5,000 small files of 100,000 reports took three times as long."""
    empty = schema.empty_table().select(columns)
    if not files:
        return empty
    place = {str(f): i for i, f in enumerate(files)}
    batches, places = [], []
    for tagged in files_dataset(files, folder, schema).scanner(columns=columns, filter=where).scan_batches():
        if tagged.record_batch.num_rows:
            batches.append(tagged.record_batch)
            places.append(np.full(tagged.record_batch.num_rows, place[tagged.fragment.path], dtype=np.int32))
    if not batches:
        return empty
    table = pa.Table.from_batches(batches).append_column("_file", pa.array(np.concatenate(places)))
    if left_out:
        table = table.filter(pc.invert(pc.is_in(table.column("sha256"), pa.array(list(left_out), pa.string()))))
    files_of = table.group_by("sha256").aggregate([("_file", "min"), ("_file", "max")])
    if pc.any(pc.not_equal(files_of.column("_file_min"), files_of.column("_file_max"))).as_py():
        table = table.join(files_of.select(["sha256", "_file_min"]), "sha256")  # only the first file's rows
        table = table.filter(pc.equal(table.column("_file"), table.column("_file_min")))
    return table.select(columns)


def part_totals(files: list[str], folder: str, variables: dict[str, list[str]], left_out: set[str]) -> dict:
    """Runs on a worker: per variable, (reports with a cell of it, reports where it is a number, their Σ).
    A variable of several cells is a number for a report only when every one of its cells there is."""
    keys = sorted({k for parts in variables.values() for k in parts})
    table = _rows(
        files, folder, SCHEMAS["cells"], ["sha256", "key", "value"], left_out, pc.field("key").isin(keys)
    ).to_pylist()
    values: dict[tuple[str, str], str | None] = {(r["sha256"], r["key"]): r["value"] for r in table}
    out = {}
    for name, parts in variables.items():
        mine = set(parts)
        per_report: dict[str, list] = defaultdict(list)
        for (sha, key), value in values.items():
            if key in mine:
                per_report[sha].append(value)
        numbers = [sum(float(v) for v in vs) for vs in per_report.values() if None not in vs]
        out[name] = (len(per_report), len(numbers), sum(numbers) if numbers else None)
    return out


def part_rates(files: list[str], folder: str, left_out: set[str]) -> dict:
    """Runs on a worker: reports, and per measure the Σ of each operand over the reports where all are known
    and how many reports that is (the others are left out, never counted as 0)."""
    rows = _rows(files, folder, SCHEMAS["reports"], ["sha256", *FIGURES], left_out).to_pylist()
    out: dict = {"reports": len(rows)}
    for m in MEASURES:
        operands = m.plus + m.minus + m.over
        known = [r for r in rows if all(r[c] is not None for c in operands)]
        out[m.name] = (len(known), {c: sum(r[c] for r in known) for c in operands})
    return out


def part_findings(files: list[str], cross: list[str], folder: str, cross_folder: str, left_out: set[str]) -> dict:
    """Runs on a worker: per (rule, severity), findings and the reports that have them (the record's own and the
    cross-year pass's). A report is in one partition: the reports of a group are the sum of its partitions'."""
    columns = ["sha256", "rule", "severity"]
    own = _rows(files, folder, SCHEMAS["findings"], columns, left_out, pc.field("kind") == "finding")
    # The pass wrote one file a group and year: a report's copies were made one there already.
    passed = read_files(cross, cross_folder, PASS_SCHEMAS[FINDINGS], columns, pc.field("kind") == "finding")
    out: dict[tuple[str, str], list] = {}
    for r in own.to_pylist() + passed.to_pylist():
        if r["sha256"] in left_out:
            continue
        entry = out.setdefault((r["rule"], r["severity"]), [0, set()])
        entry[0] += 1
        entry[1].add(r["sha256"])
    return {k: (n, len(shas)) for k, (n, shas) in out.items()}


# --- on the client -----------------------------------------------------------------------------------------


def _partitions(dest: Path, name: str, years, provinces) -> dict[Part, list[str]]:
    parts: dict[Part, list[str]] = defaultdict(list)
    for f in table_files(dest, name, years=years, provinces=provinces):
        parts[partition_of(f)].append(str(f))
    return parts


def _dataset(dest: str | os.PathLike) -> Path:
    dest = Path(dest).resolve()  # the workers open its files, wherever they run from
    if not (dest / DONE).is_dir():
        raise OgiError(str(dest), "不是 ogi ingest --cluster 写出的数据集（缺少 _done 清单）")
    return dest


def _superseded(dest: Path, client: Client | None, years, provinces) -> dict[Part, set[str]]:
    """Per partition, the reports that are not their organ-year's current version (the cross-year pass first,
    when it has not run over the dataset as it is)."""
    if finished_pass(dest) is None:
        cross_year(dest, client)
    out: dict[Part, set[str]] = defaultdict(set)
    table = read_pass_table(dest, VERSIONS, ["sha256", "year", "province"], years=years, provinces=provinces)
    for r in table.to_pylist():
        out[(r["year"], r["province"])].add(r["sha256"])
    return out


def _filters(dest: Path, years: Collection[int] | None, province: str | None) -> tuple:
    """The partitions to read: a province is a folder name, so it must be one exactly (a gap, never a guess)."""
    if province:
        known = {partition_of(f)[1] for f in table_files(dest, "reports")}
        if province not in known:
            named = "、".join(sorted(p for p in known if p)) or "无"
            raise InvalidInput("stats", f"数据集中没有省“{province}”（--region 须为完整省名，数据集中有：{named}）")
    return (set(years) if years else None), ({province} if province else None)


def totals(
    dest: str | os.PathLike,
    keys: str | Sequence[str],
    by: Sequence[str] = ("year",),
    *,
    client: Client | None = None,
    years: Collection[int] | None = None,
    province: str | None = None,
    harmonised: bool = False,
) -> list[dict]:
    """Σ of each cell key (or harmonised variable) per group, with how many reports (and how many had a number
    there): the rows ``Corpus.totals`` gives."""
    dest, groups = _dataset(dest), _groups(by)
    keys = [keys] if isinstance(keys, str) else list(keys)
    variables = {key: _parts(key, harmonised) for key in keys}
    year_set, province_set = _filters(dest, years, province)
    left_out = _superseded(dest, client, year_set, province_set)
    parts = _partitions(dest, "cells", year_set, province_set)
    jobs = [(files, str(dest / "cells"), variables, left_out.get(part, set())) for part, files in parts.items()]
    sums: dict[tuple, dict[str, list]] = {}
    for part, result in zip(parts, run_all(client, part_totals, jobs, "ogi-totals")):
        group = sums.setdefault(_group_of(part, groups), {})
        for key, (reports, numbers, total) in result.items():
            entry = group.setdefault(key, [0, 0, None])
            entry[0] += reports
            entry[1] += numbers
            if total is not None:
                entry[2] = (entry[2] or 0.0) + total
    out = []
    for values in sorted(sums, key=_sort_key):
        present = {k: v for k, v in sums[values].items() if v[0]}
        if not present:
            continue
        row: dict = dict(zip(groups, values)) | {"reports": max(v[0] for v in present.values())}
        for key, (_, numbers, total) in present.items():
            row[key] = _clean(total)
            row.setdefault("numbers", {})[key] = numbers
        out.append(row)
    return out


def _parts(key: str, harmonised: bool) -> list[str]:
    if not harmonised:
        return [key]
    variable = HARMONISED_BY_NAME.get(key)
    if variable is None:
        raise InvalidInput("stats", f"未知的统一变量 {key}（统一变量见 ogi keys --harmonised 与 docs/codebook.md）")
    return sorted({k for parts in variable.parts.values() for k in parts})


def rates(
    dest: str | os.PathLike,
    by: Sequence[str] = ("year",),
    *,
    client: Client | None = None,
    years: Collection[int] | None = None,
    province: str | None = None,
) -> list[dict]:
    """Every measure of ``figures.MEASURES`` per group, pooled over the group's reports: the rows
    ``Corpus.rates`` gives."""
    dest, groups = _dataset(dest), _groups(by)
    require_columns(dest, "reports", list(FIGURES), "计算比率")
    year_set, province_set = _filters(dest, years, province)
    left_out = _superseded(dest, client, year_set, province_set)
    parts = _partitions(dest, "reports", year_set, province_set)
    jobs = [(files, str(dest / "reports"), left_out.get(part, set())) for part, files in parts.items()]
    pooled: dict[tuple, dict] = {}
    for part, result in zip(parts, run_all(client, part_rates, jobs, "ogi-rates")):
        group = pooled.setdefault(_group_of(part, groups), {"reports": 0})
        group["reports"] += result["reports"]
        for m in MEASURES:
            known, sums = result[m.name]
            entry = group.setdefault(m.name, [0, defaultdict(float)])
            entry[0] += known
            for c, v in sums.items():
                entry[1][c] += v
    out = []
    for values in sorted(pooled, key=_sort_key):
        if not pooled[values]["reports"]:
            continue
        totals_ = pooled[values]
        row: dict = dict(zip(groups, values)) | {"reports": totals_["reports"]}
        for m in MEASURES:
            known, sums = totals_[m.name]
            value = rate(m, sums) if known else None
            row[m.name] = value if m.over else _clean(value)
        for m in MEASURES:
            row[m.name + LEFT_OUT] = totals_["reports"] - totals_[m.name][0]
        out.append(row)
    return out


def findings_by_rule(
    dest: str | os.PathLike,
    by: Sequence[str] = (),
    *,
    client: Client | None = None,
    years: Collection[int] | None = None,
    province: str | None = None,
) -> list[dict]:
    """Findings per rule and severity, and how many reports have them — the record's own (审核发现) and the
    cross-year pass's: the rows ``Corpus.findings_by_rule`` gives (a dataset has no reviews to dismiss one)."""
    dest, groups = _dataset(dest), _groups(by)
    year_set, province_set = _filters(dest, years, province)
    left_out = _superseded(dest, client, year_set, province_set)
    own = _partitions(dest, "findings", year_set, province_set)
    done = finished_pass(dest)
    pass_id = done["pass"] if done else None
    cross: dict[Part, list[str]] = defaultdict(list)
    for f in table_files(dest, FINDINGS, keep=lambda p: p == pass_id, years=year_set, provinces=province_set):
        cross[partition_of(f)].append(str(f))
    parts = sorted(set(own) | set(cross), key=_sort_key)
    jobs = [
        (own.get(p, []), cross.get(p, []), str(dest / "findings"), str(dest / FINDINGS), left_out.get(p, set()))
        for p in parts
    ]
    counted: dict[tuple, list[int]] = {}
    for part, result in zip(parts, run_all(client, part_findings, jobs, "ogi-findings")):
        for (rule, severity), (n, reports) in result.items():
            entry = counted.setdefault((*_group_of(part, groups), rule, severity), [0, 0])
            entry[0] += n
            entry[1] += reports
    return [
        dict(zip(groups, key[:-2])) | {"rule": key[-2], "severity": key[-1], "findings": n, "reports": reports}
        for key, (n, reports) in sorted(counted.items(), key=lambda kv: _sort_key(kv[0]))
    ]
