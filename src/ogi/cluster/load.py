"""A dataset into a corpus (``ogi load``): its reports by the bulk store path, failures recorded, then the
cross-year rules once over the whole corpus."""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from ..corpus.ingest import BatchWriter
from ..corpus.rows import Prepared, prepare_stored
from ..model import OgiError
from ..pipeline import batch_mode
from ..pool import TICK, Failed, Pool, workers_for
from .dataset import DONE, SCHEMAS, read_table, scan_files, table_files


@dataclass
class Loaded:
    added: int = 0
    unchanged: int = 0
    failures: int = 0
    errors: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        return f"入库 {self.added} 份报告，已在库中 {self.unchanged} 份，记录失败 {self.failures} 份"


# Below this many reports to decode a load decodes them in this process: starting workers costs about a second.
PARALLEL_FROM = 2000


def load(
    dest: str | os.PathLike,
    corpus,
    *,
    chunk: int = 500,
    progress: Callable[[int, int], None] | None = None,
    workers: int | None = None,
    refresh: bool = True,
) -> Loaded:
    """A dataset into ``corpus`` (an ``ogi.corpus.Corpus``): its bulk store path in chunks, failures recorded,
    then the cross-year rules once (``refresh``; the caller may run ``corpus.refresh()`` itself, to show it as a
    step of its own). Loading twice adds nothing: reports are stored by sha256. The records are decoded in
    ``workers`` processes (default: a core each, at most 8) while this one stores them."""
    from ..pipeline import PARSER_VERSION  # the failures' parser version, as ``ogi ingest`` records it

    dest = Path(dest)
    if not (dest / DONE).is_dir():
        raise OgiError(str(dest), "不是 ogi ingest --cluster 写出的数据集（缺少 _done 清单）")
    known = corpus.known(failures=False)  # sha256 → parser version of the stored reports
    ids = read_table(dest, "reports", ["sha256", "parser_version"])
    result = Loaded()
    total = ids.num_rows
    wanted: set[str] = set()  # not stored by this parser (another version: stored again); a copy counts once
    for sha, version in zip(ids.column("sha256").to_pylist(), ids.column("parser_version").to_pylist()):
        if known.get(sha) == version:
            result.unchanged += 1
        else:
            known[sha] = version
            wanted.add(sha)
    workers = workers_for(workers)
    pool = Pool(prepare_stored, workers, init=batch_mode) if workers > 1 and len(wanted) >= PARALLEL_FROM else None
    try:
        stored = _records(dest, wanted, chunk)
        answers = (
            ((row, r) for row, r in pool.run(stored) if row is not TICK)
            if pool
            else ((row, prepare_stored(row)) for row in stored)
        )
        writer = BatchWriter(functools.partial(_store, corpus, result), size=chunk)
        skipped = result.unchanged
        try:
            for done, (row, answer) in enumerate(answers, 1):
                if isinstance(answer, Prepared):
                    writer.add(answer)
                else:  # why the record cannot be read, or (a worker stopped on it) why the worker was
                    result.errors.append(f"{row[0]}: {answer.reason}" if isinstance(answer, Failed) else answer)
                if progress and done % 100 == 0:
                    progress(skipped + done, total)
        finally:
            writer.close()  # what was decoded is stored, on Ctrl-C too
    finally:
        if pool:
            pool.close()
    if progress:
        progress(total, total)
    for row in read_table(dest, "failures").to_pylist():
        if row["sha256"] in known:
            continue
        corpus.record_failure(row["source"], row["sha256"], row["error"], row["reason"], PARSER_VERSION)
        result.failures += 1
    if refresh:
        corpus.refresh()
    return result


def _records(dest: Path, wanted: set[str], rows: int) -> Iterator[tuple[str, str]]:
    """(sha256, record JSON) of each report of ``wanted``, the first copy of it in the readers' order, a slice of
    the files at a time: a national dataset's records are never in memory whole."""
    files = table_files(dest, "reports")
    for chunk in scan_files(files, dest / "reports", SCHEMAS["reports"], ["sha256", "record"], rows):
        for row in chunk:
            if row["sha256"] in wanted:
                wanted.discard(row["sha256"])
                yield row["sha256"], row["record"]


def _store(corpus, result: Loaded, preps: list[Prepared]) -> None:
    """One chunk in one transaction, in the writer thread while the workers decode the next. Resumable: a chunk
    a server crash lost is loaded by the next run like any chunk not stored yet."""
    for outcome in corpus.add_many(preps, resumable=True) if preps else []:
        if isinstance(outcome, OgiError):
            result.errors.append(str(outcome))
        elif outcome.status in ("added", "reparsed"):
            result.added += 1
        else:
            result.unchanged += 1
