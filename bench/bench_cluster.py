"""The Dask run (issue #12) against one process on the same files, then the load into a corpus.

    python bench/bench_cluster.py --n 2000 [--workers 2] [--db URL]

Generates N text reports (distinct organs × years, the generator of ogi.render), then measures, in one run:
  - single process: ``ogi.pipeline.parse`` on every file, reports/s (the baseline)
  - LocalCluster (``--workers`` processes, one thread each): ``ogi ingest --cluster`` into a Parquet dataset,
    reports/s from submission to the last manifest entry (scheduler start-up excluded, worker imports included),
    the ratio to the baseline, each worker's peak memory and the dataset's size on disk
  - ``ogi load`` of that dataset into SQLite (or ``--db``), the cross-year pass included, and a second load
    (nothing to add).
Needs the extra ``ogi[cluster]``.
"""

from __future__ import annotations

import argparse
import random
import resource
import shutil
import tempfile
import time
from pathlib import Path

from distributed import Client, LocalCluster

from ogi import cluster
from ogi.corpus import Corpus
from ogi.pipeline import batch_mode, parse
from ogi.read import read_file
from ogi.render import LAYOUTS, make_record, render_text

PROVINCES = ("浙江省", "江苏省", "甘肃省", "广东省", "四川省")
DEPTS = ("教育局", "财政局", "交通运输局", "卫生健康委员会", "人力资源和社会保障局")


def generate(folder: Path, n: int, seed: int = 1) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    years = (2019, 2020, 2021, 2022, 2023)
    for i in range(n):
        year, o = years[i % 5], i // 5
        organ = f"{PROVINCES[o % 5]}示例{o // 5 % 20}市第{o % 100}县{DEPTS[o // 100 % len(DEPTS)]}{o // 500 or ''}"
        record = make_record(rng, "2019" if year <= 2020 else "2021", year, organ, blanks=0.05)
        text = render_text(record, LAYOUTS[i % len(LAYOUTS)], seed=i)
        (folder / f"{i:06d}.txt").write_text(text, encoding="utf-8")


def peak_rss_mb() -> float:
    """This process's peak resident memory (run on each worker)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def warm_up(path: str) -> None:
    """Import the parser and load its tables on a worker (what its first batch would otherwise pay)."""
    cluster.parse_batch([path])


def size_mb(folder: Path) -> float:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) / 2**20


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--batch", type=int, default=None, help="reports a task (default: as ogi ingest --cluster)")
    parser.add_argument("--db", default=None, help="corpus URL for the load (default: a fresh SQLite file)")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="ogi-bench-cluster-"))
    try:
        inputs = work / "in"
        generate(inputs, args.n)
        files = sorted(str(p) for p in inputs.iterdir())
        print(f"{args.n} generated text reports, {size_mb(inputs):.1f} MB")

        start = time.perf_counter()
        batch_mode()
        for path in files:
            parse(read_file(path), path)
        single = args.n / (time.perf_counter() - start)
        print(f"single process parse: {single:.0f} reports/s")

        with (
            LocalCluster(n_workers=args.workers, threads_per_worker=1, dashboard_address=":0") as lc,
            Client(lc) as client,
        ):
            start = time.perf_counter()
            client.run(warm_up, files[0])
            warm_s = time.perf_counter() - start
            start = time.perf_counter()
            summary = cluster.to_dataset([str(inputs)], work / "ds", client, batch_size=args.batch)
            elapsed = time.perf_counter() - start
            peaks = client.run(peak_rss_mb)
            again = time.perf_counter()
            rerun = cluster.to_dataset([str(inputs)], work / "ds", client, batch_size=args.batch)
            rerun_s = time.perf_counter() - again
        rate = summary.reports / elapsed
        print(
            f"LocalCluster {args.workers} workers → Parquet: {summary.reports} reports, {summary.failed} failed, "
            f"{elapsed:.1f} s, {rate:.0f} reports/s = {rate / single:.2f} × single process"
        )
        print(f"worker start-up (imports, tables; once a worker, before the timed run): {warm_s:.1f} s")
        print("peak memory per worker: " + ", ".join(f"{mb:.0f} MB" for mb in peaks.values()))
        print(f"dataset: {size_mb(work / 'ds'):.1f} MB on disk")
        print(f"re-run over the finished dataset: {rerun.skipped} skipped in {rerun_s:.2f} s")

        db = args.db or str(work / "corpus.db")
        with Corpus(db) as corpus:
            start = time.perf_counter()
            loaded = cluster.load(work / "ds", corpus)
            load_s = time.perf_counter() - start
            start = time.perf_counter()
            twice = cluster.load(work / "ds", corpus)
            twice_s = time.perf_counter() - start
        print(
            f"load into {'the given database' if args.db else 'SQLite'} (cross-year pass included): {loaded}, "
            f"{load_s:.1f} s, {loaded.added / load_s:.0f} reports/s"
        )
        print(f"second load: {twice} in {twice_s:.1f} s")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
