"""Ingest under attack (issue 15 items 3, 4, 9, 11, 14, 16): workers under a time and memory budget, a worker
killed mid-run, SIGTERM, two ingests at once (SQLite; PostgreSQL with $OGI_PG_URL), cross-year findings
that do not depend on which worker finished first, files that are not regular files."""

from __future__ import annotations

import copy
import dataclasses
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import pytest
import sqlalchemy as sa

from ogi.corpus import Corpus
from ogi.corpus.ingest import ingest
from ogi.pool import Limits, Pool
from tests.builders import generated
from tests.test_ingest import _check_whole, children, wait_gone, write_reports

ROOT = Path(__file__).resolve().parents[1]


def trial(item: str) -> str:
    """A task for the pool's own test: each item names what the worker does with it."""
    if item == "slow":
        time.sleep(60)
    elif item == "big":
        hog = bytearray(400 * 2**20)  # touched, so it is resident
        for i in range(0, len(hog), 4096):
            hog[i] = 1
        time.sleep(5)
    elif item == "die":
        os.kill(os.getpid(), signal.SIGKILL)
    return item.upper()


def test_pool_stops_a_slow_a_big_and_a_dying_file_and_goes_on():
    items = ["a", "slow", "b", "big", "c", "die", "d", "e", "f", "g"]
    with Pool(trial, 2, limits=Limits(seconds=3, memory_mb=300), tick=0.5) as pool:
        results = {item: result for item, result in pool.run(items) if isinstance(item, str)}
    assert set(results) == set(items)  # nothing lost
    assert {k: v for k, v in results.items() if isinstance(v, str)} == {i: i.upper() for i in "abcdefg"}
    assert results["slow"].error == "Timeout" and "超时" in results["slow"].reason
    assert results["big"].error == "MemoryLimit" and "内存" in results["big"].reason
    assert results["die"].error == "WorkerDied" and "子进程" in results["die"].reason


def _records(n_organs=6, years=(2019, 2020, 2021), seed=5):
    return generated(n_organs=n_organs, years=years, seed=seed)


def test_a_worker_killed_mid_ingest_is_recorded_and_the_batch_goes_on(tmp_path):
    records = [r.model_copy(deep=True) for r in _records() * 4]  # 72 reports: each copy an organ of its own
    for i, r in enumerate(records):
        r.meta.organ = f"第{i}号示例县民政局"
        r.meta.title = f"{r.meta.organ}{r.meta.year}年政府信息公开工作年度报告"
    write_reports(tmp_path / "in", records)
    killed: list[int] = []

    def kill_one_worker():
        deadline = time.time() + 60
        while time.time() < deadline and not killed:
            workers = [p for p in children(os.getpid()) if b"resource_tracker" not in _cmdline(p)]
            if len(workers) >= 2:
                time.sleep(0.3)  # let it start on its files
                os.kill(workers[0], signal.SIGKILL)
                killed.append(workers[0])
            time.sleep(0.05)

    thread = threading.Thread(target=kill_one_worker)
    thread.start()
    with Corpus(tmp_path / "c.db") as corpus:
        summary = ingest(corpus, [str(tmp_path / "in")], workers=2, progress=False)
        thread.join()
        assert killed, "a worker should have been killed"
        failures = corpus.failures()
        # Every file is stored or recorded; the file the killed worker was on (if any) with a Chinese reason.
        assert corpus.count() + len(failures) == len(records) == summary.total
        assert len(failures) <= 1 and all("子进程" in f["reason"] for f in failures)
        _check_whole(corpus)
        assert [r["status"] for r in corpus.runs()] == ["done"]


def _cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


def test_sigterm_stores_what_was_parsed_and_marks_the_run(tmp_path):
    records = [r.model_copy(deep=True) for r in _records(n_organs=10, years=(2019, 2020, 2021, 2022)) * 3]
    for i, r in enumerate(records):
        r.meta.organ = f"第{i}号示例县财政局"
        r.meta.title = f"{r.meta.organ}{r.meta.year}年政府信息公开工作年度报告"
    write_reports(tmp_path / "in", records)
    db = tmp_path / "c.db"
    code = (
        "import sys; from ogi.cli import app; from ogi.corpus import ingest as m; m.BatchWriter.SIZE = 8; "
        "app(['ingest', sys.argv[2], '--db', sys.argv[1], '-j', '2', '-q'])"
    )
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src"))
    proc = subprocess.Popen(
        [sys.executable, "-c", code, str(db), str(tmp_path / "in")], env=env, stderr=subprocess.PIPE
    )
    with Corpus(db) as corpus:
        deadline = time.time() + 120
        while corpus.count() < 8 and time.time() < deadline and proc.poll() is None:
            time.sleep(0.05)
        workers = children(proc.pid)
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=180)
        assert proc.returncode == 130, err.decode()
        assert "已中断" in err.decode() and "Traceback" not in err.decode()
        assert wait_gone(workers)
        assert [r["status"] for r in corpus.runs()] == ["interrupted"]
        assert 0 < corpus.count() < len(records)
        _check_whole(corpus)
        ingest(corpus, [str(tmp_path / "in")], workers=2, progress=False)
        assert corpus.count() == len(records)


def _two_at_once(tmp_path, db: str) -> None:
    """Two ingests of overlapping folders into one (fresh) corpus at the same time: both succeed, every
    report once, every organ once, nothing recorded as failed."""
    records = _records(n_organs=8, years=(2019, 2020, 2021, 2022), seed=9)
    write_reports(tmp_path / "in", records)
    code = (
        "import sys; from ogi.corpus import Corpus; from ogi.corpus import ingest as m; m.BatchWriter.SIZE = 4; "
        "s = m.ingest(Corpus(sys.argv[1]), [sys.argv[2]], workers=1, progress=False); "
        "sys.exit(1 if s.failed else 0)"
    )
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src"))
    procs = [
        subprocess.Popen([sys.executable, "-c", code, db, str(tmp_path / "in")], env=env, stderr=subprocess.PIPE)
        for _ in range(2)
    ]
    for proc in procs:
        _, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err.decode()[-2000:]
    with Corpus(db) as corpus:
        assert corpus.count() == len(records)
        assert corpus.failures() == []
        with corpus.engine.connect() as conn:
            assert conn.execute(sa.text("select count(distinct sha256) from reports")).scalar() == len(records)
            organs = conn.execute(sa.text("select count(*) from organs")).scalar()
            per_organ = conn.execute(sa.text("select count(*) from reports group by organ_id")).scalars().all()
            dupes = conn.execute(
                sa.text("select count(*) from findings group by report_id, rule, cell_keys, other_report_id, origin")
            ).scalars()
            assert max(dupes, default=1) == 1  # no finding written twice by the two refreshes
        assert organs == len({r.meta.organ for r in records})
        assert sorted(per_organ) == [4] * organs
        _check_whole(corpus)


def test_two_ingests_at_once_sqlite(tmp_path):
    _two_at_once(tmp_path, str(tmp_path / "c.db"))


def test_two_ingests_at_once_postgresql(tmp_path):
    url = os.environ.get("OGI_PG_URL")
    if not url:
        pytest.skip("OGI_PG_URL is not set")
    from ogi.corpus import database_url

    engine = sa.create_engine(database_url(url))
    with engine.begin() as conn:  # a fresh database: the migration itself is raced too
        conn.exec_driver_sql("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
    engine.dispose()
    _two_at_once(tmp_path, url)


def test_identical_ingests_give_identical_cross_year_findings(tmp_path):
    records = _records(n_organs=6, years=(2019, 2020, 2021, 2022), seed=3)
    # A second version of some reports (another file of the same organ and year, one figure changed):
    # which of them is "last year's report" must not depend on which worker finished first.
    versions = []
    for r in records[::3]:
        other = copy.deepcopy(r)
        key = "t3.new.natural"
        other.cells[key] = dataclasses.replace(other.cells[key], value=(other.cells[key].value or 0) + 7)
        versions.append(other)
    write_reports(tmp_path / "in", records + versions)
    seen = []
    for run in range(2):
        with Corpus(tmp_path / f"c{run}.db") as corpus:
            ingest(corpus, [str(tmp_path / "in")], workers=2, progress=False)
            with corpus.engine.connect() as conn:
                rows = conn.execute(
                    sa.text(
                        "select r.sha256, f.rule, f.cell_keys, o.sha256 from findings f join reports r on"
                        " r.id = f.report_id left join reports o on o.id = f.other_report_id where f.origin = 'corpus'"
                    )
                ).all()
            seen.append(Counter(tuple(r) for r in rows))
    assert seen[0] == seen[1]
    assert sum(seen[0].values()) > 0


def test_not_regular_files_are_refused(tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    with Corpus(tmp_path / "c.db") as corpus:
        summary = ingest(corpus, [str(fifo), "/dev/zero"], workers=1, progress=False)
        assert summary.failed == 2
        assert all("不是普通文件" in f["reason"] for f in corpus.failures())
