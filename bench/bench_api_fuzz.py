"""Fuzz the web app's JSON API from its OpenAPI document with schemathesis (issue 15): valid and invalid requests
to every operation, signed in as an administrator, over a corpus with a few reports. Prints the requests made,
the answers by status, the time, and every 5xx (there must be none). tests/test_serve_security.py runs the same
with a few examples per operation; this is the longer run.

    python bench/bench_api_fuzz.py [--examples 100] [--seed 0]
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import random
import tempfile
import time
import warnings
from pathlib import Path

warnings.simplefilter("ignore")  # starlette's notice about its test client's HTTP library

import schemathesis  # noqa: E402
from fastapi.testclient import TestClient  # noqa: E402
from hypothesis import HealthCheck, Phase, given, seed, settings  # noqa: E402
from hypothesis.errors import Unsatisfiable  # noqa: E402
from schemathesis import GenerationMode  # noqa: E402

from ogi.render import make_record, render_text  # noqa: E402
from ogi.serve import Settings, create_app  # noqa: E402

ADMIN = ("admin", "admin-password")


def corpus_app(folder: Path, reports: int):
    app = create_app(str(folder / "fuzz.db"), Settings(max_upload_mb=2, max_request_mb=10))
    app.state.accounts.add(*ADMIN, "admin")
    client = TestClient(app)
    for i in range(reports):
        year = 2019 + i % 5
        record = make_record(random.Random(i), "2019" if year <= 2020 else "2021", year, f"测试县第{i % 3}局")
        name = f"r{i}.txt"
        files = [("files", (name, render_text(record, "pipe").encode(), "text/plain"))]
        assert client.post("/api/upload", files=files, auth=ADMIN).status_code == 200
    return app


def signed_in(app) -> dict:
    """A session of the administrator: its cookie and CSRF token (cheaper per request than Basic's scrypt)."""
    client = TestClient(app)
    page = client.get("/login").text
    token = page.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    client.post("/login", data={"name": ADMIN[0], "password": ADMIN[1], "csrf_token": token})
    me = client.get("/api/me").json()
    return {"cookies": {"ogi_session": client.cookies["ogi_session"]}, "headers": {"X-CSRF-Token": me["csrf_token"]}}


def fuzz(operation, mode, examples: int, seed_value: int, session: dict, statuses, errors: list) -> None:
    """Send ``examples`` cases of ``mode`` to one operation; count the answers, keep every 5xx."""

    @seed(seed_value)
    @settings(
        max_examples=examples,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
        database=None,
    )
    @given(case=operation.as_strategy(generation_mode=mode))
    def check(case):
        try:
            response = case.call(**session)
        except Exception as exc:  # the app raised through the ASGI transport: a 500 to a real client
            statuses[500] += 1
            errors.append((operation.label, case.path_parameters, case.query, repr(exc)[:200]))
            return
        statuses[response.status_code] += 1
        if response.status_code >= 500:
            errors.append((operation.label, case.path_parameters, case.query, response.text[:200]))

    with contextlib.suppress(Unsatisfiable):  # nothing invalid to send to an operation without parameters
        check()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--examples", type=int, default=100, help="examples per operation and mode")
    parser.add_argument("--reports", type=int, default=6)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        app = corpus_app(Path(tmp), args.reports)
        schema = schemathesis.openapi.from_asgi("/openapi.json", app)
        statuses: collections.Counter = collections.Counter()
        errors: list[tuple] = []
        started = time.perf_counter()
        operations = [result.ok() for result in schema.get_all_operations()]
        session = signed_in(app)
        for operation in operations:
            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
                fuzz(operation, mode, args.examples, args.seed, session, statuses, errors)
        elapsed = time.perf_counter() - started
    total = sum(statuses.values())
    print(f"operations {len(operations)}, requests {total}, {elapsed:.0f} s ({total / elapsed:.1f} requests/s)")
    print("answers by status: " + ", ".join(f"{code}: {n}" for code, n in sorted(statuses.items())))
    print(f"server errors (5xx): {len(errors)}")
    for label, path, query, text in errors[:20]:
        print(f"  {label} path={path} query={query}: {text}")
    raise SystemExit(1 if errors else 0)


if __name__ == "__main__":
    main()
