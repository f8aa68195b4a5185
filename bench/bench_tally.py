"""Tallying a case register (issue #11 item 2): seconds for 10,000 generated cases, read from CSV and XLSX.

    python bench/bench_tally.py [--n 10000] [--repeat 5]

Cases are generated before timing (receipt dates over two years, most answered within 25 days, every
applicant type and result of the 2021 format). Three figures, the best of ``--repeat`` runs in CPU time
of this process: ``tally`` (rows already in memory → table 3 and the per-case findings), ``csv`` and
``xlsx`` (file bytes → rows → table 3). The holiday calendar's table is built once before timing, as a
long-running process has it; its cost is printed on its own. Target: 10,000 cases in under a second.
"""

from __future__ import annotations

import argparse
import csv
import io
import time


def register(n: int, seed: int = 1) -> list[dict[str, object]]:
    from ogi.render.sample import make_register

    return make_register(n, seed, extended=0.05)


def best(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.process_time()
        fn()
        times.append(time.process_time() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    from openpyxl import Workbook

    from ogi.write import workdays
    from ogi.write.tally import COLUMNS, read_register, tally

    start = time.process_time()
    workdays._cumulative()
    calendar = time.process_time() - start
    rows = register(args.n)
    text = io.StringIO()
    writer = csv.DictWriter(text, fieldnames=COLUMNS)
    writer.writeheader()
    writer.writerows(rows)
    csv_bytes = text.getvalue().encode("utf-8")
    book = Workbook(write_only=True)
    sheet = book.create_sheet("台账")
    sheet.append(list(COLUMNS))
    for row in rows:
        sheet.append([row[c] for c in COLUMNS])
    out = io.BytesIO()
    book.save(out)
    xlsx_bytes = out.getvalue()
    print(f"cases: {args.n}; holiday calendar table built once: {calendar:.3f} s")
    for label, fn in (
        ("tally (rows in memory)", lambda: tally(rows, 2025)),
        ("csv file → table 3", lambda: tally(read_register(csv_bytes, "r.csv"), 2025)),
        ("xlsx file → table 3", lambda: tally(read_register(xlsx_bytes, "r.xlsx"), 2025)),
    ):
        seconds = best(fn, args.repeat)
        print(f"{label:26s} {seconds:.3f} s   {args.n / seconds:,.0f} cases/s")


if __name__ == "__main__":
    main()
