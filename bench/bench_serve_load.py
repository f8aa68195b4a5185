"""Load on `ogi serve` (issue 15 item 17): concurrent readers for a fixed time, with one worker process and with
``--workers N``; and the latency of a static file while clients guess passwords (item 5).

Each run starts `ogi serve` as a child process on a corpus of generated reports, sends requests from
``--clients`` asynchronous clients (httpx) for ``--seconds``, and prints requests/s, p50 and p95 latency and the
failed requests. The client runs on the same machine and takes CPU from the server: compare the rows of one run.

    python bench/bench_serve_load.py [--clients 50] [--seconds 30] [--workers 2] [--reports 40] [--guessers 4]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from ogi.corpus import Corpus
from ogi.corpus.ingest import ingest
from ogi.render import make_record, render_text


def build_corpus(folder: Path, reports: int) -> Path:
    db = folder / "load.db"
    paths = []
    for i in range(reports):
        year = 2019 + i % 5
        record = make_record(random.Random(i), "2019" if year <= 2020 else "2021", year, f"测试县第{i % 8}局")
        path = folder / f"r{i}.txt"
        path.write_text(render_text(record, "pipe"), encoding="utf-8")
        paths.append(str(path))
    with Corpus(str(db)) as corpus:
        ingest(corpus, paths, workers=1, progress=False)
        corpus.accounts.add("admin", "admin-password", "admin")
    return db


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_server(db: Path, port: int, workers: int) -> subprocess.Popen:
    command = [sys.executable, "-m", "ogi", "serve", "--db", str(db), "--port", str(port), "--workers", str(workers)]
    server = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=dict(os.environ))
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/me", timeout=2).status_code == 200:
                return server
        except httpx.HTTPError:
            time.sleep(0.3)
    server.kill()
    raise SystemExit("ogi serve did not start within 60 s")


def stop_server(server: subprocess.Popen) -> None:
    server.send_signal(signal.SIGINT)  # uvicorn stops its workers and exits on Ctrl+C
    try:
        server.wait(timeout=30)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


async def client_loop(client: httpx.AsyncClient, urls: list[str], until: float, latencies: list, failed: list):
    while time.monotonic() < until:
        url = random.choice(urls)
        started = time.perf_counter()
        try:
            response = await client.get(url)
            outcome = str(response.status_code)
        except httpx.HTTPError as exc:
            outcome = type(exc).__name__
        latencies.append(time.perf_counter() - started)
        if outcome != "200":
            failed.append(f"{url} {outcome}")


async def guess_loop(client: httpx.AsyncClient, until: float, counts: dict) -> None:
    """A password guesser: the sign-in form with wrong passwords, as fast as answers come."""
    page = (await client.get("/login")).text
    token = page.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    while time.monotonic() < until:
        data = {"name": "admin", "password": f"guess{random.random()}", "csrf_token": token}
        response = await client.post("/login", data=data)
        counts[response.status_code] = counts.get(response.status_code, 0) + 1


async def load(base: str, urls: list[str], clients: int, seconds: float, guessers: int = 0) -> dict:
    latencies: list[float] = []
    failed: list[str] = []
    guesses: dict[int, int] = {}
    limits = httpx.Limits(max_connections=clients + guessers, max_keepalive_connections=clients + guessers)
    async with httpx.AsyncClient(base_url=base, timeout=60, limits=limits) as client:
        until = time.monotonic() + seconds
        tasks = [client_loop(client, urls, until, latencies, failed) for _ in range(clients)]
        guessers_clients = [httpx.AsyncClient(base_url=base, timeout=60) for _ in range(guessers)]
        guessing = [guess_loop(c, until, guesses) for c in guessers_clients]
        started = time.perf_counter()
        await asyncio.gather(*tasks, *guessing)
        elapsed = time.perf_counter() - started
        for c in guessers_clients:
            await c.aclose()
    cuts = statistics.quantiles(latencies, n=20) if len(latencies) > 1 else [0.0] * 19
    return {
        "requests": len(latencies),
        "per_second": len(latencies) / elapsed,
        "p50": statistics.median(latencies) if latencies else 0.0,
        "p95": cuts[18],
        "failed": len(failed),
        "failures": sorted(set(failed))[:5],
        "guesses": guesses,
    }


def report_urls(base: str) -> list[str]:
    ids = [r["id"] for r in httpx.get(f"{base}/api/reports").json()["reports"]]
    pages = [f"/reports/{i}" for i in ids[:10]] + [f"/api/reports/{i}" for i in ids[:10]]
    return pages + ["/reports", "/api/reports", "/organs", "/static/app.css", "/static/app.js"] * 4


def row(label: str, figures: dict) -> str:
    return (
        f"{label:<34} {figures['requests']:>7} {figures['per_second']:>8.1f} "
        f"{figures['p50'] * 1000:>8.0f} {figures['p95'] * 1000:>8.0f} {figures['failed']:>7}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--workers", type=int, default=2, help="worker processes of the second run")
    parser.add_argument("--reports", type=int, default=40)
    parser.add_argument("--guessers", type=int, default=4, help="password guessers beside 4 static-file readers")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db = build_corpus(Path(tmp), args.reports)
        print(f"{args.clients} clients, {args.seconds:g} s each, {os.cpu_count()} CPUs, {args.reports} reports")
        print(f"{'run':<34} {'requests':>7} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8} {'failed':>7}")
        for workers in (1, args.workers):
            port = free_port()
            server = start_server(db, port, workers)
            base = f"http://127.0.0.1:{port}"
            try:
                figures = asyncio.run(load(base, report_urls(base), args.clients, args.seconds))
                print(row(f"mixed pages, --workers {workers}", figures), flush=True)
                if figures["failures"]:
                    print(f"{'':<34} failed: {'; '.join(figures['failures'])}")
                if workers == 1 and args.guessers:
                    static = ["/static/app.css"]
                    alone = asyncio.run(load(base, static, 4, min(args.seconds, 10)))
                    print(row("static file, 4 readers", alone), flush=True)
                    guessed = asyncio.run(load(base, static, 4, min(args.seconds, 10), args.guessers))
                    print(row(f"static file, 4 readers + {args.guessers} guessers", guessed), flush=True)
                    print(f"{'':<34} sign-in answers: {guessed['guesses']}")
            finally:
                stop_server(server)


if __name__ == "__main__":
    main()
