"""Text-report throughput and memory (issue #2): reports/s on one core, peak RSS as the batch grows,
and the floor — the same files only read and decoded — as a ratio.

    python bench/bench_text.py [--count 10000] [--out bench/out]

Generates ``count`` reports (both formats, every text layout, some traditional with pinyin) once into
``--out``, then times, in one process on one core: (1) read + decode only, (2) the full parse + audit.
Peak RSS is sampled after each tenth of the batch, so a leak shows as a rising column.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import sys
import time
from pathlib import Path

from ogi.model import OgiError
from ogi.pipeline import batch_mode, parse
from ogi.read import read
from ogi.render import LAYOUTS, make_record, render_text


def rss_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def generate(folder: Path, count: int) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    existing = sorted(folder.glob("*.txt"))
    if len(existing) >= count:
        return existing[:count]
    rng = random.Random(7)
    paths = []
    for i in range(count):
        year = 2019 + i % 5
        record = make_record(rng, "2019" if year <= 2020 else "2021", year, f"基准县第{i % 97}局")
        traditional = i % 10 == 0
        text = render_text(record, LAYOUTS[i % len(LAYOUTS)], traditional=traditional, pinyin=traditional, seed=i)
        path = folder / f"{i:06d}.txt"
        path.write_text(text, encoding="utf-8")
        paths.append(path)
    return paths


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--out", type=Path, default=Path("bench/out/text"))
    parser.add_argument(
        "--default-gc",
        action="store_true",
        help="leave Python's garbage collector as it is (batch commands call batch_mode())",
    )
    args = parser.parse_args()
    os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # one core, as the target is per core
    seeds_dir = Path(__file__).resolve().parents[2] / "shared" / "seeds"
    seeds = sorted(seeds_dir.glob("*.txt")) if seeds_dir.is_dir() else []
    t = time.perf_counter()
    paths = generate(args.out, args.count)
    print(f"generated/loaded {len(paths)} reports in {time.perf_counter() - t:.1f}s; seeds: {len(seeds)}")
    files = seeds * 200 + paths
    if not args.default_gc:
        batch_mode()  # as `ogi check`/`ogi parse` over many files and the ingest workers do
    size = sum(p.stat().st_size for p in files)

    t = time.perf_counter()
    for p in files:
        read(p)
    floor = time.perf_counter() - t

    marks = []
    failures = 0
    t = time.perf_counter()
    step = max(1, len(files) // 10)
    for i, p in enumerate(files, 1):
        try:
            parse(p)
        except OgiError:
            failures += 1
        if i % step == 0:
            marks.append(round(rss_mb()))
    full = time.perf_counter() - t
    n = len(files)
    print(
        f"files: {n} ({size / 1e6:.1f} MB; {len(seeds) * 200} seed parses + {len(paths)} generated), failures: {failures}"
    )
    print(f"read+decode only: {n / floor:,.0f} reports/s/core ({floor:.2f}s)")
    print(f"full parse+audit: {n / full:,.0f} reports/s/core ({full:.2f}s, {1000 * full / n:.2f} ms/report)")
    print(f"ratio full/floor: {full / floor:.1f}x")
    print(f"RSS MB after each tenth of the batch: {marks}")
    print(f"python {sys.version.split()[0]}; garbage collector: {'default' if args.default_gc else 'batch_mode()'}")


if __name__ == "__main__":
    main()
