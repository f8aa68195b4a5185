"""Crawler page text with the body on one line (damaged-reports §1, §2): how exactly it reads back.

    python bench/bench_damaged.py [--count 2016] [--seed 2026]

A generated corpus over every pattern of ``ogi.render.damage.PAGE_PATTERNS`` and both formats, each
report with known cells. Prints, overall and per pattern: cells exact (all, tables 3 and 4), WRONG
numbers (a number given that is not the source's: must be 0), the share of cells left unread with
candidates (and how often the true value is among them), error-severity findings on reports without
an injected error (must be 0), reports per second on one core, and the slowest report's time in the
table solver (repair.read_runs; budget 50 ms).
"""

from __future__ import annotations

import argparse
import random
import time
from collections import defaultdict

from ogi import repair
from ogi.model import Severity, State
from ogi.pipeline import batch_mode, parse
from ogi.render import make_record
from ogi.render.damage import BROKEN_PATTERNS, PAGE_PATTERNS, break_identities, crawler_page
from ogi.render.sample import random_organ


def corpus(count: int, seed: int):
    """(pattern, template, record, page text, whether the record carries its own error), deterministic."""
    rng = random.Random(seed)
    for i in range(count):
        pattern = PAGE_PATTERNS[i % len(PAGE_PATTERNS)]
        template = "2019" if (i // len(PAGE_PATTERNS)) % 2 else "2021"
        year = rng.choice((2019, 2020)) if template == "2019" else rng.randint(2021, 2024)
        record = make_record(rng, template, year, random_organ(rng))
        broken = False
        if pattern in BROKEN_PATTERNS:
            record, broken = break_identities(record, pattern, rng)
        yield pattern, template, record, crawler_page(record, pattern, seed=i), broken


class Timed:
    """repair.read_runs wrapped to measure the solver's time per report."""

    def __init__(self) -> None:
        self.inner = repair.read_runs
        self.spent = 0.0

    def __call__(self, *args, **kwargs):
        start = time.process_time()
        try:
            return self.inner(*args, **kwargs)
        finally:
            self.spent += time.process_time() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=2016)
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    batch_mode()
    cases = list(corpus(args.count, args.seed))
    for _, _, _, page, _ in cases[:50]:  # warm-up (lazy imports, caches): not counted
        parse(page.encode(), "warm-up.txt")
    timed = Timed()
    repair.read_runs = timed  # type: ignore[assignment]
    stats: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    slowest, slowest_name, elapsed = 0.0, "", 0.0
    solver_times: list[float] = []
    wrong_examples = []
    for n, (pattern, template, record, page, broken) in enumerate(cases):
        timed.spent = 0.0
        start = time.process_time()
        parsed = parse(page.encode(), f"{pattern}-{n}.txt")
        elapsed += time.process_time() - start
        solver_times.append(timed.spent)
        if timed.spent > slowest:
            slowest, slowest_name = timed.spent, f"{pattern}-{n} ({template})"
        for bucket in (pattern, f"{template}", "all"):
            s = stats[bucket]
            s["reports"] += 1
            for key, truth in record.cells.items():
                got = parsed.cells.get(key)
                t34 = key.startswith(("t3.", "t4."))
                s["cells"] += 1
                s["cells34"] += t34
                if got is not None and got.state is State.number:
                    if got.value == truth.value:
                        s["exact"] += 1
                        s["exact34"] += t34
                    else:
                        s["wrong"] += 1
                        if bucket == "all" and len(wrong_examples) < 10:
                            wrong_examples.append((pattern, n, key, truth.value, got.value, got.raw))
                elif got is not None and got.candidates:
                    s["candidates"] += 1
                    s["truth_in_candidates"] += truth.value in got.candidates
            errors = [f for f in parsed.findings if f.severity is Severity.error]
            if not broken and errors:
                s["false_errors"] += 1
                if bucket == "all" and s["false_errors"] <= 5:
                    print("error finding on a clean report:", pattern, n, [(f.rule, f.message[:60]) for f in errors])
    print(
        f"{'pattern':<16}{'reports':>8}{'exact':>9}{'t3/t4':>9}{'WRONG':>7}{'cand.':>8}{'in cand.':>9}{'false err':>10}"
    )
    for bucket in (*PAGE_PATTERNS, "2019", "2021", "all"):
        s = stats[bucket]
        print(
            f"{bucket:<16}{s['reports']:>8}{s['exact'] / s['cells']:>9.2%}{s['exact34'] / s['cells34']:>9.2%}"
            f"{s['wrong']:>7}{s['candidates'] / s['cells']:>8.2%}"
            f"{(s['truth_in_candidates'] / s['candidates'] if s['candidates'] else 1):>9.0%}{s['false_errors']:>10}"
        )
    for example in wrong_examples:
        print("WRONG", example)
    solver_times.sort()
    p99 = solver_times[int(len(solver_times) * 0.99)] * 1000
    print(f"{len(cases) / elapsed:.0f} reports/s (parse, one core, CPU time)")
    print(f"table solver per report: 99th percentile {p99:.1f} ms, slowest {slowest * 1000:.1f} ms ({slowest_name})")


if __name__ == "__main__":
    main()
