"""Shared fixtures. The seeds live outside the project (../shared/seeds); tests that need them skip
cleanly when that folder is absent. The corpus fixtures open the store on SQLite always, and on PostgreSQL
too when OGI_PG_URL is set (e.g. postgresql://ogi:ogi@127.0.0.1/ogi_test — see docs/postgresql.md)."""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import sqlalchemy as sa

from ogi.corpus import Corpus, database_url

ROOT = Path(__file__).resolve().parents[1]
SEED_DIR = ROOT.parent / "shared" / "seeds"
SEEDS = ["000", "001", "002", "003", "004"]


def seed_path(prefix: str) -> Path:
    if not SEED_DIR.is_dir():
        pytest.skip("../shared/seeds is not present")
    matches = sorted(SEED_DIR.glob(f"{prefix}_*"))
    if not matches:
        pytest.skip(f"seed {prefix} is not present")
    return matches[0]


# A bug in ogi's own reading code must fail its test, not pass as a damaged file (ogi.read.STRICT_ENV).
os.environ.setdefault("OGI_STRICT_READERS", "1")
PG_URL = os.environ.get("OGI_PG_URL")
BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.skipif(not PG_URL, reason="OGI_PG_URL not set"))]


def _reset_pg(url: str) -> None:
    engine = sa.create_engine(database_url(url))
    with engine.begin() as conn:
        # Every test starts from an empty database; the migrations then run again at Corpus open.
        conn.execute(sa.text("DROP SCHEMA IF EXISTS public CASCADE"))
        conn.execute(sa.text("CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture(params=BACKENDS)
def db_url(request, tmp_path) -> str:
    if request.param == "sqlite":
        return str(tmp_path / "corpus.db")
    _reset_pg(PG_URL)
    return PG_URL


@pytest.fixture
def corpus(db_url):
    with Corpus(db_url) as c:
        yield c


@contextmanager
def serving(app) -> Iterator[str]:
    """``app`` served by uvicorn in a thread of this process (the browser tests): its base URL."""
    import uvicorn  # the server: only for the tests that drive a browser

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started, "uvicorn did not start"
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)
