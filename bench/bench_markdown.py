"""Converter markdown read back (issue #10, damaged-reports §3): generated reports in every pattern of
``ogi.render.markdown`` and both formats; cells exact, cells left unread, wrong numbers (must be 0), and
error findings on reports without an injected error (must be 0).

    python bench/bench_markdown.py [--count 200]      reports per pattern
"""

from __future__ import annotations

import argparse
import random

from ogi import forms
from ogi.model import State
from ogi.pipeline import parse
from ogi.render import make_record
from ogi.render.markdown import PATTERNS, render_markdown

_UNFILLED = (State.blank, State.not_applicable)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=200)
    args = parser.parse_args()
    for pattern in PATTERNS:
        cells = exact = unread = wrong = errors = 0
        rng = random.Random(pattern)
        for i in range(args.count):
            template = "2019" if i % 2 else "2021"
            record = make_record(rng, template, 2020 if template == "2019" else 2022, f"示例县第{i % 13}局")
            parsed = parse(render_markdown(record, pattern, seed=i).encode(), f"{pattern}-{i}.md")
            errors += any(f.severity.value == "error" for f in parsed.findings)
            for key in forms.keys(template):
                got, truth = parsed.cells.get(key), record.cells[key]
                cells += 1
                if got is None or got.value is None and got.state not in _UNFILLED:
                    unread += 1
                elif got.value != truth.value:
                    wrong += 1
                elif got.state is truth.state or (got.state in _UNFILLED and truth.state in _UNFILLED):
                    exact += 1
        print(
            f"{pattern:10} {args.count} reports: cells exact {exact}/{cells} ({100 * exact / cells:.2f}%), "
            f"unread {unread}, wrong numbers {wrong}, reports with an error finding {errors}"
        )


if __name__ == "__main__":
    main()
