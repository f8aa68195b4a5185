"""Crawler text that dropped every cell separator (spec §7), end to end through parse(): generated
reports with known cells are flattened, and every cell the parser stores must be right — the share
recovered is measured, the number recovered wrongly must be zero."""

from __future__ import annotations

import random
import re

import pytest

from ogi.model import Origin, State
from ogi.pipeline import parse
from ogi.render import make_record, render_text

_VALUE = re.compile(r"^[-\d.]*$")


def flatten(text: str) -> str:
    """Drop the separators of every table row: labels run together, then the digits."""
    out = []
    for line in text.split("\n"):
        if "|" not in line:
            out.append(line)
            continue
        pieces = [p.strip() for p in line.split("|") if p.strip()]
        if not any(_VALUE.match(p) for p in pieces):
            out.append(" ".join(pieces))
            continue
        labels = "".join(p for p in pieces if not _VALUE.match(p))
        out.append(labels + "".join(p for p in pieces if _VALUE.match(p)))
    return "\n".join(out)


@pytest.mark.parametrize("template, year", [("2019", 2020), ("2021", 2022)])
def test_flattened_reports_recover_cells_and_none_wrongly(template, year):
    rng = random.Random(11)
    recovered = total = wrong = 0
    for i in range(20):
        record = make_record(rng, template, year, "示例县统计局")
        text = flatten(render_text(record, "pipe", seed=i))
        parsed = parse(text.encode(), f"flat-{i}.txt")
        for key, cell in record.cells.items():
            if not key.startswith(("t3.", "t4.")):
                continue
            total += 1
            got = parsed.cells[key]
            if got.state is State.number:
                if got.value == cell.value:
                    recovered += 1
                    assert got.origin is Origin.inferred
                else:
                    wrong += 1
    assert wrong == 0
    assert recovered / total > 0.5, f"{recovered}/{total}"
