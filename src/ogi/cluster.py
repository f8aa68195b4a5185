"""A national run on Dask (issue #12): parse on a cluster into a Parquet dataset, then bulk-load it into a corpus.

``to_dataset(paths, dest, cluster)``   the files (local paths, folders, globs or fsspec URLs) parsed on Dask workers
                                        in batches; each batch written as Parquet files under ``dest``:
    reports/year=…/province=…/   one row a report: sha256 (its id), source, metadata, and the whole record as JSON
    cells/year=…/province=…/     the long form: sha256, key, value, state, unit, raw, origin
    findings/…, problems/…       审核发现 and 读取问题: sha256, rule, severity, kind, keys, expected, found, message
    failures/                    files that could not be read: source, sha256, error, reason (in Chinese)
    _done/<batch>.json           the manifest: the sources (and their sha256) of each finished batch
``load(dest, corpus)``                 the dataset into a corpus by its bulk store path, then the cross-year rules once.

Resumable without losses or duplicates: a batch's Parquet files are named after the batch and count only once its
manifest entry is written (atomically, after them); files of a batch without one — a run killed while writing —
are removed when the next run starts, and that run parses those sources again. A worker killed mid-run costs
only its tasks, which Dask gives to another worker.

Dask, distributed and fsspec are the optional extra ``ogi[cluster]``: this module is imported only by the
commands that use it, so the embedded default never needs them.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import fsspec
import pyarrow as pa
import pyarrow.dataset as pads
import pyarrow.parquet as pq
from distributed import Client, LocalCluster, as_completed

from .corpus.organs import derive, name_from_title
from .model import Finding, OgiError, Record

TABLES = ("reports", "cells", "findings", "problems", "failures")
PARTITIONS = ["year", "province"]
UNKNOWN_PROVINCE = "未知"
DONE = "_done"
BATCH_SIZE = 200  # reports a task: fewer, larger Parquet files (a batch writes one file a partition and table)

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
            ("template", pa.string()),
            ("title", pa.string()),
            ("published", pa.string()),
            ("kind", pa.string()),
            ("parser_version", pa.string()),
            ("size", pa.int64()),
            ("record", pa.string()),  # the whole Record as JSON: ``load`` stores exactly what the worker read
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
    if value is None:
        return None
    return format(value, "f") if isinstance(value, Decimal) else str(value)


def _finding_rows(sha: str, findings: list[Finding], year: int | None, province: str) -> list[dict]:
    return [
        {
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
        for f in findings
    ]


def province_of(record: Record) -> str:
    """The organ's province, from its name and the divisions of its year; 未知 when the name does not say."""
    name = record.meta.organ or name_from_title(record.meta.title)
    return (derive(name, record.meta.year).province if name else None) or UNKNOWN_PROVINCE


def parse_batch(sources: list[str]) -> dict[str, pa.Table]:
    """Runs on a worker: read and parse each source; its rows in every table (failures, never an exception)."""
    # Imported here, on the worker, so that submitting a batch does not ship the parser's module state.
    from .pipeline import parse

    rows: dict[str, list[dict]] = {name: [] for name in TABLES}
    cells: dict[str, list] = {name: [] for name in SCHEMAS["cells"].names}
    for source in sources:
        sha = None
        try:
            with fsspec.open(source, "rb") as f:
                data = f.read()
            sha = hashlib.sha256(data).hexdigest()
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
        year, province = meta.year, province_of(record)
        rows["reports"].append(
            {
                "sha256": sha,
                "source": source,
                "organ": meta.organ,
                "template": meta.template,
                "title": meta.title,
                "published": meta.published.isoformat() if meta.published else None,
                "kind": meta.kind,
                "parser_version": record.parser_version,
                "size": len(data),
                "record": record.model_dump_json(),
                "year": year,
                "province": province,
            }
        )
        # The long form by columns, not a dict a cell: ~200 cells a report make this the batch's largest table.
        n = len(record.cells)
        cells["sha256"].extend([sha] * n)
        cells["year"].extend([year] * n)
        cells["province"].extend([province] * n)
        for c in record.cells.values():
            cells["key"].append(c.key)
            cells["value"].append(_text(c.value))
            cells["state"].append(c.state.value)
            cells["unit"].append(c.unit)
            cells["raw"].append(c.raw)
            cells["origin"].append(c.origin.value)
        rows["findings"].extend(_finding_rows(sha, record.findings, year, province))
        rows["problems"].extend(_finding_rows(sha, record.problems, year, province))
    tables = {name: pa.Table.from_pylist(rows[name], schema=SCHEMAS[name]) for name in TABLES if name != "cells"}
    tables["cells"] = pa.Table.from_pydict(cells, schema=SCHEMAS["cells"])
    return tables


def batch_id(sources: list[str]) -> str:
    return hashlib.sha256("\n".join(sources).encode()).hexdigest()[:16]


def finished(dest: Path) -> dict[str, list[list]]:
    """The manifest: batch id → its [source, sha256 or None] pairs."""
    done: dict[str, list[list]] = {}
    for path in sorted((dest / DONE).glob("*.json")):
        try:
            done[path.stem] = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue  # a manifest entry cut short cannot be: it is renamed into place whole; ignore it anyway
    return done


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


def open_client(cluster: str, workers: int | None = None) -> Client:
    """``local``: a LocalCluster on this machine (one thread a worker process); otherwise a scheduler's address."""
    if cluster == "local":
        return Client(LocalCluster(n_workers=workers or 2, threads_per_worker=1, dashboard_address=":0"))
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


def read_table(dest: str | os.PathLike, name: str, columns: list[str] | None = None) -> pa.Table:
    """One table of a dataset, the files of finished batches only (as ``to_dataset`` leaves them)."""
    dest = Path(dest)
    folder = dest / name
    done = finished(dest)
    files = (
        [str(p) for p in sorted(folder.rglob("*.parquet")) if p.name.split("-", 1)[0] in done]
        if folder.exists()
        else []
    )
    if not files:
        return SCHEMAS[name].empty_table().select(columns) if columns else SCHEMAS[name].empty_table()
    partitioning = (
        None
        if name == "failures"
        else pads.partitioning(pa.schema([("year", pa.int32()), ("province", pa.string())]), flavor="hive")
    )
    return pads.dataset(files, format="parquet", partitioning=partitioning, partition_base_dir=str(folder)).to_table(
        columns=columns
    )


@dataclass
class Loaded:
    added: int = 0
    unchanged: int = 0
    failures: int = 0
    errors: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        return f"入库 {self.added} 份报告，已在库中 {self.unchanged} 份，记录失败 {self.failures} 份"


def load(
    dest: str | os.PathLike, corpus, *, chunk: int = 500, progress: Callable[[int, int], None] | None = None
) -> Loaded:
    """A dataset into ``corpus`` (an ``ogi.corpus.Corpus``): its bulk store path in chunks, failures recorded,
    then the cross-year rules once. Loading twice adds nothing: reports are stored by sha256."""
    from .corpus.rows import prepare  # with the corpus the caller opened
    from .pipeline import PARSER_VERSION  # the failures' parser version, as ``ogi ingest`` records it

    dest = Path(dest)
    if not (dest / DONE).is_dir():
        raise OgiError(str(dest), "不是 ogi ingest --cluster 写出的数据集（缺少 _done 清单）")
    known = corpus.known(failures=False)  # sha256 → parser version of the stored reports
    table = read_table(dest, "reports", ["sha256", "parser_version", "record"])
    result = Loaded()
    total = table.num_rows
    done = 0
    for batch in table.to_batches(max_chunksize=chunk):
        preps = []
        columns = (batch.column(name).to_pylist() for name in ("sha256", "parser_version", "record"))
        for sha, version, text in zip(*columns):
            if known.get(sha) == version:  # stored by this parser: nothing to decode (another version: re-stored)
                result.unchanged += 1
                continue
            known[sha] = version
            record = Record.model_validate_json(text)
            preps.append(prepare(record))
        for outcome in corpus.add_many(preps) if preps else []:
            if isinstance(outcome, OgiError):
                result.errors.append(str(outcome))
            elif outcome.status in ("added", "reparsed"):
                result.added += 1
            else:
                result.unchanged += 1
        done += batch.num_rows
        if progress:
            progress(done, total)
    for row in read_table(dest, "failures").to_pylist():
        if row["sha256"] in known:
            continue
        corpus.record_failure(row["source"], row["sha256"], row["error"], row["reason"], PARSER_VERSION)
        result.failures += 1
    corpus.refresh()
    return result
