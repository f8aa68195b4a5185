"""The Dask run (issue #12) against one process on the same files; the cross-year pass, the stats and the load.

    python bench/bench_cluster.py --n 2000 [--workers 2] [--db URL] [--ingest] [--crossyear] [--stats] [--cost]
                                  [--kinds text,html,docx,pdf] [--inputs DIR] [--sample N]
    python bench/bench_cluster.py --n 100000 --kinds text:12,html:10,docx:2,pdf:1 --inputs /big/in --sample 20000
                                  --ingest --crossyear --db postgresql://…   the national-scale run (about 75 min
                                  on 2 cores, half of it making the files)
    python bench/bench_cluster.py --stats-of DATASET       only the stats over an existing dataset
    python bench/bench_cluster.py --n 5000 --batch 20 --keep DS   make a dataset of many small files, kept in DS
    python bench/bench_cluster.py --compact-of DATASET     the stats before and after ``ogi compact`` of an existing
                                                           dataset (compacted in place), and the compaction itself

Generates N reports (text, or the kinds given in turn) (N/5 organs × 5 consecutive years, the generator of ogi.render;
in parallel, not timed; into ``--inputs`` to keep them for another run, where they are made only once), then measures,
in one run:
  - single process: ``ogi.pipeline.parse`` on every file (or on ``--sample`` of them, drawn at random), reports/s
    (the baseline)
  - ``--ingest``: single-process ``ogi ingest -j 1`` of the same files into a fresh SQLite corpus, reports/s
  - LocalCluster (``--workers`` processes, one thread each): ``ogi ingest --cluster`` into a Parquet dataset,
    reports/s from submission to the last manifest entry (scheduler start-up and worker imports excluded), the
    ratio to each baseline, each worker's peak memory and the dataset's size on disk (per table)
  - ``--crossyear``: ``ogi crossyear`` over the dataset on the cluster, then again (nothing changed: skipped)
  - ``--stats``: ``ogi stats --dataset`` on the cluster and in this process: totals of a key by year and province,
    the rates by year, findings by rule, and the rates of one year (the other years' partitions never read)
  - ``--cost``: the per-file cost of the Dask path in one process, CPU ms a report (best of 3): the bare parse,
    ``parse_batch`` (parse + record JSON, organ, figures, long-form cells) and the Parquet write of its tables
  - ``ogi load`` of that dataset into SQLite (or ``--db``), the corpus's cross-year pass included, and a second load
    (nothing to add).
Needs the extra ``ogi[cluster]``.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

from distributed import Client

from ogi import cluster
from ogi.cluster import dataset
from ogi.corpus import Corpus
from ogi.pipeline import batch_mode, parse
from ogi.read import read_file
from ogi.render import make_record

sys.path.insert(0, str(Path(__file__).parent))

from bench_ingest import KINDS_HELP, describe_mix, file_name, kind_cycle, write_report  # noqa: E402

PROVINCES = ("浙江省", "江苏省", "甘肃省", "广东省", "四川省")
DEPTS = ("教育局", "财政局", "交通运输局", "卫生健康委员会", "人力资源和社会保障局")


def _generate_range(folder: Path, start: int, stop: int, seed: int, kinds: tuple[str, ...]) -> None:
    if (folder / file_name(stop - 1, kinds[(stop - 1) % len(kinds)])).exists():
        return  # made by an earlier, interrupted run (a range's files are written in order)
    rng = random.Random(seed * 1_000_003 + start)  # each range its own stream: the same files whatever the pool
    years = (2019, 2020, 2021, 2022, 2023)
    for i in range(start, stop):
        year, o = years[i % 5], i // 5
        organ = f"{PROVINCES[o % 5]}示例{o // 5 % 20}市第{o % 100}县{DEPTS[o // 100 % len(DEPTS)]}{o // 500 or ''}"
        record = make_record(rng, "2019" if year <= 2020 else "2021", year, organ, blanks=0.05)
        write_report(folder, i, record, kinds[i % len(kinds)])


def generate(folder: Path, n: int, seed: int = 1, kinds: tuple[str, ...] = ("text",)) -> None:
    """N reports, the i-th in ``kinds[i % len(kinds)]`` (text, html, docx, pdf: ogi.render's renderers), made by
    one process a core in ranges of 1,000; the ranges an interrupted run finished are kept."""
    from concurrent.futures import ProcessPoolExecutor

    folder.mkdir(parents=True, exist_ok=True)
    step = 1000
    with ProcessPoolExecutor(os.cpu_count()) as pool:
        for done, _ in enumerate(
            pool.map(
                _generate_range,
                *zip(*((folder, a, min(a + step, n), seed, kinds) for a in range(0, n, step))),
            ),
            1,
        ):
            if done % 10 == 0:
                print(f"  … {done * step} generated", flush=True)


def peak_rss_mb() -> float:
    """This process's peak resident memory (run on each worker)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def cpu_seconds() -> float:
    """CPU time this process has used, its threads included (run on each worker): what a run costs a worker,
    whoever else shares the machine."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def warm_up(paths: list[str]) -> None:
    """Import the parser and load its tables on a worker (what its first batch would otherwise pay)."""
    cluster.parse_batch(paths)


def size_mb(folder: Path) -> float:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) / 2**20


def _every_minute():
    """A progress callback of ``to_dataset`` printing a line a minute: a long run shows it is alive."""
    last = [time.monotonic()]

    def report(done: int, total: int) -> None:
        if time.monotonic() - last[0] > 60 or done == total:
            last[0] = time.monotonic()
            print(f"  … {done}/{total} parsed on the cluster", flush=True)

    return report


# The stats' questions the benches time: (label, function, its arguments after the dataset, its keywords).
QUESTIONS = (
    ("totals t3.new.total by year,province", cluster.totals, ("t3.new.total", ("year", "province")), {}),
    ("rates by year", cluster.rates, (("year",),), {}),
    ("findings by rule", cluster.findings_by_rule, ((),), {}),
    ("rates of 2021 by province (pruned)", cluster.rates, (("province",),), {"years": [2021]}),
)


def time_stats(dest: Path, client: Client) -> None:
    """The stats over a dataset, on the cluster and in this process: four questions, one pruned to a year."""
    for where, on in (("cluster", client), ("this process", None)):
        for label, function, positional, keywords in QUESTIONS:
            rows, seconds = timed(function, dest, *positional, client=on, **keywords)
            print(f"stats on {where}: {label}: {len(rows)} rows in {seconds:.2f} s", flush=True)


def count_files(dest: Path) -> dict[str, int]:
    """Parquet files a table of the dataset, those of unfinished batches included (what a reader lists)."""
    return {p.name: len(list(p.rglob("*.parquet"))) for p in sorted(dest.iterdir()) if p.is_dir() and p.name != "_done"}


def time_compaction(dest: Path, client: Client) -> None:
    """The stats before and after the dataset is compacted (in place), in this process (where a file's opening
    cost is not hidden behind the workers), and the compaction on the cluster; the answers must be the same."""
    cluster.cross_year(dest, client)  # the stats run it first otherwise: timed apart from both
    answers: dict[str, list] = {}
    for when in ("before", "after"):
        if when == "after":
            result, seconds = timed(cluster.compact, dest, client)
            print(f"compaction on the cluster: {result} — {seconds:.2f} s", flush=True)
        files = count_files(dest)
        print(f"{when}: {sum(files.values())} files ({', '.join(f'{k} {v}' for k, v in files.items())})")
        for where, on in (("this process", None), ("cluster", client)):
            for label, function, positional, keywords in QUESTIONS:
                rows, seconds = timed(function, dest, *positional, client=on, **keywords)
                print(f"  {when}, stats on {where}: {label}: {len(rows)} rows in {seconds:.2f} s", flush=True)
                if answers.setdefault(label, rows) != rows:
                    raise SystemExit(f"{label}: the answers differ after compaction")
    print("the answers are the same before and after")


def timed(function, *args, **kwargs):
    start = time.perf_counter()
    result = function(*args, **kwargs)
    return result, time.perf_counter() - start


def per_file_cost(files: list[str], out: Path) -> None:
    """CPU ms a report, best of 3 rounds (the machine is shared: CPU time, not wall time); ``parse_batch`` over
    all the files as one batch (up to 500: what ``to_dataset`` gives a task)."""
    batch_mode()
    cluster.parse_batch(files[:5])
    best = {"parse": float("inf"), "parse_batch": float("inf"), "write": float("inf")}
    for round_ in range(3):
        start = time.process_time()
        for path in files:
            parse(read_file(path), path)
        best["parse"] = min(best["parse"], time.process_time() - start)
        start = time.process_time()
        tables = cluster.parse_batch(files)
        best["parse_batch"] = min(best["parse_batch"], time.process_time() - start)
        start = time.process_time()
        dataset._write_tables(str(out / str(round_)), "cost", tables)
        best["write"] = min(best["write"], time.process_time() - start)
    ms = {k: v / len(files) * 1000 for k, v in best.items()}
    whole = ms["parse_batch"] + ms["write"]
    print(
        f"per-file cost, {len(files)} files, CPU ms a report: parse {ms['parse']:.2f}, parse_batch "
        f"{ms['parse_batch']:.2f} (+{ms['parse_batch'] - ms['parse']:.2f}), Parquet write {ms['write']:.2f}; "
        f"the Dask path = {whole / ms['parse']:.2f} × a bare parse"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--batch", type=int, default=None, help="reports a task (default: as ogi ingest --cluster)")
    parser.add_argument("--db", default=None, help="corpus URL for the load (default: a fresh SQLite file)")
    parser.add_argument("--ingest", action="store_true", help="also time single-process ogi ingest -j 1")
    parser.add_argument("--crossyear", action="store_true", help="time the cross-year pass on the cluster")
    parser.add_argument("--stats", action="store_true", help="time the stats over the dataset")
    parser.add_argument("--cost", action="store_true", help="the Dask path's per-file cost in one process")
    parser.add_argument("--no-load", action="store_true", help="skip the load into a corpus")
    parser.add_argument(
        "--kinds",
        default="text",
        help=KINDS_HELP,
    )
    parser.add_argument("--inputs", help="folder of the generated files, kept (made once, reused by the next run)")
    parser.add_argument(
        "--sample", type=int, help="the single-process baselines on this many of the files, drawn at random"
    )
    parser.add_argument("--stats-of", metavar="DATASET", help="only time the stats over this existing dataset")
    parser.add_argument(
        "--compact-of", metavar="DATASET", help="only time the stats before and after compacting this dataset"
    )
    parser.add_argument("--keep", metavar="DIR", help="keep the dataset made here (a new folder)")
    args = parser.parse_args()
    if args.stats_of or args.compact_of:
        with cluster.local_cluster(args.workers) as lc, Client(lc) as client:
            if args.stats_of:
                time_stats(Path(args.stats_of), client)
            else:
                time_compaction(Path(args.compact_of), client)
        return

    work = Path(tempfile.mkdtemp(prefix="ogi-bench-cluster-"))
    try:
        inputs = Path(args.inputs) if args.inputs else work / "in"
        kinds = kind_cycle(args.kinds)
        _, gen_s = timed(generate, inputs, args.n, kinds=kinds)
        files = sorted(str(p) for p in inputs.iterdir())
        print(
            f"{args.n} generated reports ({describe_mix(kinds)}; {args.n // 5} organs × 5 years), {size_mb(inputs):.1f} MB"
            f" (made in {gen_s:.0f} s, not counted)",
            flush=True,
        )
        if args.cost:
            per_file_cost(files[: min(len(files), 500)], work / "cost")

        # The baselines over a random sample when asked: the same mix of kinds, in a fraction of the time.
        baseline = sorted(random.Random(0).sample(files, args.sample)) if args.sample else files
        start, cpu = time.perf_counter(), time.process_time()
        batch_mode()
        by_kind: dict[str, list[float]] = {}
        for path in baseline:
            one = time.process_time()
            parse(read_file(path), path)
            by_kind.setdefault(Path(path).suffix, []).append(time.process_time() - one)
        single = len(baseline) / (time.perf_counter() - start)
        single_cpu = len(baseline) / (time.process_time() - cpu)  # reports a CPU second
        print(
            f"single process parse of {len(baseline)} files: {single:.1f} reports/s ({1000 / single_cpu:.2f} CPU ms a "
            "report)",
            flush=True,
        )
        print(
            "  CPU ms a report by kind: "
            + ", ".join(f"{k} {sum(v) * 1000 / len(v):.2f} ({len(v)} files)" for k, v in sorted(by_kind.items())),
            flush=True,
        )
        ingest_rate = None
        if args.ingest:
            from ogi.corpus.ingest import ingest

            listed = work / "sample.txt"
            listed.write_text("\n".join(baseline), encoding="utf-8")
            with Corpus(work / "single.db") as corpus:
                done, seconds = timed(ingest, corpus, [f"@{listed}"], workers=1, keep_source=False, progress=False)
            ingest_rate = done.added / seconds
            print(
                f"single process ogi ingest -j 1 into SQLite of the same {len(baseline)} files: {done.added} reports, "
                f"{ingest_rate:.1f} reports/s",
                flush=True,
            )

        dest = work / "ds"
        with cluster.local_cluster(args.workers) as lc, Client(lc) as client:  # as ogi ingest --cluster local
            _, warm_s = timed(client.run, warm_up, files[:5])  # a report of each year: its divisions loaded
            before = client.run(cpu_seconds)
            summary, elapsed = timed(
                cluster.to_dataset, [str(inputs)], dest, client, batch_size=args.batch, progress=_every_minute()
            )
            after = client.run(cpu_seconds)
            peaks = client.run(peak_rss_mb)
            rerun, rerun_s = timed(cluster.to_dataset, [str(inputs)], dest, client, batch_size=args.batch)
            rate = summary.reports / elapsed
            versus = f" = {rate / single:.2f} × single-process parse"
            if ingest_rate:
                versus += f", {rate / ingest_rate:.2f} × single-process ingest"
            print(
                f"LocalCluster {args.workers} workers → Parquet: {summary.reports} reports, {summary.failed} failed, "
                f"{elapsed:.1f} s, {rate:.0f} reports/s{versus}"
            )
            worker_ms = sum(after[w] - before[w] for w in after) / max(summary.reports, 1) * 1000
            print(
                f"workers' CPU a report: {worker_ms:.2f} ms = {worker_ms / (1000 / single_cpu):.2f} × a single-process "
                "parse's CPU (independent of what else runs on the machine)"
            )
            print(f"worker start-up (imports, tables; once a worker, before the timed run): {warm_s:.1f} s")
            print("peak memory per worker (parse): " + ", ".join(f"{mb:.0f} MB" for mb in peaks.values()))
            tables = ", ".join(f"{p.name} {size_mb(p):.1f}" for p in sorted(dest.iterdir()) if p.is_dir())
            print(f"dataset: {size_mb(dest):.1f} MB on disk ({tables} MB)")
            print(f"re-run over the finished dataset: {rerun.skipped} skipped in {rerun_s:.2f} s")
            if args.crossyear:
                passed, pass_s = timed(cluster.cross_year, dest, client)
                again, again_s = timed(cluster.cross_year, dest, client)
                peaks = client.run(peak_rss_mb)
                print(
                    f"cross-year pass on the cluster: {passed} — {pass_s:.1f} s, {passed.reports / pass_s:.0f} reports/s"
                )
                print(f"  again, dataset unchanged: skipped={again.skipped} in {again_s:.2f} s")
                print(
                    "  peak memory per worker (parse and pass): " + ", ".join(f"{mb:.0f} MB" for mb in peaks.values())
                )
            if args.stats:
                time_stats(dest, client)

        if not args.no_load:
            db = args.db or str(work / "corpus.db")
            with Corpus(db) as corpus:
                loaded, load_s = timed(cluster.load, dest, corpus)
                twice, twice_s = timed(cluster.load, dest, corpus)
            print(
                f"load into {'the given database' if args.db else 'SQLite'} (cross-year pass included): {loaded}, "
                f"{load_s:.1f} s, {loaded.added / load_s:.0f} reports/s"
            )
            print(f"second load: {twice} in {twice_s:.1f} s")
        if args.keep:
            shutil.move(dest, args.keep)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
