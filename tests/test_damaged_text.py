"""Crawler text that dropped every cell separator (spec §7), end to end through parse(): generated
reports with known cells are flattened, and every cell the parser stores must be right — the share
recovered is measured, the number recovered wrongly must be zero."""

from __future__ import annotations

import random

import pytest

from ogi.model import Origin, State
from ogi.pipeline import parse
from ogi.render import make_record, render_text
from ogi.render.damage import detached_markdown, flatten


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


@pytest.mark.parametrize("template, year", [("2019", 2020), ("2021", 2022)])
def test_detached_value_rows_placed_under_their_labels(template, year):
    rng = random.Random(3)
    placed = wrong = 0
    for i in range(10):
        record = make_record(rng, template, year, "示例县统计局")
        parsed = parse(detached_markdown(record).encode(), f"md-{i}.md")
        for key, cell in record.cells.items():
            if key.startswith("t3.") and parsed.cells[key].state is State.number:
                if parsed.cells[key].value == cell.value:
                    placed += 1
                    assert parsed.cells[key].origin is Origin.inferred
                else:
                    wrong += 1
    assert wrong == 0
    assert placed == 10 * (161 if template == "2019" else 175)
