"""Paths, folders, globs, list files and URLs → records in the corpus (issue #4 item 2, issue #12, issue #15).

The main process walks the inputs and hashes each file first: a file whose sha256 is stored (same parser
version) or recorded as failed costs a read and a hash, nothing more, so a re-run over a stored folder runs
at the speed of the disk. The other files go to workers (``ogi.pool``: child processes, each file under a
time and memory budget); a worker killed or stopped on a file records that file as failed and the batch
goes on. One thread of the main process is the only writer: it commits the parsed reports in batches
(``BatchWriter.SIZE`` reports or ``BatchWriter.SECONDS``, also while a slow file keeps every worker busy) while the
main thread keeps reading the workers' answers; each report whole or not at all, so a run killed at any
moment leaves whole reports only, and the next run skips what is there (content addressed by sha256;
re-parsed when ``pipeline.PARSER_VERSION`` changed). SIGTERM is handled as
Ctrl-C: what was parsed is stored and the run is marked interrupted. Cross-year findings are refreshed once
at the end (and by the next run for reports a killed run left stale).
"""

from __future__ import annotations

import functools
import glob
import hashlib
import os
import queue
import signal
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from ..model import OgiError, ReadError
from ..pipeline import PARSER_VERSION, batch_mode, parse
from ..pool import TICK, Failed, Limits, Pool, workers_for
from ..read import read_file
from . import Corpus
from .rows import prepare

URL_PREFIXES = ("http://", "https://")


@dataclass(slots=True)
class Summary:
    run_id: int
    total: int = 0
    added: int = 0
    reparsed: int = 0
    skipped: int = 0
    failed: int = 0
    failed_before: int = 0  # failed in an earlier run, same bytes and parser version: not tried again
    seconds: float = 0.0
    failures: list[tuple[str, str]] = field(default_factory=list)  # (source, reason), first 50

    @property
    def per_second(self) -> float:
        return self.total / self.seconds if self.seconds else 0.0

    @property
    def done(self) -> int:
        return self.added + self.reparsed + self.skipped + self.failed + self.failed_before

    @property
    def counts(self) -> dict[str, int]:
        """The counts the corpus keeps per run."""
        return {"added": self.added, "reparsed": self.reparsed, "skipped": self.skipped, "failed": self.failed}

    def __str__(self) -> str:
        before = f"，以前失败未重试 {self.failed_before}" if self.failed_before else ""
        return (
            f"共 {self.total} 份：新增 {self.added}，重新解析 {self.reparsed}，已在库中 {self.skipped}，"
            f"失败 {self.failed}{before}（{self.seconds:.1f} 秒，{self.per_second:.1f} 份/秒）"
        )


def expand(paths: Iterable[str]) -> Iterator[str]:
    """Files, folders (recursively), globs, ``@list`` files (one path or URL a line; # comments) and URLs."""
    for p in paths:
        p = str(p)
        if p.startswith(URL_PREFIXES):
            yield p
        elif p.startswith("@"):
            yield from expand(_read_list(Path(p[1:])))
        elif any(ch in p for ch in "*?[") and not Path(p).exists():
            yield from expand(sorted(glob.glob(p, recursive=True)))
        elif Path(p).is_dir():
            for root, dirs, files in os.walk(p):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                yield from (str(Path(root, f)) for f in sorted(files) if not f.startswith("."))
        else:
            yield p  # a missing file is reported as a failure, not silently dropped


def _read_list(path: Path) -> list[str]:
    try:
        lines = path.read_text(encoding="utf-8-sig").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise ReadError(str(path), f"无法读取路径清单 (cannot read list file: {exc})") from None
    items = [s.strip() for s in lines if s.strip() and not s.strip().startswith("#")]
    return [s if s.startswith(URL_PREFIXES) or Path(s).is_absolute() else str(path.parent / s) for s in items]


def fetch(item: str) -> bytes:
    """The bytes of a path or URL; a ReadError naming it when they cannot be had."""
    if item.startswith(URL_PREFIXES):
        import httpx

        try:
            response = httpx.get(item, timeout=60, follow_redirects=True)
            response.raise_for_status()
        except httpx.HTTPError as exc:
            raise ReadError(item, f"无法下载 (download failed: {exc.__class__.__name__}: {exc})") from None
        return response.content
    return read_file(item)


def work(item: str, keep_source: bool = True) -> tuple:
    """Parse one input in a worker: ("parsed", item, sha, Prepared) / ("failed", item, sha, error, reason)."""
    try:
        data = fetch(item)
    except OgiError as exc:
        return ("failed", item, None, exc.__class__.__name__, exc.problem)
    sha = hashlib.sha256(data).hexdigest()
    try:
        record = parse(data, item)
    except OgiError as exc:
        return ("failed", item, sha, exc.__class__.__name__, exc.problem)
    except RecursionError:
        return ("failed", item, sha, "ReadError", "文件结构异常（嵌套过深），无法解析 (pathological structure)")
    except Exception as exc:  # a parser bug on one file must not stop a batch of 100,000; it is recorded
        return ("failed", item, sha, "InternalError", f"程序错误 (bug: {exc.__class__.__name__}: {exc})")
    record.meta.sha256 = sha
    return ("parsed", item, sha, prepare(record, data if keep_source else None))


def _unstored(items: list[str], stored: dict[str, str], failed: dict[str, str], summary: Summary) -> Iterator[str]:
    """The inputs that need parsing: a local file whose bytes are stored (or failed) under this parser
    version is counted here from its hash alone. Runs in the main process, interleaved with the workers."""
    for item in items:
        if (stored or failed) and not item.startswith(URL_PREFIXES):
            try:
                sha = hashlib.sha256(read_file(item)).hexdigest()
            except OgiError:
                yield item  # the worker reads it again and records why it cannot
                continue
            if stored.get(sha) == PARSER_VERSION:
                summary.skipped += 1
                continue
            if failed.get(sha) == PARSER_VERSION:
                summary.failed_before += 1
                continue
        yield item


@contextmanager
def _sigterm_as_interrupt() -> Iterator[None]:
    """SIGTERM (a service manager, ``kill``) stops the run like Ctrl-C: pending reports stored, run marked."""

    def interrupt(signum, frame):
        raise KeyboardInterrupt

    try:
        previous = signal.signal(signal.SIGTERM, interrupt)
    except ValueError:  # not the main thread (a web worker): leave signals alone
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def ingest(
    corpus: Corpus,
    paths: Iterable[str],
    *,
    workers: int | None = None,
    keep_source: bool = True,
    retry_failed: bool = False,
    progress: bool = True,
    console=None,
    limits: Limits | None = None,
) -> Summary:
    """Add every input to the corpus; returns counts. KeyboardInterrupt (or SIGTERM) marks the run interrupted."""
    paths = [str(p) for p in paths]
    items = [str(Path(i).absolute()) if not i.startswith(URL_PREFIXES) else i for i in expand(paths)]
    workers = workers_for(workers)
    workers = min(workers, max(1, len(items) // 4))
    stored, failed = corpus.known_by_kind()
    stored = {s: v for s, v in stored.items() if v == PARSER_VERSION}
    failed = {} if retry_failed else {s: v for s, v in failed.items() if v == PARSER_VERSION}
    summary = Summary(run_id=corpus.start_run(paths, PARSER_VERSION), total=len(items))
    start = time.perf_counter()
    status = "interrupted"
    writer = BatchWriter(functools.partial(_store, corpus, summary))
    task = functools.partial(work, keep_source=keep_source)
    with _sigterm_as_interrupt(), _progress(progress, console) as bar:
        bar_task = bar.add_task("入库", total=len(items))
        try:
            try:
                with Pool(task, workers, limits=limits, init=batch_mode) as pool:
                    for item, result in pool.run(_unstored(items, stored, failed, summary)):
                        if item is TICK:
                            writer.flush_if_due()
                            bar.update(bar_task, completed=summary.done)
                            continue
                        writer.add(
                            ("failed", item, None, result.error, result.reason)
                            if isinstance(result, Failed)
                            else result
                        )
                        bar.update(bar_task, completed=summary.done)
            finally:
                writer.close()  # on Ctrl-C and SIGTERM too: what was parsed is kept
            bar.update(bar_task, completed=summary.done, description="核对跨年度")
            corpus.refresh()
            status = "done"
        finally:
            summary.seconds = time.perf_counter() - start
            corpus.finish_run(summary.run_id, summary.counts, status)
    return summary


class BatchWriter:
    """Items wait here until ``size`` of them (or SECONDS) are ready; then a writer thread stores them
    (``store(items)``, one transaction) while this thread goes on draining the workers' pipes. Without it a
    worker blocked on a full pipe for as long as a commit took, and parsing and storing took turns instead of
    overlapping (main process idle a third of the run). At most QUEUED batches wait for the writer, so memory
    stays flat; the writer is the only thread that writes to the corpus. ``ogi ingest`` and ``ogi load``."""

    SIZE = 256
    SECONDS = 2.0
    QUEUED = 2

    def __init__(self, store: Callable[[list], None], size: int | None = None):
        self.store, self.size = store, size or self.SIZE
        self.items: list = []
        self.since = time.monotonic()
        self.queue: queue.Queue[list | None] = queue.Queue(maxsize=self.QUEUED)
        self.error: BaseException | None = None
        self.writer = threading.Thread(target=self._write_all, name="ogi-writer", daemon=True)
        self.writer.start()

    def add(self, item) -> None:
        self.items.append(item)
        if len(self.items) >= self.size:
            self.flush()
        self.flush_if_due()

    def flush_if_due(self) -> None:
        if self.items and time.monotonic() - self.since > self.SECONDS:
            self.flush()

    def flush(self) -> None:
        """Hand what is waiting to the writer (blocks while QUEUED batches are ahead of it)."""
        if self.error is not None:
            raise self.error
        if self.items:
            self.queue.put(self.items)
        self.items = []
        self.since = time.monotonic()

    def close(self) -> None:
        """Everything handed over and stored (on Ctrl-C and SIGTERM too); the writer's error, if any, raised."""
        try:
            self.flush()
        finally:
            self.queue.put(None)
            self.writer.join()
        if self.error is not None:
            raise self.error

    def _write_all(self) -> None:
        while (batch := self.queue.get()) is not None:
            if self.error is None:
                try:
                    self.store(batch)
                except BaseException as exc:  # the database went away: the main thread raises it
                    self.error = exc


def _store(corpus: Corpus, summary: Summary, batch: list[tuple]) -> None:
    """A batch of the workers' answers: the parsed reports in one transaction, the failures recorded."""
    parsed = [answer for answer in batch if answer[0] == "parsed"]
    for answer in batch:
        if answer[0] == "failed":
            _fail(corpus, summary, *answer[1:])
    if parsed:
        results = corpus.add_many([answer[3] for answer in parsed], run_id=summary.run_id, resumable=True)
        for (_, item, sha, _), added in zip(parsed, results):
            if isinstance(added, OgiError):
                _fail(corpus, summary, item, sha, added.__class__.__name__, added.problem)
            elif added.status == "added":
                summary.added += 1
            elif added.status == "reparsed":
                summary.reparsed += 1
            else:
                summary.skipped += 1
    corpus.beat(summary.run_id, summary.counts)


def _fail(corpus: Corpus, summary: Summary, item: str, sha: str | None, error: str, reason: str) -> None:
    corpus.record_failure(item, sha, error, reason, PARSER_VERSION, summary.run_id)
    summary.failed += 1
    if len(summary.failures) < 50:
        summary.failures.append((item, reason))


def _progress(show: bool, console):
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=console,
        disable=not show,
    )


def ingest_paths(paths: Iterable[str], *, db: str | None = None, console=None, **options) -> Summary:
    """Open the corpus (``--db`` / $OGI_DB / ./ogi.db), ingest, close: the demo's and scripts' one call."""
    with Corpus(db) as corpus:
        return ingest(corpus, paths, console=console, progress=console is not None and console.is_terminal, **options)
