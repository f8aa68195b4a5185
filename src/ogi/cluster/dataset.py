"""The Parquet dataset of a national run: files parsed on Dask workers in batches (``to_dataset``).

``to_dataset(paths, dest, client)``  the files (local paths, folders, globs or fsspec URLs) parsed on the workers;
each batch written as Parquet files under ``dest``:
    reports/year=…/province=…/   one row a report: sha256 (its id), source, metadata, the organ's spelling key
                                 (``corpus.organs.organ_key``, what the corpus groups an organ's years by), the
                                 whole record as JSON, and the figures the rates need (``ogi.figures.figures_row``)
    cells/year=…/province=…/     the long form: sha256, key, value, state, unit, raw, origin
    findings/…, problems/…       审核发现 and 读取问题: sha256, rule, severity, kind, keys, expected, found, message
    failures/                    files that could not be read: source, sha256, error, reason (in Chinese)
    _done/<batch>.json           the manifest: the sources (and their sha256) of each finished batch; a merged
                                 batch's entry (``compact``: a partition's small files as one) also names the
                                 batches it absorbed, whose files and entries count no longer

Resumable without losses or duplicates: a batch's Parquet files are named after the batch and count only once its
manifest entry is written (atomically, after them); files of a batch without one — a run killed while writing —
are removed when the next run starts, and that run parses those sources again. A worker killed mid-run costs
only its tasks, which Dask gives to another worker.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Collection, Iterable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from urllib.parse import unquote

import dask
import fsspec
import msgspec
import pyarrow as pa
import pyarrow.dataset as pads
import pyarrow.parquet as pq
from distributed import Client, LocalCluster, as_completed
from pydantic import BaseModel

from ..corpus.organs import derive, name_from_title, organ_key
from ..figures import FIGURES, figures_row
from ..model import Finding, OgiError, Record
from ..pipeline import batch_mode, parse
from ..read import read_file

TABLES = ("reports", "cells", "findings", "problems", "failures")
PARTITIONS = ["year", "province"]
UNKNOWN_PROVINCE = "未知"
DONE = "_done"
# A merged batch (``compact``): its id starts with this letter, which a parse batch's (hex) id never does; its
# manifest entry names its sources and the batches it absorbed.
MERGED = "m"
SOURCES = "sources"
ABSORBED = "absorbed"
# zstd: half the size of Parquet's default snappy on these tables (the record JSON most), for ~0.15 ms more CPU a
# report (bench/bench_cluster.py --cost): a national dataset lives on shared storage, where bytes cost more.
COMPRESSION = "zstd"
# Reports a task: a batch writes one Parquet file a table and partition it has reports in, each costing ~1.5 ms
# whatever its size; 500 rather than 200 cut the Dask path's cost by ~0.3 ms a report when a batch spans many
# partitions (bench/bench_cluster.py --cost), for ~50 MB of rows held on a worker and 500 reports redone after
# a worker is lost.
BATCH_SIZE = 500

_FINDING_SCHEMA = pa.schema(
    [
        ("sha256", pa.string()),
        ("rule", pa.string()),
        ("severity", pa.string()),
        ("kind", pa.string()),
        ("keys", pa.string()),
        ("expected", pa.string()),
        ("found", pa.string()),
        ("message", pa.string()),
        ("year", pa.int32()),
        ("province", pa.string()),
    ]
)
SCHEMAS = {
    "reports": pa.schema(
        [
            ("sha256", pa.string()),
            ("source", pa.string()),
            ("organ", pa.string()),
            ("organ_key", pa.string()),  # the spelling key of the organ (None: the report names none)
            ("template", pa.string()),
            ("title", pa.string()),
            ("published", pa.string()),
            ("kind", pa.string()),
            ("parser_version", pa.string()),
            ("size", pa.int64()),
            ("record", pa.string()),  # the whole Record as JSON: ``load`` stores exactly what the worker read
            # The figures the rates need (``ogi.figures.figures_row``), None when unknown (a blank is not a 0), as
            # the corpus's figures table has them: columns of the reports, not a table of their own (one Parquet
            # file fewer a batch and partition; the rates read these columns only).
            *((name, pa.float64()) for name in FIGURES),
            ("year", pa.int32()),
            ("province", pa.string()),
        ]
    ),
    "cells": pa.schema(
        [
            ("sha256", pa.string()),
            ("key", pa.string()),
            ("value", pa.string()),  # as written by the reader ("12", "532934.41"): a decimal is never a float
            ("state", pa.string()),
            ("unit", pa.string()),
            ("raw", pa.string()),
            ("origin", pa.string()),
            ("year", pa.int32()),
            ("province", pa.string()),
        ]
    ),
    "findings": _FINDING_SCHEMA,
    "problems": _FINDING_SCHEMA,
    "failures": pa.schema(
        [("sha256", pa.string()), ("source", pa.string()), ("error", pa.string()), ("reason", pa.string())]
    ),
}


@dataclass
class Summary:
    """What a cluster run did."""

    reports: int = 0
    failed: int = 0
    skipped: int = 0  # sources finished by an earlier run
    lost_batches: int = 0  # batches whose task failed (a worker lost too often): the next run parses them again
    failures: list[tuple[str, str]] = field(default_factory=list)

    def __str__(self) -> str:
        text = f"解析 {self.reports} 份报告，失败 {self.failed} 份，跳过已完成的 {self.skipped} 份"
        if self.lost_batches:
            text += f"；{self.lost_batches} 批未完成（工作进程丢失），再次运行同一命令即可补齐"
        return text


def expand(paths: Iterable[str]) -> Iterator[str]:
    """Files of each input: a file, a folder (recursively) or a glob, local or any fsspec URL (s3://, nfs…)."""
    for path in paths:
        fs, root = fsspec.core.url_to_fs(str(path))
        if fs.isdir(root):
            found = sorted(p for p in fs.find(root) if not Path(p).name.startswith("."))
        else:
            found = sorted(fs.expand_path(root)) if fs.exists(root) or any(c in root for c in "*?[") else [root]
        local = "://" not in str(path)
        for p in found:
            yield p if local else fs.unstrip_protocol(p)


def _text(value) -> str | None:
    """A value as written ("12", "532934.41"): a decimal is never a float."""
    if value is None:
        return None
    return str(value) if type(value) is int else format(value, "f")


def finding_row(sha: str, f: Finding, year: int | None, province: str | None) -> dict:
    """A finding (or reading problem) of the report ``sha`` as a row of the dataset's finding tables."""
    return {
        "sha256": sha,
        "rule": f.rule,
        "severity": f.severity.value,
        "kind": f.kind,
        "keys": " ".join(f.keys),
        "expected": f.expected,
        "found": f.found,
        "message": f.message,
        "year": year,
        "province": province,
    }


def _finding_rows(sha: str, findings: list[Finding], year: int | None, province: str) -> list[dict]:
    return [finding_row(sha, f, year, province) for f in findings]


def _fields(obj: object) -> dict:
    """The fields of a pydantic model of the record, for msgspec (which encodes the dataclass cells itself)."""
    if isinstance(obj, BaseModel):
        return obj.__dict__
    raise NotImplementedError(f"cannot encode {type(obj).__name__}")


# The record as JSON that ``Record.model_validate_json`` reads back equal: msgspec takes ~0.2 ms a report where
# pydantic's own dump takes ~0.4 (bench/bench_cluster.py --cost); computed fields (a finding's ``cells``) left out.
_RECORD_JSON = msgspec.json.Encoder(enc_hook=_fields)


@lru_cache(maxsize=8192)
def _organ(name: str | None, year: int | None) -> tuple[str | None, str]:
    """(spelling key, province) of an organ as named in a report of ``year``: once an organ and year on a worker,
    not once a report (an organ's reports of one year come together in a folder, and ``derive`` reads the
    divisions table)."""
    if not name:
        return None, UNKNOWN_PROVINCE
    return organ_key(name), derive(name, year).province or UNKNOWN_PROVINCE


def organ_of(record: Record) -> tuple[str | None, str]:
    """The organ's spelling key (as the corpus keys its aliases) and province, from its name (or the title's)
    and the divisions of its year; the province is 未知 when the name does not say."""
    return _organ(record.meta.organ or name_from_title(record.meta.title), record.meta.year)


def province_of(record: Record) -> str:
    return organ_of(record)[1]


def _fetch(source: str) -> bytes:
    """A local file through ogi's own reader (regular files only, size-limited); anything else through fsspec."""
    if "://" not in source:
        return read_file(source)
    with fsspec.open(source, "rb") as f:
        return f.read()


_TUNED = False


def _tune_once() -> None:
    """A worker process parses for hours: the garbage collector tuned as for every long run of parses."""
    global _TUNED
    if not _TUNED:
        batch_mode()
        _TUNED = True


def parse_batch(sources: list[str]) -> dict[str, pa.Table]:
    """Runs on a worker: read and parse each source; its rows in every table (failures, never an exception)."""
    _tune_once()
    rows: dict[str, list[dict]] = {name: [] for name in TABLES}
    # The long form by columns, not a dict a cell: ~200 cells a report make this the batch's largest table.
    cells: dict[str, list] = {name: [] for name in SCHEMAS["cells"].names}
    copies: set[str] = set()
    for source in sources:
        sha = None
        try:
            data = _fetch(source)
            sha = hashlib.sha256(data).hexdigest()
            if sha in copies:  # the same bytes twice in a batch: one report, as the corpus stores it
                continue
            copies.add(sha)
            record = parse(data, source)
        except OgiError as exc:
            rows["failures"].append(
                {"sha256": sha, "source": source, "error": type(exc).__name__, "reason": exc.problem}
            )
            continue
        except OSError as exc:
            reason = f"无法读取文件：{exc.strerror or exc}"
            rows["failures"].append({"sha256": sha, "source": source, "error": "ReadError", "reason": reason})
            continue
        except Exception as exc:  # ogi's own failure on one file must not end the national run: recorded, named
            reason = f"解析时程序出错（{type(exc).__name__}），请报告此文件"
            rows["failures"].append({"sha256": sha, "source": source, "error": "InternalError", "reason": reason})
            continue
        record.meta.sha256 = sha
        record.meta.source = source
        meta = record.meta
        year = meta.year
        key, province = organ_of(record)
        rows["reports"].append(
            {
                "sha256": sha,
                "source": source,
                "organ": meta.organ,
                "organ_key": key,
                "template": meta.template,
                "title": meta.title,
                "published": meta.published.isoformat() if meta.published else None,
                "kind": meta.kind,
                "parser_version": record.parser_version,
                "size": len(data),
                "record": _RECORD_JSON.encode(record).decode(),
                "year": year,
                "province": province,
            }
            | figures_row(record)
        )
        n = len(record.cells)
        cells["sha256"] += [sha] * n
        cells["year"] += [year] * n
        cells["province"] += [province] * n
        values = record.cells.values()
        cells["key"] += [c.key for c in values]
        cells["value"] += [_text(c.value) for c in values]
        # ``_value_``, not ``.value``: the enum property costs more than the rest of a cell's row together.
        cells["state"] += [c.state._value_ for c in values]
        cells["unit"] += [c.unit for c in values]
        cells["raw"] += [c.raw for c in values]
        cells["origin"] += [c.origin._value_ for c in values]
        rows["findings"] += _finding_rows(sha, record.findings, year, province)
        rows["problems"] += _finding_rows(sha, record.problems, year, province)
    tables = {name: pa.Table.from_pylist(rows[name], schema=SCHEMAS[name]) for name in TABLES if name != "cells"}
    tables["cells"] = pa.Table.from_pydict(cells, schema=SCHEMAS["cells"])
    return tables


def batch_id(sources: list[str]) -> str:
    return hashlib.sha256("\n".join(sources).encode()).hexdigest()[:16]


def manifests(dest: Path) -> dict[str, list | dict]:
    """Every manifest entry as written: batch id → its [source, sha256 or None] pairs (a parse batch), or the
    entry of a merged batch (``compact``): {"sources": its pairs, "absorbed": the batches it replaced}."""
    found: dict[str, list | dict] = {}
    for path in sorted((Path(dest) / DONE).glob("*.json")):
        try:
            found[path.stem] = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue  # a manifest entry cut short cannot be: it is renamed into place whole; ignore it anyway
    return found


def absorbed_by_merges(entries: dict[str, list | dict]) -> set[str]:
    """The batches some merged batch replaced: their files and entries count no longer, whether or not the
    compaction that merged them got as far as deleting them."""
    return {b for entry in entries.values() if isinstance(entry, dict) for b in entry[ABSORBED]}


def finished(dest: Path) -> dict[str, list[list]]:
    """The batches whose files count: batch id → its [source, sha256 or None] pairs. A batch a merged batch
    absorbed is left out (its rows are in the merged files), the merged batch counted with all their sources."""
    entries = manifests(dest)
    absorbed = absorbed_by_merges(entries)
    return {
        batch: entry[SOURCES] if isinstance(entry, dict) else entry
        for batch, entry in entries.items()
        if batch not in absorbed
    }


def parse_batches(dest: Path) -> list[str]:
    """The parse batches the dataset holds, merged or not: the same before and after ``compact`` (the cross-year
    pass is valid for the dataset's reports, not for the files that hold them)."""
    entries = manifests(dest)
    absorbed = absorbed_by_merges(entries)
    out: set[str] = set()
    for batch, entry in entries.items():
        if batch in absorbed:
            continue
        if isinstance(entry, dict):
            out.update(b for b in entry[ABSORBED] if not b.startswith(MERGED))
        else:
            out.add(batch)
    return sorted(out)


def _remove_unfinished(dest: Path, done: dict) -> None:
    """Parquet files of batches that never reached the manifest (a run killed while writing them)."""
    for name in TABLES:
        for path in (dest / name).rglob("*.parquet") if (dest / name).exists() else ():
            if path.name.split("-", 1)[0] not in done:
                path.unlink()


def _write_tables(dest: str, batch: str, tables: dict[str, pa.Table]) -> None:
    """A batch's rows as Parquet files named after the batch: a task run twice (its worker lost after writing)
    writes the same files again, never a second copy."""
    for name, table in tables.items():
        if not table.num_rows:
            continue
        pq.write_to_dataset(
            table,
            f"{dest}/{name}",
            partition_cols=None if name == "failures" else PARTITIONS,
            basename_template=f"{batch}-{{i}}.parquet",
            existing_data_behavior="overwrite_or_ignore",
            compression=COMPRESSION,
        )


def run_batch(sources: list[str], dest: str, batch: str) -> dict:
    """Runs on a worker: parse the batch and write its Parquet files there (the dataset is on storage the workers
    share: a network folder or an object store); only what the client needs comes back."""
    tables = parse_batch(sources)
    _write_tables(dest, batch, tables)
    return {
        "reports": tables["reports"].num_rows,
        "pairs": [
            [r["source"], r["sha256"]]
            for name in ("reports", "failures")
            for r in tables[name].select(["source", "sha256"]).to_pylist()
        ],
        "failures": [(r["source"], r["reason"]) for r in tables["failures"].select(["source", "reason"]).to_pylist()],
    }


def _finish_batch(dest: Path, batch: str, sources: list[str], pairs: list[list]) -> None:
    shas = dict(pairs)
    entry = dest / DONE / f"{batch}.json"
    temporary = entry.with_suffix(".tmp")
    temporary.write_text(json.dumps([[s, shas.get(s)] for s in sources], ensure_ascii=False), encoding="utf-8")
    os.replace(temporary, entry)  # after the Parquet files: the batch counts only once all of it is there


def run_all(
    client: Client | None,
    function: Callable,
    jobs: list[tuple],
    name: str,
    progress: Callable[[int, int], None] | None = None,
) -> list:
    """``function`` over every job, results in the jobs' order: tasks on the cluster of ``client`` (named after
    ``name`` on its dashboard), or one after another in this process when there is none; ``progress`` told
    (done, total) as each finishes."""
    if client is None:
        results = []
        for job in jobs:
            results.append(function(*job))
            if progress:
                progress(len(results), len(jobs))
        return results
    futures = [client.submit(function, *job, key=f"{name}-{i}", pure=False) for i, job in enumerate(jobs)]
    if progress:
        for done, _ in enumerate(as_completed(futures), 1):
            progress(done, len(jobs))
    return client.gather(futures)


# A worker's statistical profiler samples the parsing thread's stack every 10 ms, taking the GIL from it: ~10–20%
# of a worker's time on these tasks (bench/bench_cluster.py). Off for the local cluster; workers started by hand
# take the same setting from DASK_DISTRIBUTED__WORKER__PROFILE__ENABLED=False.
WORKER_CONFIG = {"distributed.worker.profile.enabled": False}


def local_cluster(workers: int | None = None) -> LocalCluster:
    """Worker processes on this machine, one thread each (the parser holds the GIL), without the profiler."""
    with dask.config.set(WORKER_CONFIG):
        return LocalCluster(n_workers=workers or 2, threads_per_worker=1, dashboard_address=":0")


def open_client(cluster: str, workers: int | None = None) -> Client:
    """``local``: a LocalCluster on this machine (``local_cluster``); otherwise a scheduler's address."""
    if cluster == "local":
        return Client(local_cluster(workers))
    return Client(cluster)


def to_dataset(
    paths: Iterable[str],
    dest: str | os.PathLike,
    client: Client,
    *,
    batch_size: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> Summary:
    """Parse every source not finished before on the cluster of ``client``; each batch's Parquet files are written
    by its worker into ``dest`` (a folder every worker reaches), its manifest entry here when it completes."""
    dest = Path(dest)
    (dest / DONE).mkdir(parents=True, exist_ok=True)
    done = finished(dest)
    _remove_unfinished(dest, done)
    seen = {source for pairs in done.values() for source, _ in pairs}
    sources = list(dict.fromkeys(expand(paths)))
    todo = [s for s in sources if s not in seen]
    summary = Summary(skipped=len(sources) - len(todo))
    if batch_size is None:  # at most BATCH_SIZE, and a few batches a worker so that every worker has some
        workers = max(1, len(client.scheduler_info().get("workers", {})))
        batch_size = max(1, min(BATCH_SIZE, -(-len(todo) // (4 * workers))))
    batches = [todo[i : i + batch_size] for i in range(0, len(todo), batch_size)]
    target = str(dest.resolve())
    futures = {
        client.submit(run_batch, b, target, batch_id(b), key=f"ogi-parse-{batch_id(b)}", pure=False): b for b in batches
    }
    if progress:
        progress(0, len(todo))
    handled = 0
    for future in as_completed(futures):
        batch = futures.pop(future)
        try:
            done_batch = future.result()
        except Exception:  # a batch whose workers kept dying (KilledWorker): left for the next run
            summary.lost_batches += 1
            continue
        finally:
            future.release()
        _finish_batch(dest, batch_id(batch), batch, done_batch["pairs"])
        summary.reports += done_batch["reports"]
        summary.failed += len(done_batch["failures"])
        summary.failures.extend(done_batch["failures"])
        handled += len(batch)
        if progress:
            progress(handled, len(todo))
    return summary


HIVE = pads.partitioning(pa.schema([("year", pa.int32()), ("province", pa.string())]), flavor="hive")
_NO_YEAR = "__HIVE_DEFAULT_PARTITION__"  # pyarrow's folder name for a partition value that is None


def partition_of(path: Path) -> tuple[int | None, str | None]:
    """(year, province) of a file of a partitioned table, from its folder names (…/year=2021/province=%E6…/)."""
    parts = dict(p.split("=", 1) for p in Path(path).parts[-3:-1] if "=" in p)
    year, province = parts.get("year"), parts.get("province")
    return (
        None if year in (None, _NO_YEAR) else int(year),
        None if province in (None, _NO_YEAR) else unquote(province),
    )


def table_files(
    dest: str | os.PathLike,
    name: str,
    *,
    keep: Callable[[str], bool] | None = None,
    years: Collection[int | None] | None = None,
    provinces: Collection[str | None] | None = None,
) -> list[Path]:
    """The Parquet files of one table that count: by default those of finished batches (``keep`` decides by the
    file name's prefix otherwise), in the partitions of ``years`` and ``provinces`` when given — the folders
    name them, so a filter on them never opens the other files (partition pruning)."""
    folder = Path(dest) / name
    if keep is None:
        done = finished(Path(dest))
        keep = done.__contains__
    out = []
    for path in sorted(folder.rglob("*.parquet")) if folder.exists() else ():
        if not keep(path.name.split("-", 1)[0]):
            continue
        if years is not None or provinces is not None:
            year, province = partition_of(path)
            if (years is not None and year not in years) or (provinces is not None and province not in provinces):
                continue
        out.append(path)
    return out


def files_dataset(files: list[Path] | list[str], folder: str | os.PathLike, schema: pa.Schema) -> pads.Dataset:
    """Some files of one table as one pyarrow dataset, its partition columns read from the folder names."""
    partitioning = HIVE if "year" in schema.names else None
    return pads.dataset(
        [str(f) for f in files],
        schema=schema,
        format="parquet",
        partitioning=partitioning,
        partition_base_dir=str(folder),
    )


def read_files(
    files: list[Path] | list[str],
    folder: str | os.PathLike,
    schema: pa.Schema,
    columns: list[str] | None = None,
    filter=None,
) -> pa.Table:
    """Rows of some files of one table (its partition columns read from the folder names)."""
    if not files:
        empty = schema.empty_table()
        return empty.select(columns) if columns else empty
    return files_dataset(files, folder, schema).to_table(columns=columns, filter=filter)


def scan_files(
    files: list[Path] | list[str], folder: str | os.PathLike, schema: pa.Schema, columns: list[str], rows: int = 1000
) -> Iterator[list[dict]]:
    """The rows of some files a slice at a time: a year of a province's record JSON is never in memory whole."""
    if files:
        for batch in files_dataset(files, folder, schema).to_batches(columns=columns, batch_size=rows):
            yield batch.to_pylist()


def require_columns(dest: str | os.PathLike, name: str, columns: list[str], what: str) -> None:
    """A dataset written before ``columns`` were part of the table cannot give ``what``: said, never guessed."""
    files = table_files(dest, name)
    if files:
        missing = [c for c in columns if c not in pq.read_schema(files[0]).names]
        if missing:
            raise OgiError(
                str(dest),
                f"数据集由旧版 ogi 写出（{name} 表缺少 {', '.join(missing)} 列），无法{what}："
                "请用当前版本对原文件重新运行 ogi ingest --cluster，写到新的数据集目录",
            )


def read_table(
    dest: str | os.PathLike, name: str, columns: list[str] | None = None, *, years=None, provinces=None
) -> pa.Table:
    """One table of a dataset, the files of finished batches only (as ``to_dataset`` leaves them)."""
    files = table_files(dest, name, years=years, provinces=provinces)
    return read_files(files, Path(dest) / name, SCHEMAS[name], columns)
