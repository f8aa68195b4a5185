"""The national run on Dask (issue #12): generated reports with known cells → cluster → Parquet → corpus."""

from __future__ import annotations

import importlib
import json
import os
import random
import signal
import threading
import time

import pytest

pytest.importorskip("distributed")

from distributed import Client, LocalCluster  # noqa: E402

from ogi import cluster  # noqa: E402
from ogi.corpus import Corpus  # noqa: E402
from ogi.model import State  # noqa: E402
from ogi.render import LAYOUTS, RENDERERS, RenderOptions, make_record  # noqa: E402

PLACES = ("浙江省丽水市缙云县", "甘肃省白银市会宁县", "江苏省泰州市高港区")
DEPTS = ("教育局", "财政局", "交通运输局", "卫生健康局")


def write_reports(folder, n: int, seed: int = 3) -> dict[str, dict]:
    """``n`` text reports of distinct organ × year; file name → the cells the generator gave it."""
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    made = {}
    for i in range(n):
        year = (2019, 2020, 2021, 2022)[i % 4]
        organ = PLACES[i // 4 % 3] + DEPTS[i // 12 % 4] + (str(i // 48) if i >= 48 else "")
        record = make_record(rng, "2019" if year <= 2020 else "2021", year, organ)
        name = f"r{i:03d}.txt"
        options = RenderOptions(layout=LAYOUTS[i % len(LAYOUTS)], seed=i)
        (folder / name).write_bytes(RENDERERS["text"].write(record, options))
        made[name] = {k: c.value for k, c in record.cells.items() if c.state == State.number}
    return made


@pytest.fixture(scope="module")
def threads():
    with (
        LocalCluster(n_workers=2, threads_per_worker=1, processes=False, dashboard_address=":0") as lc,
        Client(lc) as c,
    ):
        yield c


def test_cluster_run_end_to_end(tmp_path, threads):
    made = write_reports(tmp_path / "in", 24)
    (tmp_path / "in" / "broken.pdf").write_bytes(b"%PDF-1.4\n" + b"\x00garbage" * 20)
    dest = tmp_path / "ds"
    summary = cluster.to_dataset([str(tmp_path / "in")], dest, threads, batch_size=5)
    assert (summary.reports, summary.failed, summary.skipped) == (24, 1, 0)
    ((source, reason),) = summary.failures
    assert source.endswith("broken.pdf") and any("\u4e00" <= ch <= "\u9fff" for ch in reason)

    reports = cluster.read_table(dest, "reports").to_pylist()
    assert len({r["sha256"] for r in reports}) == 24
    assert {r["province"] for r in reports} == {"浙江省", "甘肃省", "江苏省"}
    assert {r["year"] for r in reports} == {2019, 2020, 2021, 2022}
    by_sha = {r["sha256"]: r["source"].rsplit("/", 1)[-1] for r in reports}
    cells = cluster.read_table(dest, "cells").to_pylist()
    for sha, name in by_sha.items():
        read = {c["key"]: c["value"] for c in cells if c["sha256"] == sha and c["state"] == "number"}
        assert read == {k: str(v) for k, v in made[name].items()}, name

    db = tmp_path / "corpus.db"
    with Corpus(db) as corpus:
        loaded = cluster.load(dest, corpus)
        assert (loaded.added, loaded.failures, loaded.errors) == (24, 1, [])
        assert corpus.count() == 24
        for sha, name in by_sha.items():
            record = corpus.get(corpus.report_id_of(sha))
            got = {k: c.value for k, c in record.cells.items() if c.state == State.number}
            assert got == made[name], name
        failures = corpus.failures()
        assert len(failures) == 1 and failures[0]["source"].endswith("broken.pdf")
        again = cluster.load(dest, corpus)
        assert (again.added, again.unchanged) == (0, 24)
        assert corpus.count() == 24 and len(corpus.failures()) == 1

    rerun = cluster.to_dataset([str(tmp_path / "in")], dest, threads, batch_size=5)
    assert (rerun.reports, rerun.failed, rerun.skipped) == (0, 0, 25)
    assert cluster.read_table(dest, "reports").num_rows == 24


def test_load_decodes_in_worker_processes_and_names_a_record_it_cannot_read(tmp_path, threads, monkeypatch):
    """``ogi load`` decodes the records in worker processes (here from the first report on); a record another
    program spoiled is an error naming its report, and the others are stored."""
    import pyarrow.parquet as pq

    loading = importlib.import_module("ogi.cluster.load")  # the module: ``ogi.cluster.load`` is also its function
    from ogi.cluster.dataset import table_files

    made = write_reports(tmp_path / "in", 12)
    dest = tmp_path / "ds"
    cluster.to_dataset([str(tmp_path / "in")], dest, threads, batch_size=4)
    first = table_files(dest, "reports")[0]
    table = pq.read_table(first)
    spoiled = table.column("sha256")[0].as_py()
    records = table.column("record").to_pylist()
    records[0] = json.dumps({"meta": {"sha256": spoiled}, "cells": 5})
    pq.write_table(table.set_column(table.schema.get_field_index("record"), "record", [records]), first)

    monkeypatch.setattr(loading, "PARALLEL_FROM", 0)
    with Corpus(tmp_path / "corpus.db") as corpus:
        loaded = cluster.load(dest, corpus, workers=2)
        assert (loaded.added, loaded.failures) == (11, 0)
        (error,) = loaded.errors
        assert error.startswith(spoiled) and "记录无法解码" in error
        by_name = {r["source"].rsplit("/", 1)[-1]: r["sha256"] for r in cluster.read_table(dest, "reports").to_pylist()}
        for name, sha in by_name.items():
            if sha == spoiled:
                assert corpus.report_id_of(sha) is None
                continue
            record = corpus.get(corpus.report_id_of(sha))
            assert {k: c.value for k, c in record.cells.items() if c.state == State.number} == made[name], name


def test_batch_without_manifest_is_parsed_again(tmp_path, threads):
    """A run killed between a batch's Parquet files and its manifest entry: those files go, the batch is redone."""
    write_reports(tmp_path / "in", 6)
    dest = tmp_path / "ds"
    cluster.to_dataset([str(tmp_path / "in")], dest, threads, batch_size=3)
    entries = sorted((dest / cluster.DONE).glob("*.json"))
    entries[0].unlink()
    assert cluster.read_table(dest, "reports").num_rows == 3
    rerun = cluster.to_dataset([str(tmp_path / "in")], dest, threads, batch_size=3)
    assert (rerun.reports, rerun.skipped) == (3, 3)
    shas = cluster.read_table(dest, "reports", ["sha256"]).column("sha256").to_pylist()
    assert len(shas) == len(set(shas)) == 6


def test_worker_killed_mid_run(tmp_path):
    """One worker process killed while the batches are out: the run (and a re-run) loses and duplicates nothing."""
    write_reports(tmp_path / "in", 40)
    dest = tmp_path / "ds"
    with (
        LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0") as lc,
        Client(lc) as client,
    ):
        pids = client.run(os.getpid)
        outcome = {}
        run = threading.Thread(
            target=lambda: outcome.setdefault(
                "summary", cluster.to_dataset([str(tmp_path / "in")], dest, client, batch_size=2)
            )
        )
        run.start()
        deadline = time.monotonic() + 30
        while not any(client.processing().values()) and time.monotonic() < deadline:
            time.sleep(0.01)
        finished_before_kill = len(list((dest / cluster.DONE).glob("*.json")))
        os.kill(next(iter(pids.values())), signal.SIGKILL)
        run.join(120)
        assert not run.is_alive()
        rerun = cluster.to_dataset([str(tmp_path / "in")], dest, client, batch_size=2)
    first = outcome["summary"]
    assert finished_before_kill < 20  # the worker died while batches were still out
    assert first.reports + rerun.reports == 40
    assert rerun.skipped + rerun.reports + rerun.failed == 40
    shas = cluster.read_table(dest, "reports", ["sha256"]).column("sha256").to_pylist()
    assert len(shas) == len(set(shas)) == 40
