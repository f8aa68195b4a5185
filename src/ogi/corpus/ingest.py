"""Paths, folders, globs, list files and URLs → records in the corpus (issue #4 item 2).

Workers (processes) read and parse; the main process is the only writer and commits the parsed reports in
batches (``_Batch.SIZE`` reports or ``_Batch.SECONDS``, each report whole or not at all), so a run killed
at any moment leaves whole reports only, and the next run skips what is there (content addressed by sha256;
re-parsed when ``pipeline.PARSER_VERSION`` changed). A file that fails is recorded with its reason and the
batch goes on. Cross-year findings are refreshed once at the end (and by the next run for reports a killed
run left stale).
"""

from __future__ import annotations

import glob
import hashlib
import os
import signal
import time
from collections.abc import Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path

from ..model import OgiError, ReadError
from ..pipeline import PARSER_VERSION, batch_mode, parse
from . import Corpus
from .rows import Prepared, prepare

URL_PREFIXES = ("http://", "https://")
CHUNK = 8  # files per worker task
_KNOWN: dict[str, str] = {}


@dataclass(slots=True)
class Summary:
    run_id: int
    total: int = 0
    added: int = 0
    reparsed: int = 0
    skipped: int = 0
    failed: int = 0
    seconds: float = 0.0
    failures: list[tuple[str, str]] = field(default_factory=list)  # (source, reason), first 50

    @property
    def per_second(self) -> float:
        return self.total / self.seconds if self.seconds else 0.0

    def __str__(self) -> str:
        return (
            f"共 {self.total} 份：新增 {self.added}，重新解析 {self.reparsed}，已在库中 {self.skipped}，"
            f"失败 {self.failed}（{self.seconds:.1f} 秒，{self.per_second:.1f} 份/秒）"
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
    try:
        return Path(item).read_bytes()
    except OSError as exc:
        raise ReadError(item, f"无法读取文件 (cannot read: {exc.strerror or exc})") from None


def _init(known: dict[str, str]) -> None:
    # Ctrl-C is handled once, by the main process, which then stops the pool.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    batch_mode()
    _KNOWN.clear()
    _KNOWN.update(known)


def work(item: str, keep_source: bool = True) -> tuple:
    """Parse one input in a worker: ("parsed", item, sha, Prepared) / ("skipped", …) / ("failed", …)."""
    try:
        data = fetch(item)
    except OgiError as exc:
        return ("failed", item, None, exc.__class__.__name__, exc.problem)
    sha = hashlib.sha256(data).hexdigest()
    if _KNOWN.get(sha) == PARSER_VERSION:
        return ("skipped", item, sha)
    try:
        record = parse(data, item)
    except OgiError as exc:
        return ("failed", item, sha, exc.__class__.__name__, exc.problem)
    except Exception as exc:  # a parser bug on one file must not stop a batch of 100,000; it is recorded
        return ("failed", item, sha, "InternalError", f"程序错误 (bug: {exc.__class__.__name__}: {exc})")
    record.meta.sha256 = sha
    return ("parsed", item, sha, prepare(record, data if keep_source else None))


def work_many(items: list[str], keep_source: bool = True) -> list[tuple]:
    return [work(item, keep_source) for item in items]


def _results(items: list[str], workers: int, known: dict[str, str], keep_source: bool) -> Iterator[tuple]:
    if workers <= 1:
        batch_mode()
        _KNOWN.clear()
        _KNOWN.update(known)
        yield from (work(i, keep_source) for i in items)
        return
    # Files go to workers in chunks (less IPC per file), and enough are in flight that the workers keep
    # parsing while the main process commits a batch; bounded, so memory stays flat at any corpus size.
    window = workers * 6
    chunks = (items[i : i + CHUNK] for i in range(0, len(items), CHUNK))
    with ProcessPoolExecutor(workers, initializer=_init, initargs=(known,)) as pool:
        pending: set[Future] = set()
        try:
            while True:
                for chunk in chunks:
                    pending.add(pool.submit(work_many, chunk, keep_source))
                    if len(pending) >= window:
                        break
                if not pending:
                    return
                done, pending = wait(pending, return_when=FIRST_COMPLETED)
                for future in done:
                    yield from future.result()
        finally:
            for future in pending:
                future.cancel()


def ingest(
    corpus: Corpus,
    paths: Iterable[str],
    *,
    workers: int | None = None,
    keep_source: bool = True,
    retry_failed: bool = False,
    progress: bool = True,
    console=None,
) -> Summary:
    """Add every input to the corpus; returns counts. KeyboardInterrupt marks the run interrupted."""
    paths = [str(p) for p in paths]
    items = [str(Path(i).absolute()) if not i.startswith(URL_PREFIXES) else i for i in expand(paths)]
    workers = workers or min(os.cpu_count() or 1, 8)
    workers = min(workers, max(1, len(items) // 4))
    known = {s: v for s, v in corpus.known(failures=not retry_failed).items() if v == PARSER_VERSION}
    summary = Summary(run_id=corpus.start_run(paths, PARSER_VERSION), total=len(items))
    start = time.perf_counter()
    status = "interrupted"
    batch = _Batch(corpus, summary)
    with _progress(progress, console) as bar:
        task = bar.add_task("入库", total=len(items))
        try:
            try:
                for result in _results(items, workers, known, keep_source):
                    batch.take(result)
                    bar.advance(task)
            finally:
                batch.flush()  # on Ctrl-C too: what was parsed is kept
            bar.update(task, description="核对跨年度")
            corpus.refresh()
            status = "done"
        finally:
            summary.seconds = time.perf_counter() - start
            corpus.finish_run(
                summary.run_id,
                {
                    "added": summary.added,
                    "reparsed": summary.reparsed,
                    "skipped": summary.skipped,
                    "failed": summary.failed,
                },
                status,
            )
    return summary


class _Batch:
    """Parsed reports wait here until SIZE of them (or SECONDS have passed) are ready, then go in one transaction."""

    SIZE = 64
    SECONDS = 2.0

    def __init__(self, corpus: Corpus, summary: Summary):
        self.corpus, self.summary = corpus, summary
        self.items: list[tuple[str, str, Prepared]] = []
        self.since = time.monotonic()

    def take(self, result: tuple) -> None:
        kind, item, sha = result[:3]
        if kind == "skipped":
            self.summary.skipped += 1
        elif kind == "failed":
            self.fail(item, sha, result[3], result[4])
        else:
            self.items.append((item, sha, result[3]))
            if len(self.items) >= self.SIZE or time.monotonic() - self.since > self.SECONDS:
                self.flush()

    def fail(self, item: str, sha: str | None, error: str, reason: str) -> None:
        self.corpus.record_failure(item, sha, error, reason, PARSER_VERSION, self.summary.run_id)
        self.summary.failed += 1
        if len(self.summary.failures) < 50:
            self.summary.failures.append((item, reason))

    def flush(self) -> None:
        results = self.corpus.add_many([p for _, _, p in self.items], run_id=self.summary.run_id) if self.items else []
        for (item, sha, _), added in zip(self.items, results):
            if isinstance(added, OgiError):
                self.fail(item, sha, added.__class__.__name__, added.problem)
            elif added.status == "added":
                self.summary.added += 1
            elif added.status == "reparsed":
                self.summary.reparsed += 1
            else:
                self.summary.skipped += 1
        self.items = []
        self.since = time.monotonic()


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
