"""``ogi parse`` streaming benchmark (issue 12 item 2): JSONL with -j N as a ratio of the parse-only rate of the
same worker pool, in one run, and the memory of the command over the run; then JSON encoders on real records.

    python bench/bench_parse_stream.py --n 10000 --workers 2

The command runs as a user runs it (``python -m ogi parse DIR --format jsonl -j N > file``); its resident
memory is sampled every half second: flat means it does not grow with the number of files.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from bench_ingest import generate_files, parse_only, records  # noqa: E402


def rss_mb(pid: int) -> float:
    """Resident memory of a process and its children (the workers)."""
    total = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(stat.parent.name) == pid or int(fields[1]) == pid:
            total += int(fields[21]) * 4096 / 2**20
    return total


def run_command(folder: Path, out: Path, workers: int, fmt: str = "jsonl") -> tuple[float, list[float]]:
    start = time.perf_counter()
    with out.open("wb") as f:
        proc = subprocess.Popen(
            [sys.executable, "-m", "ogi", "parse", str(folder), "--format", fmt, "-j", str(workers)],
            stdout=f,
            stderr=subprocess.DEVNULL,
        )
        samples = []
        while proc.poll() is None:
            samples.append(rss_mb(proc.pid))
            time.sleep(0.5)
    return time.perf_counter() - start, samples


def encoders(n: int = 200) -> None:
    import msgspec

    from ogi.pipeline import batch_mode, parse
    from ogi.render import LAYOUTS, render_text

    batch_mode()
    texts = [render_text(r, LAYOUTS[i % len(LAYOUTS)], seed=i).encode() for i, r in records(n)]
    start = time.perf_counter()
    parsed = [parse(t, "x.txt") for t in texts]
    parse_ms = (time.perf_counter() - start) * 1000 / n
    start = time.perf_counter()
    data = [r.contract() for r in parsed]
    contract_ms = (time.perf_counter() - start) * 1000 / n
    candidates = {
        "json (stdlib)": lambda d: json.dumps(d, ensure_ascii=False, separators=(",", ":")).encode(),
        "msgspec": msgspec.json.Encoder().encode,
    }
    try:
        import orjson

        candidates["orjson"] = orjson.dumps
    except ImportError:
        pass
    print(f"per record: parse {parse_ms:.2f} ms, Record.contract() {contract_ms:.2f} ms")
    for name, encode in candidates.items():
        start = time.perf_counter()
        for d in data:
            encode(d)
        print(f"  encode with {name:<14} {(time.perf_counter() - start) * 1000 / n:.3f} ms")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=2000)
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="ogi-bench-parse-"))
    try:
        generate_files(work / "in", args.n)
        rate = parse_only(work / "in", args.workers)
        seconds, samples = run_command(work / "in", work / "out.jsonl", args.workers)
        lines = sum(1 for _ in (work / "out.jsonl").open("rb"))
        print(f"parse only ({args.workers} workers): {rate:.1f} reports/s")
        print(
            f"ogi parse --format jsonl -j {args.workers}: {lines} records in {seconds:.1f} s = {lines / seconds:.1f}/s; "
            f"ratio to parse only {lines / seconds / rate:.2f}"
        )
        quarter = max(1, len(samples) // 4)
        print(
            f"memory of the command and its workers: first quarter max {max(samples[:quarter]):.0f} MB, "
            f"last quarter max {max(samples[-quarter:]):.0f} MB; output {(work / 'out.jsonl').stat().st_size / 2**20:.0f} MB"
        )
        encoders()
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
