"""Records for the corpus tests whose every cell is known because the test made it (the fixtures that open
a corpus are in conftest.py)."""

from __future__ import annotations

import hashlib
import random

from ogi import forms
from ogi.audit import audit
from ogi.model import Cell, Meta, Record, Section, State
from ogi.render import make_record


def record(
    organ: str,
    year: int,
    values: dict[str, int] | None = None,
    *,
    template: str | None = None,
    sections: dict[int, str] | None = None,
    sha: str | None = None,
) -> Record:
    """A record with every key of its format: 0 unless ``values`` says otherwise (None → blank)."""
    template = template or ("2019" if year <= 2020 else "2021")
    values = values or {}
    cells = {}
    for k in forms.keys(template):
        v = values.get(k, 0)
        cells[k] = Cell(
            key=k, value=v, state=State.number if v is not None else State.blank, raw="" if v is None else str(v)
        )
    texts = sections or {}
    secs = [
        Section(number=n, heading=f"{'一二三四五六'[n - 1]}、{forms.SECTIONS[n - 1].title}", text=texts.get(n, ""))
        for n in range(1, 7)
    ]
    meta = Meta(
        organ=organ,
        year=year,
        template=template,
        title=f"{organ}{year}年政府信息公开工作年度报告",
        source=f"{organ}-{year}.txt",
        sha256=sha or hashlib.sha256(f"{organ}-{year}-{sorted(values.items())}".encode()).hexdigest(),
    )
    r = Record(meta=meta, cells=cells, sections=secs, parser_version="test")
    r.findings = audit(r)
    return r


def generated(n_organs: int = 6, years=(2019, 2020, 2021, 2022), seed: int = 7) -> list[Record]:
    """Consistent reports of the lead's generator (ogi.render): several organs × years, known cells."""
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
