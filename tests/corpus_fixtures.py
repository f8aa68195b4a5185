"""Fixtures and builders for the corpus tests (issue #4): the store on SQLite always, on PostgreSQL when
OGI_PG_URL is set (e.g. postgresql://ogi:ogi@127.0.0.1/ogi_test — see notes/POSTGRES.md), and corpora of
generated reports whose every cell is known because the test made it."""

from __future__ import annotations

import hashlib
import os
import random

import pytest
import sqlalchemy as sa

from ogi import forms
from ogi.model import Cell, Meta, Record, Section, State
from ogi.store import Corpus, database_url

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


def record(organ: str, year: int, values: dict[str, int] | None = None, *, template: str | None = None,
           sections: dict[int, str] | None = None, sha: str | None = None) -> Record:
    """A record with every key of its format: 0 unless ``values`` says otherwise (None → blank)."""
    template = template or ("2019" if year <= 2020 else "2021")
    values = values or {}
    cells = {}
    for k in forms.keys(template):
        v = values.get(k, 0)
        cells[k] = Cell(key=k, value=v, state=State.number if v is not None else State.blank, raw="" if v is None else str(v))
    texts = sections or {}
    secs = [Section(number=n, heading=f"{'一二三四五六'[n - 1]}、{forms.SECTIONS[n - 1].title}", text=texts.get(n, ""))
            for n in range(1, 7)]
    meta = Meta(organ=organ, year=year, template=template, title=f"{organ}{year}年政府信息公开工作年度报告",
                source=f"{organ}-{year}.txt", sha256=sha or hashlib.sha256(f"{organ}-{year}-{sorted(values.items())}".encode()).hexdigest())
    from ogi.audit import audit

    r = Record(meta=meta, cells=cells, sections=secs, parser_version="test")
    r.findings = audit(r)
    return r


def generated(n_organs: int = 6, years=(2019, 2020, 2021, 2022), seed: int = 7) -> list[Record]:
    """Consistent reports of the lead's generator (ogi.render): several organs × years, known cells."""
    from ogi.audit import audit
    from ogi.render import make_record

    rng = random.Random(seed)
    places = ("浙江省丽水市缙云县", "甘肃省白银市会宁县", "江苏省泰州市高港区")
    depts = ("教育局", "人民政府", "财政局", "交通运输局")
    out = []
    for i in range(n_organs):
        organ = places[i % len(places)] + depts[(i // len(places)) % len(depts)]
        for year in years:
            r = make_record(rng, "2019" if year <= 2020 else "2021", year, organ)
            r.meta.sha256 = f"gen-{seed}-{i}-{year}"
            r.meta.source = f"{organ}-{year}.txt"
            r.parser_version = "test"
            r.findings = audit(r)
            out.append(r)
    return out


def total(records: list[Record], key: str) -> int:
    return sum(int(r.value(key) or 0) for r in records if key in r.cells)
