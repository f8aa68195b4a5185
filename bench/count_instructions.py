"""Instructions per report, counted by valgrind (repeatable whatever else the machine is doing).

    python bench/count_instructions.py [--stage parse|read|normalise|locate|metadata|extract|audit] [--small 40] [--large 240]

Wall-clock figures on a shared VM swing by ±30–50%; callgrind counts instructions, which do not. Two
runs over the same files, ``small`` and ``large`` reports after the same warm-up, and the difference
divided by ``large - small`` is the cost of one report with start-up and imports cancelled out. For one
stage, its inputs are made by the stages before it in both runs, so only the stage's own work differs.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
from pathlib import Path

_RUN = """
import sys
from pathlib import Path
from ogi.audit import audit
from ogi.extract import extract
from ogi.locate import locate
from ogi.metadata import metadata
from ogi.normalise import normalise
from ogi.pipeline import parse
from ogi.read import read
files = [Path(p) for p in sys.argv[3:]]
def extract_located(located):
    return extract(*located)
def with_metadata(layout):  # extract takes the layout and its metadata
    return layout, metadata(layout)
stages = {"read": read, "normalise": normalise, "locate": locate, "metadata": metadata, "extract": extract_located,
          "audit": audit}
making = stages | {"metadata": with_metadata}  # what each stage hands on to the next
name, n = sys.argv[1], int(sys.argv[2])
if name in ("parse", "read"):
    inputs, stage = files, {"parse": parse, "read": read}[name]
else:  # the stage's inputs are made by the stages before it, the same in both runs
    order = list(stages)
    inputs = files
    for before in order[:order.index(name)]:
        inputs = [making[before](x) for x in inputs]
    stage = stages[name]
for x in inputs[:40]:
    stage(x)  # warm-up: caches filled as in a long batch
for x in inputs[40:40 + n]:
    stage(x)
"""


def count(stage: str, n: int, files: list[str]) -> int:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "cg.out"
        result = subprocess.run(
            [
                "valgrind",
                "--tool=callgrind",
                f"--callgrind-out-file={out}",
                sys.executable,
                "-c",
                _RUN,
                stage,
                str(n),
                *files,
            ],
            capture_output=True,
            text=True,
        )
        match = re.search(r"Collected\s*:\s*(\d+)", result.stderr)
        if match is None:
            raise SystemExit(result.stderr[-2000:])
        return int(match.group(1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--stage", default="parse", choices=["parse", "read", "normalise", "locate", "metadata", "extract", "audit"]
    )
    parser.add_argument("--small", type=int, default=40)
    parser.add_argument("--large", type=int, default=240)
    parser.add_argument("--corpus", type=Path, default=Path("bench/out/text"))
    args = parser.parse_args()
    seeds = Path(__file__).resolve().parents[2] / "shared" / "seeds"
    generated = sorted(args.corpus.glob("*.txt"))
    if len(generated) < 40 + args.large:
        raise SystemExit(f"{args.corpus}: run bench/bench_text.py first to generate the reports")
    # One seed in eleven, as in bench_text.py (1,000 seed parses beside 10,000 generated reports).
    files = []
    seed_files = sorted(seeds.glob("*.txt")) if seeds.is_dir() else []
    for i, path in enumerate(generated[: 40 + args.large]):
        files.append(str(seed_files[i % len(seed_files)] if seed_files and i % 11 == 10 else path))
    small, large = count(args.stage, args.small, files), count(args.stage, args.large, files)
    per_report = (large - small) / (args.large - args.small)
    print(f"{args.stage}: {per_report / 1e6:.2f} M instructions per report")


if __name__ == "__main__":
    main()
