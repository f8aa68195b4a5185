"""The fuzz suite of tests/test_fuzz_readers.py at full size: every hostile file of issue #15 at the size the
issue measured, with the real budgets, then random mutations of valid files of each kind. Each file is
read and parsed in a forked child under an address-space limit and a time limit.

    PYTHONPATH=src python bench/bench_fuzz.py [--mutations 300] [--memory-mb 4096] [--seconds 300]

Prints one line per hostile file (outcome, seconds, peak memory) and the totals: inputs, crashes (anything
but an OgiError naming the file, a kill or a timeout), max time, max memory.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the generators live with the tests

from tests import hostile  # noqa: E402
from tests.test_fuzz_readers import VALID  # noqa: E402

# The sizes (the CI suite uses smaller ones).
FULL = {"digit-flood": (30_000_000,), "pdf-path-flood": (20_000_000,), "pdf-ruled-grid": (50,)}


def mutate(data: bytes, rng: random.Random) -> bytes:
    out = bytearray(data)
    for _ in range(rng.randint(1, 12)):
        out[rng.randrange(len(out))] = rng.randrange(256)
    if rng.random() < 0.3:
        out = out[: rng.randint(1, len(out))]
    return bytes(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mutations", type=int, default=300)
    parser.add_argument("--memory-mb", type=int, default=4096)
    parser.add_argument("--seconds", type=float, default=300)
    parser.add_argument("--seed", type=int, default=15)
    args = parser.parse_args()
    os.environ.setdefault("OGI_STRICT_READERS", "1")  # ogi's own bugs count as crashes
    outcomes: list[tuple[str, hostile.Outcome]] = []
    for kind, (make, default) in sorted(hostile.KINDS.items()):
        data = make(*FULL.get(kind, default))
        outcome = hostile.run_limited(data, f"{kind}.bin", args.memory_mb, args.seconds)
        outcomes.append((kind, outcome))
        print(
            f"{kind:24s} {len(data):>10,d} B  {outcome.status:8s} {outcome.seconds:7.2f} s "
            f"{outcome.max_rss_mb:7.0f} MB  {outcome.error[:110]}",
            flush=True,
        )
    rng = random.Random(args.seed)
    kinds = sorted(VALID)
    started = time.perf_counter()
    for i in range(args.mutations):
        kind = kinds[i % len(kinds)]
        outcome = hostile.run_limited(mutate(VALID[kind], rng), f"mutated-{i}.{kind}", args.memory_mb, args.seconds)
        outcomes.append((f"mutated.{kind}", outcome))
        if outcome.status not in ("ok", "refused"):
            print(f"mutated-{i}.{kind}: {outcome.status} {outcome.error}", flush=True)
    crashes = [(k, o) for k, o in outcomes if o.status not in ("ok", "refused")]
    print(
        f"\ninputs {len(outcomes)} ({len(hostile.KINDS)} hostile, {args.mutations} mutations in "
        f"{time.perf_counter() - started:.0f} s); crashes {len(crashes)}; "
        f"max time {max(o.seconds for _, o in outcomes):.2f} s "
        f"({max(outcomes, key=lambda ko: ko[1].seconds)[0]}); "
        f"max memory {max(o.max_rss_mb for _, o in outcomes):.0f} MB "
        f"({max(outcomes, key=lambda ko: ko[1].max_rss_mb)[0]})"
    )


if __name__ == "__main__":
    main()
