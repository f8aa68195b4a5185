"""Ingest and stats benchmark (issue #4): reports/s, peak memory, database size, stats query times.

    python bench/bench_ingest.py --n 5000                 generate N text reports, `ogi ingest` them; the
                                                          parse-only rate of the same workers, the ingest
                                                          rate as a ratio of it, and a re-run (files/s)
    python bench/bench_ingest.py --n 10000 --pg postgresql://…   the same into PostgreSQL too (its tables
                                                          are dropped first: use a database of its own)
    python bench/bench_ingest.py --n 100000 --mode records  store generated records directly (no parsing):
                                                          what the store alone sustains, and a big corpus
    python bench/bench_ingest.py --n 2000 --kinds text:12,html:10,docx:2,pdf:1   the same over a mix of kinds
    python bench/bench_ingest.py --db big.db --queries    only time the stats queries on an existing corpus
    python bench/bench_ingest.py --n 2000 --steps         CPU of each step of an ingest in one process, against the
                                                          parse: what ingest adds, and what a ratio to parse-only allows
    python bench/bench_ingest.py --mode records --n 100000 --db postgresql://…   the store alone, into PostgreSQL
    python bench/bench_ingest.py --mode records --n 1000000 --distinct 5000 --no-refresh --db postgresql://…
                                                          a million reports (copies of 5,000 generated ones under
                                                          200,000 organs), then the stats queries timed

Reports come from ogi.render's generator: N/5 organs in 100 counties, years 2019–2023, every text
layout. Generation is not timed. Figures go in the closing note, not in asserts.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import shutil
import tempfile
import threading
import time
from pathlib import Path

from ogi.corpus import Corpus
from ogi.render import LAYOUTS, RENDERERS, RenderOptions, make_record, render_text

PROVINCES = ("浙江省", "江苏省", "甘肃省", "广东省", "四川省")
DEPTS = (
    "教育局",
    "财政局",
    "人民政府",
    "交通运输局",
    "民政局",
    "市场监督管理局",
    "卫生健康委员会",
    "人力资源和社会保障局",
)


def organ_name(i: int) -> str:
    county = f"{PROVINCES[i % 5]}示例{i // 5 % 20}市第{i % 100}县"
    return f"{county}{DEPTS[i // 100 % len(DEPTS)]}{i // 800 or ''}"


def records(n: int, seed: int = 1):
    rng = random.Random(seed)
    years = (2019, 2020, 2021, 2022, 2023)
    for i in range(n):
        year = years[i % 5]
        r = make_record(rng, "2019" if year <= 2020 else "2021", year, organ_name(i // 5), blanks=0.05)
        yield i, r


def rss_mb() -> float:
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("VmRSS")) / 1024


class Sampler(threading.Thread):
    """Samples the main process's RSS every second: a flat curve means memory does not grow with N."""

    def __init__(self):
        super().__init__(daemon=True)
        self.samples: list[float] = []
        self.stop = threading.Event()

    def run(self):
        while not self.stop.wait(1.0):
            self.samples.append(rss_mb())


def cpu_seconds() -> tuple[float, float]:
    """CPU time so far of this process and of its finished children (the workers): where the time goes."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime, children.ru_utime + children.ru_stime


def db_size(db: str | Path) -> float:
    """MB on disk: the SQLite file with its WAL, or the PostgreSQL database."""
    if "://" in str(db):
        import sqlalchemy as sa

        from ogi.corpus import database_url

        engine = sa.create_engine(database_url(str(db)))
        with engine.connect() as conn:
            size = conn.exec_driver_sql("SELECT pg_database_size(current_database())").scalar_one()
        engine.dispose()
        return size / 2**20
    path = Path(db)
    return sum(p.stat().st_size for p in path.parent.glob(path.name + "*")) / 2**20


def file_name(i: int, kind: str) -> str:
    return f"{i:06d}.{'txt' if kind == 'text' else kind}"


def write_report(folder: Path, i: int, record, kind: str) -> None:
    """The i-th generated report as a file of ``kind``: text in the i-th layout, or HTML, DOCX, PDF (ogi.render)."""
    if kind == "text":
        text = render_text(record, LAYOUTS[i % len(LAYOUTS)], seed=i)
        (folder / file_name(i, kind)).write_text(text, encoding="utf-8")
    else:
        (folder / file_name(i, kind)).write_bytes(RENDERERS[kind].write(record, RenderOptions(seed=i)))


def generate_files(folder: Path, n: int, kinds: tuple[str, ...] = ("text",)) -> None:
    """The i-th report as ``kinds[i % len(kinds)]``."""
    folder.mkdir(parents=True, exist_ok=True)
    for i, r in records(n):
        write_report(folder, i, r, kinds[i % len(kinds)])


KINDS_HELP = "the kinds the files cycle through, text,html,docx,pdf; with weights text:12,html:10,docx:2,pdf:1"


def kind_cycle(spec: str) -> tuple[str, ...]:
    """ "text,html,docx,pdf" (one each in turn) or with weights, "text:12,html:10,docx:2,pdf:1": the kinds in the
    order the files take them, interleaved (smooth weighted round robin) so that an organ's years differ in kind."""
    weights = {}
    for part in spec.split(","):
        name, _, weight = part.strip().partition(":")
        if name:
            weights[name] = int(weight or 1)
    whole = sum(weights.values())
    current = dict.fromkeys(weights, 0)
    out = []
    for _ in range(whole):
        for name, weight in weights.items():
            current[name] += weight
        chosen = max(current, key=current.__getitem__)
        current[chosen] -= whole
        out.append(chosen)
    return tuple(out)


def describe_mix(kinds: tuple[str, ...]) -> str:
    """ "text 12/25, html 10/25, …": the share of each kind, for the report of a run."""
    return ", ".join(f"{k} {kinds.count(k)}/{len(kinds)}" for k in dict.fromkeys(kinds))


def clone(prep, i: int):
    """A prepared report as another organ's, another year's, with its own sha256 (records mode, ``--distinct``):
    a million-report corpus from a few thousand parsed ones, the same mix of values, findings and blanks."""
    import dataclasses

    from ogi.corpus.organs import organ_key

    name = organ_name(i // 5)
    year = 2019 + i % 5  # each copy its own organ-year: never taken for another file of a stored report
    report = prep.report | {"sha256": f"{i:064x}", "source": f"clone-{i}", "organ_name": name, "year": year}
    return dataclasses.replace(prep, sha256=report["sha256"], report=report, organ_name=name, organ_key=organ_key(name))


def _parse_only(path: str) -> int:
    from ogi.pipeline import parse
    from ogi.read import read_file

    return len(parse(read_file(path), path).cells)


def parse_only(folder: Path, workers: int) -> float:
    """Reports/s of the same worker pool as the ingest, parsing and dropping each record: the ceiling."""
    from ogi.corpus.ingest import expand
    from ogi.pipeline import batch_mode
    from ogi.pool import TICK, Pool

    items = list(expand([str(folder)]))
    start = time.perf_counter()
    with Pool(_parse_only, workers, init=batch_mode) as pool:
        done = sum(1 for item, _ in pool.run(items) if item is not TICK)
    return done / (time.perf_counter() - start)


def step_costs(folder: Path) -> None:
    """CPU per report of each step an ingest adds to a parse, measured one step at a time in this process over
    the same files (no workers, no contention): the floor of what an ingest costs beside the parse, and how it
    compares with what a ratio to the parse-only rate leaves (two workers on two cores share the same CPU)."""
    import hashlib
    import pickle

    from ogi.corpus.ingest import expand
    from ogi.corpus.rows import cell_tuple, cell_values, compress_source, pack_cells, prepare
    from ogi.crossyear import fingerprint
    from ogi.figures import figures_row
    from ogi.pipeline import batch_mode, parse
    from ogi.read import read_file

    items = list(expand([str(folder)]))
    data = [read_file(item) for item in items]
    batch_mode()
    n = len(items)
    costs: dict[str, float] = {}

    def timed(name: str, step, *columns):
        start = time.process_time()
        out = list(map(step, *columns))
        costs[name] = (time.process_time() - start) * 1000 / n
        return out

    records = timed("parse (read, normalise, locate, extract, audit)", parse, data, items)
    shas = timed("  sha256 of the file", lambda d: hashlib.sha256(d).hexdigest(), data)
    for record, sha in zip(records, shas):
        record.meta.sha256 = sha
    timed("  derived figures (figures_row)", figures_row, records)
    timed("  narrative fingerprint", fingerprint, records)
    timed(
        "  cells packed, value columns",
        lambda r: (pack_cells([cell_tuple(c) for c in r.cells.values()]), cell_values(r.cells)),
        records,
    )
    timed("  source compressed (compress_source)", compress_source, data)
    prepared = timed("prepare, all of it (in the workers)", prepare, records, data)
    answers = timed(
        "to the main process (pickle, unpickle)",
        lambda p, i: pickle.loads(pickle.dumps(("parsed", i, p.sha256, p), 5)),
        prepared,
        items,
    )
    with tempfile.TemporaryDirectory(prefix="ogi-steps-") as tmp, Corpus(Path(tmp) / "steps.db") as corpus:
        # The first few untimed: what a run pays once (the table of divisions, compiled statements) is not a cost
        # a report.
        warm = 16
        corpus.add_many([answer[3] for answer in answers[:warm]], resumable=True)
        start = time.process_time()
        for at in range(warm, n, 256):
            corpus.add_many([answer[3] for answer in answers[at : at + 256]], resumable=True)
        costs["store into SQLite (add_many, batches of 256)"] = (time.process_time() - start) * 1000 / (n - warm)
        start = time.process_time()
        corpus.refresh()
        costs["cross-year pass (refresh)"] = (time.process_time() - start) * 1000 / n
    parse_ms = costs[next(iter(costs))]
    added = sum(ms for name, ms in costs.items() if not name.startswith(("parse", "  ")))
    for name, ms in costs.items():
        print(f"  {name:<52} {ms:6.3f} ms  {ms / parse_ms:5.2f}× parse")
    print(
        f"ingest adds {added:.2f} ms to a parse of {parse_ms:.2f} ms a report (indented: parts of the step below them)"
    )
    print(f"  at best, every core busy all the time, an ingest runs at {parse_ms / (parse_ms + added):.2f}× parse-only")
    print(f"  a ratio of 0.8 would leave {parse_ms / 4:.2f} ms a report for all of it")


def drop_all(url: str) -> None:
    import sqlalchemy as sa

    from ogi.corpus import database_url

    engine = sa.create_engine(database_url(url))
    with engine.begin() as conn:
        conn.exec_driver_sql("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
    engine.dispose()


def time_queries(corpus: Corpus) -> list[tuple[str, float, int]]:
    year = 2022
    queries = [
        ("totals t3.new.total by year", lambda: corpus.totals("t3.new.total", by=("year",))),
        ("totals t3.new.total by year,province", lambda: corpus.totals("t3.new.total", by=("year", "province"))),
        (
            "totals 3 keys by kind, one year",
            lambda: corpus.totals(["t3.new.total", "t3.granted.total", "t4.review.total"], by=("kind",), year=year),
        ),
        ("rates by year", lambda: corpus.rates(by=("year",))),
        ("rates by province, one year", lambda: corpus.rates(by=("province",), year=year)),
        ("ranking t3.new.total top 20", lambda: corpus.ranking("t3.new.total", 20)),
        ("ranking open_rate top 20, one year", lambda: corpus.ranking("open_rate", 20, year=year)),
        ("findings by rule", lambda: corpus.findings_by_rule()),
        ("findings by rule and year", lambda: corpus.findings_by_rule(by=("year",))),
        ("count year+province", lambda: [corpus.count(year=year, region="浙江省")]),
        ("list page (rule filter)", lambda: corpus.reports(rule="T3-BALANCE", limit=50)),
        ("get one report", lambda: [corpus.get(corpus.count() // 2)]),
    ]
    out = []
    for name, fn in queries:
        fn()  # warm the page cache once, as a server would be
        start = time.perf_counter()
        rows = fn()
        out.append((name, time.perf_counter() - start, len(rows)))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=2000)
    ap.add_argument("--mode", choices=("files", "records"), default="files")
    ap.add_argument("--workers", type=int, default=os.cpu_count())
    ap.add_argument("--db", help="SQLite path or database URL (records mode, --queries)")
    ap.add_argument("--queries", action="store_true", help="only time the stats queries on --db")
    ap.add_argument(
        "--steps", action="store_true", help="files mode: the CPU of each step of an ingest, in this process"
    )
    ap.add_argument("--keep", action="store_true", help="keep the generated files and database")
    ap.add_argument(
        "--distinct", type=int, help="records mode: generate this many reports, store the rest as copies of them"
    )
    ap.add_argument("--no-refresh", action="store_true", help="records mode: leave the cross-year pass out")
    ap.add_argument("--pg", help="also ingest into this PostgreSQL database (all its tables are dropped first)")
    ap.add_argument(
        "--kinds",
        default="text",
        help="files mode: " + KINDS_HELP,
    )
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="ogi-bench-"))
    db = args.db or work / "bench.db"
    if args.steps:
        kinds = kind_cycle(args.kinds)
        generate_files(work / "in", args.n, kinds)
        print(f"{args.n} generated reports ({describe_mix(kinds)}), each step over all of them:")
        step_costs(work / "in")
        shutil.rmtree(work, ignore_errors=True)
        return
    if not args.queries:
        ingest_once(args, work, db)
    with Corpus(db) as corpus:
        start = time.perf_counter()
        if corpus.summarise():  # PostgreSQL: the stored aggregates, when the data changed since they were built
            print(f"aggregates built in {time.perf_counter() - start:.1f} s")
        print(f"corpus: {corpus.count()} reports, {db_size(db):.0f} MB")
        for name, seconds, rows in time_queries(corpus):
            print(f"  {name:<40} {seconds * 1000:8.1f} ms  ({rows} rows)")
    if not args.keep and not args.db:
        shutil.rmtree(work, ignore_errors=True)


def ingest_once(args, work: Path, db: str | Path) -> None:
    from ogi.corpus.ingest import ingest

    sampler = Sampler()
    if args.mode == "files":
        start = time.perf_counter()
        kinds = kind_cycle(args.kinds)
        generate_files(work / "in", args.n, kinds)
        print(
            f"generated {args.n} reports ({describe_mix(kinds)}) in {time.perf_counter() - start:.0f} s (not counted)"
        )
        sampler.start()
        before = cpu_seconds()
        parse_rate = parse_only(work / "in", args.workers)
        main_cpu, workers_cpu = (b - a for a, b in zip(before, cpu_seconds()))
        print(f"  CPU per report: workers {workers_cpu * 1000 / args.n:.2f} ms, main {main_cpu * 1000 / args.n:.2f} ms")
        print(f"parse only ({args.workers} workers, results dropped): {parse_rate:.1f} reports/s")
        targets = [("SQLite", str(db))] + ([("PostgreSQL", args.pg)] if args.pg else [])
        for name, url in targets:
            if name == "PostgreSQL":
                drop_all(url)
            with Corpus(url) as corpus:
                before = cpu_seconds()
                summary = ingest(corpus, [str(work / "in")], workers=args.workers, keep_source=True, progress=False)
                main_cpu, workers_cpu = (b - a for a, b in zip(before, cpu_seconds()))
                print(f"ingest into {name}: {summary}")
                print(f"  ratio to parse only: {summary.per_second / parse_rate:.2f}")
                print(
                    f"  CPU per report: workers (parse + prepare) {workers_cpu * 1000 / args.n:.2f} ms, "
                    f"main (receive, store, cross-year) {main_cpu * 1000 / args.n:.2f} ms"
                )
                again = ingest(corpus, [str(work / "in")], workers=args.workers, keep_source=True, progress=False)
                print(f"  re-run over the stored folder: {again.total / again.seconds:.0f} files/s ({again})")
        seconds = summary.seconds
    else:
        from ogi.corpus.rows import prepare

        sampler.start()
        timing = {"generate": 0.0, "prepare": 0.0, "store": 0.0, "refresh": 0.0}
        distinct = args.distinct or args.n
        made: list = []
        generated = records(distinct)
        with Corpus(db) as corpus:
            batch = []
            last_tick = time.perf_counter()
            for i in range(args.n):
                t = time.perf_counter()
                if i < distinct:
                    _, r = next(generated)
                    r.meta.sha256 = f"{i:064x}"
                    r.parser_version = "bench"
                    made.append(prepare(r))  # done by the ingest workers in a real run
                    prep = made[-1]
                else:  # a copy of a generated report under another organ, year and sha256: the corpus grows
                    prep = clone(made[i % distinct], i)
                timing["prepare"] += time.perf_counter() - t
                batch.append(prep)
                if len(batch) == 512 or i == args.n - 1:
                    t = time.perf_counter()
                    corpus.add_many(batch)
                    timing["store"] += time.perf_counter() - t
                    batch = []
                if time.perf_counter() - last_tick > 60:
                    last_tick = time.perf_counter()
                    print(f"  … {i + 1} stored, {(i + 1) / timing['store']:.0f} reports/s of store time", flush=True)
            if not args.no_refresh:
                t = time.perf_counter()
                corpus.refresh()
                timing["refresh"] = time.perf_counter() - t
        seconds = timing["store"] + timing["refresh"]
        print(
            f"store only: {args.n} records: add {timing['store']:.1f} s + cross-year refresh {timing['refresh']:.1f} s "
            f"= {args.n / seconds:.0f} reports/s (prepare, done by workers: {timing['prepare'] * 1000 / args.n:.2f} ms/report)"
        )
    sampler.stop.set()
    peak_self = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    peak_children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    s = sampler.samples or [rss_mb()]
    quarter = max(1, len(s) // 4)
    print(
        f"reports/s: {args.n / seconds:.1f}; peak RSS main {peak_self:.0f} MB, largest worker {peak_children:.0f} MB; "
        f"main RSS first quarter {max(s[:quarter]):.0f} MB → last quarter {max(s[-quarter:]):.0f} MB"
    )
    print(f"database: {db_size(db):.0f} MB ({db_size(db) * 1024 / args.n:.1f} KB per report)")


if __name__ == "__main__":
    main()
