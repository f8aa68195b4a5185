"""A dataset's small files merged (``ogi compact``): one file a table and partition instead of one a batch.

``to_dataset`` writes one Parquet file a batch, table and partition: ~5,000 cells files at 100,000 reports,
50,000 at a million. Opening one costs pyarrow ~1.5 ms whatever its size, most of what the stats and the load
spend; merged, a partition's table is one file (or a few of up to ``TARGET_BYTES``).

The commit protocol, so that at every instant either the batches' files count or the merged files do, never both
and never neither, and a kill at any moment leaves a readable, correct dataset:

1. what a compaction killed midway left is cleared (``clear_leftovers``): merged files without a manifest entry,
   and the files and entries of batches a merged batch absorbed.
2. every table's files of the finished batches, partition by partition, are written as the files of one new
   merged batch ``m…`` (a task a partition; ``merge_partition`` counts the rows it wrote against those it read,
   and fails rather than lose one). They count for nothing yet: a file counts only when its name's batch has a
   manifest entry (``dataset.table_files``), and the next ``compact`` or ``to_dataset`` removes them like the
   files of any batch without one.
3. the merged batch's manifest entry is written, atomically (``_commit``): the sources of every batch it absorbed
   (a re-run of ``to_dataset`` still skips them all) and the absorbed batches' ids. From that instant
   ``dataset.finished`` leaves the absorbed batches out, whether their files and entries are still there or not:
   the merged files count, theirs no longer.
4. the absorbed batches' files, then their entries, are deleted — step 1 again; a kill during it is finished by
   the next ``compact`` (step 1) or ``to_dataset`` (which removes files of batches without a counting entry).

The merged id is a hash of the absorbed batches: a task run twice (its worker lost) writes the same files again.

Rows: a merged file holds exactly the rows of the files it replaces, in the order the readers take those files
(by name), with the same schema and compression; copies of a report from two batches are kept. The readers count
a report once, the copy in the first file that has it (``stats._rows``, ``load``, the cross-year pass) — which
tells copies apart by file: one file holding two copies would count it twice. So a later copy's rows go to a
second file of the partition that sorts after the first (``-01`` after ``-00``; a third copy to ``-02``): each
file holds a report once, and the first file holding it holds the copy that came first, as before.

Tables: every table of the batches, ``failures`` included — a batch absorbed counts through the merged files
only, so all its files are merged. The cross-year pass's tables are left alone: they belong to the pass (named
after its id, one file a task and partition, rewritten whole by each pass), not to batches, and the pass stays
valid: its signature is the dataset's parse batches (``dataset.parse_batches``), which compaction keeps.

A compacted dataset is compacted again only when new batches have come: a re-run over it does nothing. A
partition whose files are all one batch's is linked under the merged name (copied where the storage has no hard
links), not rewritten. Not to run while ``ogi ingest --cluster`` writes into the same dataset: an ingest starting
removes the files of batches without an entry, which the merged files are until step 3.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from distributed import Client

from ..model import OgiError
from .dataset import (
    ABSORBED,
    COMPRESSION,
    DONE,
    MERGED,
    SOURCES,
    TABLES,
    absorbed_by_merges,
    finished,
    manifests,
    run_all,
    table_files,
)

# At most this many bytes of source files a merged file: a worker holds a row group's rows at a time, and a query
# over a partition reads its files in parallel.
TARGET_BYTES = 128 * 2**20
# Rows held before they are written as a row group: row groups as large as the reports' were (tens of MB), not one
# a source file (thousands of small ones compress worse and cost a reader more).
ROW_GROUP_BYTES = 64 * 2**20


@dataclass
class Compacted:
    """What a compaction did."""

    files_before: int = 0
    files_after: int = 0
    bytes_before: int = 0
    bytes_after: int = 0
    seconds: float = 0.0
    skipped: bool = False  # nothing to merge: each table and partition's files were one batch's already

    def __str__(self) -> str:
        if self.skipped:
            return f"数据集无需合并：每个表和分区的文件已属同一批次（共 {self.files_after:,} 个文件）"
        return (
            f"合并前 {self.files_before:,} 个文件，合并后 {self.files_after:,} 个文件"
            f"（{self.bytes_before / 2**20:,.1f} MB → {self.bytes_after / 2**20:,.1f} MB，{self.seconds:.1f} 秒）"
        )


def _batch_of(path: Path) -> str:
    return path.name.split("-", 1)[0]


def _remove(path: Path) -> None:
    path.unlink(missing_ok=True)


def clear_leftovers(dest: Path) -> None:
    """Merged files without a manifest entry (a compaction killed before its commit), and the files and entries of
    batches a merged batch absorbed (killed after it): neither counts for a reader. The files of a parse batch
    without an entry are left to ``to_dataset``, which may be writing them."""
    entries = manifests(dest)
    absorbed = absorbed_by_merges(entries)
    for name in TABLES:
        folder = dest / name
        for path in sorted(folder.rglob("*.parquet")) if folder.exists() else ():
            batch = _batch_of(path)
            if batch in absorbed or (batch.startswith(MERGED) and batch not in entries):
                _remove(path)
    for batch in sorted(absorbed & set(entries)):  # after their files: an entry left names files still to remove
        _remove(dest / DONE / f"{batch}.json")


# --- on the workers ---------------------------------------------------------------------------------------


class _Output:
    """One merged file, written a row group at a time."""

    def __init__(self, path: Path, schema: pa.Schema):
        self.path = path
        self.writer = pq.ParquetWriter(path, schema, compression=COMPRESSION)
        self.held: list[pa.Table] = []
        self.held_bytes = 0

    def add(self, table: pa.Table) -> None:
        self.held.append(table)
        self.held_bytes += table.nbytes
        if self.held_bytes >= ROW_GROUP_BYTES:
            self._flush()

    def _flush(self) -> None:
        if self.held:
            self.writer.write_table(pa.concat_tables(self.held))
        self.held, self.held_bytes = [], 0

    def close(self) -> None:
        self._flush()
        self.writer.close()
        _sync(self.path)


def _sync(path: Path) -> None:
    """On the disk before the manifest entry that makes it count, and before the files it replaces are deleted."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _by_copy(table: pa.Table, seen: dict[str, int]) -> list[tuple[int, pa.Table]]:
    """A source file's rows by copy: (0, the reports no earlier file of the chunk had), (1, their second copies)…
    ``seen`` counts the files that had each report (a file that could not be read has none: never a copy)."""
    shas = table.column("sha256")
    present = [s for s in pc.unique(shas).to_pylist() if s is not None]
    copies = {s: seen[s] for s in present if s in seen}
    for s in present:
        seen[s] = seen.get(s, 0) + 1
    if not copies:
        return [(0, table)]
    level = np.array([copies.get(s, 0) for s in shas.to_pylist()])
    return [(int(n), table.filter(pa.array(level == n))) for n in np.unique(level)]


def merge_partition(files: list[str], merged: str, target_bytes: int = TARGET_BYTES) -> dict:
    """Runs on a worker: one table's files of one partition (in the readers' order) as the files of the merged
    batch ``merged``; the counts of what it read and wrote. Fails, writing nothing that counts, when a row would be
    lost."""
    sources = [Path(f) for f in files]
    folder = sources[0].parent
    sizes = [p.stat().st_size for p in sources]
    outputs: list[Path] = []
    if len({_batch_of(p) for p in sources}) == 1:  # one batch's files: the same bytes under the merged name
        for source in sources:
            target = folder / f"{merged}-{source.name.split('-', 1)[1]}"
            target.unlink(missing_ok=True)  # this task run before (its worker lost after it)
            try:
                os.link(source, target)
            except OSError:
                shutil.copyfile(source, target)
                _sync(target)
            outputs.append(target)
    else:
        chunk, chunk_bytes, schema, rows_before = 0, 0, None, 0
        seen: dict[str, int] = {}
        open_files: dict[int, _Output] = {}
        for source, size in zip(sources, sizes):
            parquet = pq.ParquetFile(source)  # a file opened once: what compaction saves the readers is its cost
            rows_before += parquet.metadata.num_rows
            # A new file at the size limit, or where a file's columns differ (written by another ogi version):
            # each merged file keeps the columns its rows were written with.
            if schema is not None and (
                chunk_bytes + size > target_bytes or not parquet.schema_arrow.equals(schema, check_metadata=False)
            ):
                for output in open_files.values():
                    output.close()
                open_files, seen, chunk, chunk_bytes = {}, {}, chunk + 1, 0
            schema = parquet.schema_arrow
            chunk_bytes += size
            for copy, rows in _by_copy(parquet.read(), seen):
                if copy not in open_files:
                    path = folder / f"{merged}-{chunk:04d}-{copy:02d}.parquet"
                    open_files[copy] = _Output(path, schema)
                    outputs.append(path)
                open_files[copy].add(rows)
        for output in open_files.values():
            output.close()
        rows_after = sum(pq.read_metadata(p).num_rows for p in outputs)
        if rows_after != rows_before:
            raise RuntimeError(f"{folder}: merged {rows_after} rows of {rows_before}")
    return {
        "files_before": len(sources),
        "files_after": len(outputs),
        "bytes_before": sum(sizes),
        "bytes_after": sum(p.stat().st_size for p in outputs),
        "outputs": [str(p) for p in outputs],
    }


# --- on the client -----------------------------------------------------------------------------------------


def _partitions(dest: Path) -> list[list[str]]:
    """Each table's files of the finished batches, a list a partition, in the readers' order."""
    out: list[list[str]] = []
    for name in TABLES:
        by_folder: dict[Path, list[str]] = defaultdict(list)
        for path in table_files(dest, name):
            by_folder[path.parent].append(str(path))
        out += [by_folder[folder] for folder in sorted(by_folder)]
    return out


def _commit(dest: Path, merged: str, entry: dict) -> None:
    """The merged batch's manifest entry, renamed into place whole: from here its files count, the absorbed ones'
    no longer."""
    path = dest / DONE / f"{merged}.json"
    temporary = path.with_suffix(".tmp")
    with open(temporary, "w", encoding="utf-8") as f:
        json.dump(entry, f, ensure_ascii=False)
        f.flush()
        os.fsync(f.fileno())
    os.replace(temporary, path)


def compact(
    dest: str | os.PathLike,
    client: Client | None = None,
    *,
    target_bytes: int = TARGET_BYTES,
    progress: Callable[[int, int], None] | None = None,
) -> Compacted:
    """Merge the small files of the dataset at ``dest`` (a folder every worker reaches): one task a table and
    partition on ``client``'s cluster, or in this process without one. Nothing is lost or counted twice at any
    instant (the protocol above); a dataset compacted and unchanged since is left as it is."""
    started = time.monotonic()
    dest = Path(dest).resolve()  # the workers open its files, wherever they run from
    if not (dest / DONE).is_dir():
        raise OgiError(str(dest), "不是 ogi ingest --cluster 写出的数据集（缺少 _done 清单）")
    clear_leftovers(dest)
    entries = manifests(dest)
    done = finished(dest)
    partitions = _partitions(dest)
    files = sum(len(p) for p in partitions)
    if all(len({_batch_of(Path(f)) for f in p}) == 1 for p in partitions):
        size = sum(Path(f).stat().st_size for p in partitions for f in p)
        return Compacted(files, files, size, size, time.monotonic() - started, skipped=True)
    absorbed = set(done)
    for batch in done:
        entry = entries[batch]
        if isinstance(entry, dict):
            absorbed.update(entry[ABSORBED])  # an earlier merge's own: absorbed still, whatever is left of them
    merged = MERGED + hashlib.sha256("\n".join(sorted(absorbed)).encode()).hexdigest()[:15]
    jobs = [(p, merged, target_bytes) for p in partitions]
    results = run_all(client, merge_partition, jobs, f"ogi-compact-{merged}", progress)
    missing = [f for r in results for f in r["outputs"] if not Path(f).exists()]
    if missing:  # removed under it (an ingest started meanwhile): the batches' files still count
        raise OgiError(
            str(dest), f"合并后的 {len(missing)} 个文件在提交前被删除（另一进程在写入？），请重新运行 ogi compact"
        )
    sources = [pair for batch in sorted(done) for pair in done[batch]]
    _commit(dest, merged, {SOURCES: sources, ABSORBED: sorted(absorbed)})
    clear_leftovers(dest)
    return Compacted(
        files_before=files,
        files_after=sum(r["files_after"] for r in results),
        bytes_before=sum(r["bytes_before"] for r in results),
        bytes_after=sum(r["bytes_after"] for r in results),
        seconds=time.monotonic() - started,
    )
