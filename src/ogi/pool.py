"""Work on many files in child processes, each file under a time and memory budget (``ogi ingest``, ``ogi parse -j``).

Why not ``concurrent.futures.ProcessPoolExecutor``: when a worker dies (killed by the kernel for memory, or
by a reader's crash) it breaks the whole pool and cannot say which file did it, and it has no limit per
file. Here each worker takes a few files at a time and answers file by file, so the parent always knows
which file a worker is on: a worker that dies, stays on one file longer than ``Limits.seconds`` or grows
past ``Limits.memory_mb`` is killed and replaced, that file comes back as a ``Failed`` with a Chinese
reason, and the other files go on. Results come back in the order they finish.

Workers end with their parent: an idle worker sees its pipe close; a busy one is killed by the kernel
(Linux ``PR_SET_PDEATHSIG``), so a ``kill -9`` of the parent leaves no orphans behind.
"""

from __future__ import annotations

import contextlib
import ctypes
import multiprocessing
import os
import signal
import sys
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait
from typing import Any

CHUNK = 8  # files per message to a worker: less IPC per file, and still one answer per file
_PR_SET_PDEATHSIG = 1


@dataclass(frozen=True, slots=True)
class Limits:
    """The budget of one file in a worker."""

    seconds: float = 300.0
    memory_mb: int = 2048


@dataclass(frozen=True, slots=True)
class Failed:
    """A file whose worker had to be stopped (the worker itself could not say why)."""

    error: str  # Timeout / MemoryLimit / WorkerDied
    reason: str


def workers_for(asked: int | None) -> int:
    """The workers a run starts: as many as asked, else one a core, at most 8."""
    return asked or min(os.cpu_count() or 1, 8)


TICK = object()  # yielded when nothing finished for a while: the caller may commit what it holds
_READY = "ogi.pool.ready"  # a worker's first message: its clock starts now, not while it imports


class PoolError(RuntimeError):
    """Workers cannot be started at all (a broken installation), as opposed to a file that kills one."""


def _die_with_parent() -> None:
    if sys.platform.startswith("linux"):
        # Not glibc (no prctl): the closed pipe still ends an idle worker.
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)


def _worker(conn: Connection, task: Callable[[Any], Any], init: Callable[[], None] | None) -> None:
    _die_with_parent()
    # Ctrl-C reaches the whole process group; the parent alone decides, then stops the workers.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if os.getppid() == 1:  # the parent died before the line above took effect
        return
    if init is not None:
        init()
    conn.send(_READY)
    while True:
        try:
            chunk = conn.recv()
        except (EOFError, OSError):
            return
        if chunk is None:
            return
        for item in chunk:
            try:
                result = task(item)
            except MemoryError:
                result = Failed("MemoryLimit", "内存不足，无法处理此文件 (out of memory)")
            conn.send(result)


@dataclass(slots=True)
class _Slot:
    process: multiprocessing.process.BaseProcess
    conn: Connection
    queue: deque = field(default_factory=deque)  # items sent and not yet answered, oldest first
    since: float = 0.0  # when it started on queue[0]
    ready: bool = False  # started up; until then its files are not timed and its death blames none of them


class Pool:
    """``with Pool(task, workers) as pool: for item, result in pool.run(items): …``

    ``task(item)`` runs in a worker and must return a picklable result (catching its own errors: a
    parser's exception is the task's business; the pool handles only what kills or stalls a worker)."""

    def __init__(
        self,
        task: Callable[[Any], Any],
        workers: int,
        *,
        limits: Limits | None = None,
        init: Callable[[], None] | None = None,
        tick: float = 1.0,
    ):
        self.task, self.init, self.tick = task, init, tick
        self.limits = limits or Limits()
        self.workers = max(1, workers)
        # spawn: a fresh interpreter, so the worker's parent is this process (for PDEATHSIG) and no thread
        # of the parent (the progress bar, a database pool) is copied half-way through.
        self._context = multiprocessing.get_context("spawn")
        self._slots: list[_Slot] = []
        self._failed_starts = 0

    def __enter__(self) -> Pool:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _start(self) -> _Slot:
        ours, theirs = self._context.Pipe()
        process = self._context.Process(target=_worker, args=(theirs, self.task, self.init), daemon=True)
        process.start()
        theirs.close()
        return _Slot(process, ours)

    def run(self, items: Iterable[Any]) -> Iterator[tuple[Any, Any]]:
        """(item, result or Failed) as they finish, and ``(TICK, None)`` every ``tick`` seconds of quiet."""
        source = iter(items)
        todo: deque = deque()
        exhausted = False
        for item in source:  # no worker is started for an empty run (a re-run where every file is stored)
            todo.append(item)
            break
        else:
            return
        for slot in [s for s in self._slots if not s.process.is_alive()]:
            # A worker that died while idle between runs (a long-lived pool, as the web app keeps): no file
            # is to blame; it is replaced before any file is sent to it.
            slot.conn.close()
            self._slots.remove(slot)
        while len(self._slots) < self.workers:
            self._slots.append(self._start())
        last_memory_check = time.monotonic()
        while True:
            for slot in self._slots:  # keep every worker one chunk ahead, so none waits for the parent
                while len(slot.queue) < 2 * CHUNK:
                    while len(todo) < CHUNK and not exhausted:
                        try:
                            todo.append(next(source))
                        except StopIteration:
                            exhausted = True
                    if not todo:
                        break
                    chunk = [todo.popleft() for _ in range(min(CHUNK, len(todo)))]
                    if not slot.queue or not slot.ready:
                        slot.since = time.monotonic()
                    slot.queue.extend(chunk)
                    slot.conn.send(chunk)
            busy = [s for s in self._slots if s.queue]
            if not busy:
                return
            now = time.monotonic()
            deadline = min((s.since + self.limits.seconds for s in busy if s.ready), default=now + self.tick)
            ready = wait(
                [s.conn for s in busy] + [s.process.sentinel for s in busy], max(0.0, min(self.tick, deadline - now))
            )
            if not ready:
                yield TICK, None
            for slot in list(self._slots):
                if slot.conn in ready:
                    yield from self._answers(slot)
                if slot.process.sentinel in ready and not slot.process.is_alive():
                    yield from self._replace(slot, "WorkerDied", self._death_reason(slot), todo)
            now = time.monotonic()
            for slot in list(self._slots):
                if slot.ready and slot.queue and now - slot.since > self.limits.seconds:
                    reason = f"解析超时（超过 {self.limits.seconds:g} 秒），已停止 (timed out)"
                    yield from self._replace(slot, "Timeout", reason, todo)
            if now - last_memory_check > 0.25:
                last_memory_check = now
                for slot in list(self._slots):
                    if slot.ready and slot.queue and _rss_mb(slot.process.pid) > self.limits.memory_mb:
                        reason = f"内存超过上限 {self.limits.memory_mb} MB，已停止 (memory limit)"
                        yield from self._replace(slot, "MemoryLimit", reason, todo)

    def _answers(self, slot: _Slot) -> Iterator[tuple[Any, Any]]:
        try:
            while slot.conn.poll():
                result = slot.conn.recv()
                if not slot.ready and result == _READY:
                    slot.ready, slot.since = True, time.monotonic()
                    self._failed_starts = 0
                    continue
                item = slot.queue.popleft()
                slot.since = time.monotonic()
                yield item, result
        except (EOFError, OSError):  # the worker died: its sentinel says so on this or the next round
            return

    def _death_reason(self, slot: _Slot) -> str:
        code = slot.process.exitcode
        if code is not None and code < 0 and -code == signal.SIGKILL:
            return "处理此文件的子进程被系统终止（通常是内存不足）(worker killed)"
        return f"处理此文件的子进程意外退出（退出码 {code}）(worker died)"

    def _replace(self, slot: _Slot, error: str, reason: str, todo: deque) -> Iterator[tuple[Any, Any]]:
        """Stop a worker, report the file it was on, give its other files back, start a new one."""
        yield from self._answers(slot)  # what it finished before it stopped counts
        if slot.process.is_alive():
            slot.process.kill()
        slot.process.join(5)
        slot.conn.close()
        self._slots.remove(slot)
        if not slot.ready:  # it died starting up: no file is to blame, all go back
            todo.extendleft(reversed(slot.queue))
            self._failed_starts += 1
            if self._failed_starts >= 3:
                raise PoolError(f"无法启动子进程（退出码 {slot.process.exitcode}）(cannot start workers)")
        elif slot.queue:
            culprit = slot.queue.popleft()
            todo.extendleft(reversed(slot.queue))
            yield culprit, Failed(error, reason)
        self._slots.append(self._start())

    def close(self) -> None:
        for slot in self._slots:
            with contextlib.suppress(OSError):
                slot.conn.send(None)
        deadline = time.monotonic() + 2
        for slot in self._slots:
            slot.process.join(max(0.0, deadline - time.monotonic()))
            if slot.process.is_alive():
                slot.process.kill()  # busy on a file nobody waits for any more
                slot.process.join(5)
            slot.conn.close()
        self._slots = []


def _rss_mb(pid: int | None) -> float:
    """Resident memory of a process (Linux /proc; 0 where unknown, so no limit is enforced there)."""
    try:
        with open(f"/proc/{pid}/statm", "rb") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except (OSError, ValueError, IndexError):
        return 0.0
