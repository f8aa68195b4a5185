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


def converter_markdown(record) -> str:
    """Table 3 as a PDF-to-markdown converter leaves it: a table of labels with generic column names,
    then a separate table of the value rows (spec §7)."""
    from ogi import forms

    lines = render_text(record, "pipe", seed=1).split("\n")
    first = next(i for i, line in enumerate(lines) if "申请人情况" in line or "勾稽" in line)
    last = next(i for i in range(first, len(lines)) if re.match(r"^\s*四、[^|]*$", lines[i]))
    rows = forms.T3_ROWS[record.meta.template]
    labels = ["| 项目 | 数据1 |", "|---|---|"] + [f"| {r.label} | |" for r in rows]
    values = ["", "| 数据1 | 数据2 | 数据3 | 数据4 | 数据5 | 数据6 | 数据7 |", "|---|---|---|---|---|---|---|"]
    for r in rows:
        cells = [record.cells[f"t3.{r.key}.{c.key}"] for c in forms.T3_COLUMNS]
        values.append("| " + " | ".join(str(c.value) for c in cells) + " |")
    return "\n".join(lines[:first] + labels + values + lines[last:])


@pytest.mark.parametrize("template, year", [("2019", 2020), ("2021", 2022)])
def test_detached_value_rows_placed_under_their_labels(template, year):
    rng = random.Random(3)
    placed = wrong = 0
    for i in range(10):
        record = make_record(rng, template, year, "示例县统计局")
        parsed = parse(converter_markdown(record).encode(), f"md-{i}.md")
        for key, cell in record.cells.items():
            if key.startswith("t3.") and parsed.cells[key].state is State.number:
                if parsed.cells[key].value == cell.value:
                    placed += 1
                    assert parsed.cells[key].origin is Origin.inferred
                else:
                    wrong += 1
    assert wrong == 0
    assert placed == 10 * (161 if template == "2019" else 175)
