"""``ogi ingest`` (issue #4 item 2): seeds and a generated multi-organ, multi-year corpus with known cells;
idempotent re-ingest; failures recorded while the batch goes on; resume after a killed run; re-parse on a
new parser version; list files, globs and URLs."""

from __future__ import annotations

import http.server
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from ogi import forms, pipeline
from ogi.corpus import Corpus
from ogi.corpus.ingest import ingest
from tests.builders import generated, total
from tests.conftest import SEED_DIR

ROOT = Path(__file__).resolve().parents[1]


def write_reports(folder: Path, records) -> list[Path]:
    from ogi.render import LAYOUTS, render_text

    paths = []
    for i, r in enumerate(records):
        path = folder / f"{i:03d}_{r.meta.organ}_{r.meta.year}.txt"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(render_text(r, LAYOUTS[i % len(LAYOUTS)], seed=i), encoding="utf-8")
        paths.append(path)
    return paths


def counts(corpus: Corpus) -> dict[str, int]:
    with corpus.engine.connect() as conn:
        return {
            t: conn.execute(sa.text(f"select count(*) from {t}")).scalar()
            for t in ("reports", "cells", "sections", "findings", "organs", "sources", "figures")
        }


@pytest.fixture(scope="module")
def records():
    return generated(n_organs=4, years=(2019, 2020, 2021))


def test_seeds(tmp_path):
    if not SEED_DIR.is_dir():
        pytest.skip("../shared/seeds is not present")
    with Corpus(tmp_path / "c.db") as corpus:
        summary = ingest(corpus, [str(SEED_DIR)], workers=1, progress=False)
        assert (summary.added, summary.failed) == (5, 0)
        got = {Path(r.source).name[:3]: (r.year, r.template) for r in corpus.reports()}
    # spec §9: report year and format of each seed
    assert got == {
        "000": (2021, "2019"),
        "001": (2022, "2021"),
        "002": (2020, "2019"),
        "003": (2021, "2021"),
        "004": (2019, "2019"),
    }


def test_generated_corpus_has_the_known_figures(tmp_path, records):
    write_reports(tmp_path / "in", records)
    with Corpus(tmp_path / "c.db") as corpus:
        summary = ingest(corpus, [str(tmp_path / "in")], workers=2, progress=False)
        assert (summary.total, summary.added, summary.failed) == (12, 12, 0)
        assert len(corpus.organs()) >= 4  # more if the parser misses an organ name (then: no organ)
        for year in (2019, 2020, 2021):
            mine = [r for r in records if r.meta.year == year]
            (row,) = corpus.totals(["t3.new.total", "t4.review.total"], by=("year",), year=year)
            assert (row["t3.new.total"], row["t4.review.total"]) == (
                total(mine, "t3.new.total"),
                total(mine, "t4.review.total"),
            )
        for row in corpus.reports(limit=None):
            r = records[int(Path(row.source).name[:3])]
            stored = corpus.get(row.id)
            assert {k: c.value for k, c in stored.cells.items()} == {k: c.value for k, c in r.cells.items()}


def test_reingest_changes_nothing(tmp_path, records):
    write_reports(tmp_path / "in", records[:6])
    with Corpus(tmp_path / "c.db") as corpus:
        ingest(corpus, [str(tmp_path / "in")], workers=1, progress=False)
        before = counts(corpus)
        again = ingest(corpus, [str(tmp_path / "in")], workers=2, progress=False)
        assert (again.added, again.reparsed, again.skipped) == (0, 0, 6)
        assert counts(corpus) == before
        assert [r["status"] for r in corpus.runs()] == ["done", "done"]


def test_failures_are_recorded_and_the_batch_goes_on(tmp_path, records):
    folder = tmp_path / "in"
    write_reports(folder, records[:2])
    (folder / "empty.txt").write_bytes(b"")
    (folder / "junk.bin").write_bytes(bytes(range(256)) * 20)
    (folder / "prose.txt").write_text("这是一段与年度报告无关的文字。\n" * 5, encoding="utf-8")
    with Corpus(tmp_path / "c.db") as corpus:
        summary = ingest(corpus, [str(folder), str(tmp_path / "missing.txt")], workers=1, progress=False)
        assert (summary.added, summary.failed) == (2, 4)
        reasons = {Path(f["source"]).name: (f["error"], f["reason"]) for f in corpus.failures()}
        assert set(reasons) == {"empty.txt", "junk.bin", "prose.txt", "missing.txt"}
        assert reasons["empty.txt"][0] == "EmptyFile"
        assert "No such file" in reasons["missing.txt"][1]
        again = ingest(corpus, [str(folder), str(tmp_path / "missing.txt")], workers=1, progress=False)
        # Known bad content is not parsed again, but it is counted as failed, not as stored (issue 14 item 6).
        assert (again.skipped, again.failed_before, again.failed) == (2, 3, 1)
        assert len(corpus.failures()) == 4


def test_list_files_globs_and_urls(tmp_path, records):
    paths = write_reports(tmp_path / "in", records[:4])
    (tmp_path / "list.txt").write_text(f"# 清单\nin/{paths[0].name}\n\n{paths[1]}\n", encoding="utf-8")
    handler = lambda *a, **k: http.server.SimpleHTTPRequestHandler(*a, directory=str(tmp_path / "in"), **k)  # noqa: E731
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.RequestHandlerClass.log_message = lambda *a: None
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_port}/{paths[3].name}"
        with Corpus(tmp_path / "c.db") as corpus:
            summary = ingest(
                corpus,
                [
                    f"@{tmp_path / 'list.txt'}",
                    str(tmp_path / "in" / "002_*"),
                    url,
                    f"http://127.0.0.1:{server.server_port}/nothing.txt",
                ],
                workers=1,
                progress=False,
            )
            assert (summary.total, summary.added, summary.failed) == (5, 4, 1)
            assert url in {r.source for r in corpus.reports()}
            assert "下载" in corpus.failures()[0]["reason"]
    finally:
        server.shutdown()


def test_resume_after_a_killed_run(tmp_path):
    """kill -9 of the main process: whole reports only, no orphan worker, the run marked ended by the next."""
    # 150 reports: the copies are given organs of their own (the same report three times would be one report)
    records = [
        r.model_copy(deep=True) for r in generated(n_organs=10, years=(2019, 2020, 2021, 2022, 2023), seed=11) * 3
    ]
    for i, r in enumerate(records):
        r.meta.organ = f"第{i}号示例县教育局" if i >= 50 else r.meta.organ
        r.meta.title = f"{r.meta.organ}{r.meta.year}年政府信息公开工作年度报告"
    write_reports(tmp_path / "in", records)
    db = tmp_path / "c.db"
    code = (
        "import sys; from ogi.corpus import Corpus; from ogi.corpus import ingest as m; m.BatchWriter.SIZE = 16; "
        "m.ingest(Corpus(sys.argv[1]), [sys.argv[2]], workers=2, progress=False)"
    )
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src"))
    proc = subprocess.Popen([sys.executable, "-c", code, str(db), str(tmp_path / "in")], env=env)
    deadline = time.time() + 120
    with Corpus(db) as corpus:
        # Each copy has its own organ (the same tables under one organ would be one report with three sources).
        while corpus.count(versions=True) < 20 and time.time() < deadline and proc.poll() is None:
            time.sleep(0.05)
        workers = children(proc.pid)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        partial = corpus.count(versions=True)
        assert 0 < partial < 150, "the run should have been killed half-way"
        assert workers, "the run should have had worker processes"
        assert wait_gone(workers), "workers outlived their killed parent"
        _check_whole(corpus)
        summary = ingest(corpus, [str(tmp_path / "in")], workers=2, progress=False)
        assert summary.skipped >= partial and summary.failed == 0
        assert corpus.count(versions=True) == 150 and corpus.count() == 150
        _check_whole(corpus)
        with corpus.engine.connect() as conn:
            assert conn.execute(sa.text("select count(distinct sha256) from reports")).scalar() == 150
            assert conn.execute(sa.text("select count(*) from reports where stale")).scalar() == 0
        assert [r["status"] for r in corpus.runs()] == ["interrupted", "done"]  # the killed run was ended


def children(pid: int) -> list[int]:
    """Child processes of ``pid`` (Linux /proc)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def wait_gone(pids: list[int], seconds: float = 10) -> bool:
    deadline = time.time() + seconds
    while time.time() < deadline:
        alive = [p for p in pids if Path(f"/proc/{p}").exists() and "Z" not in _state(p)]
        if not alive:
            return True
        time.sleep(0.1)
    return False


def _state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return "Z"


def _check_whole(corpus: Corpus) -> None:
    """Every stored report is complete: its cells row with all its format's cells, six sections, its figures row."""
    with corpus.engine.connect() as conn:
        rows = conn.execute(
            sa.text(
                "select r.id, r.template, (select count(*) from cells c where c.report_id = r.id),"
                " (select count(*) from sections s where s.report_id = r.id),"
                " (select count(*) from figures f where f.report_id = r.id) from reports r"
            )
        ).all()
    for report_id, template, n_cells, n_sections, n_figures in rows:
        assert (n_cells, n_sections, n_figures) == (1, 6, 1)
        assert set(corpus.get(report_id).cells) == set(forms.keys(template))


def test_new_parser_version_reparses(tmp_path, records):
    write_reports(tmp_path / "in", records[:3])
    with Corpus(tmp_path / "c.db") as corpus:
        ingest(corpus, [str(tmp_path / "in")], workers=1, progress=False)
        ids = sorted(r.id for r in corpus.reports())
        with corpus.engine.begin() as conn:  # as if an older parser had stored them
            conn.execute(sa.text("update reports set parser_version = '0.old'"))
        summary = ingest(corpus, [str(tmp_path / "in")], workers=1, progress=False)
        assert (summary.added, summary.reparsed) == (0, 3)
        assert sorted(r.id for r in corpus.reports()) == ids
        assert {r.parser_version for r in corpus.reports()} == {pipeline.PARSER_VERSION}


def test_cli_ingest(tmp_path, records):
    from typer.testing import CliRunner

    from ogi.cli import app

    write_reports(tmp_path / "in", records[:2])
    (tmp_path / "in" / "empty.txt").write_bytes(b"")
    result = CliRunner().invoke(app, ["ingest", str(tmp_path / "in"), "--db", str(tmp_path / "c.db"), "-q"])
    assert result.exit_code == 2  # one file failed
    assert "新增 2" in result.stdout and "失败 1" in result.stdout
