"""Converter markdown (damaged-reports §3, issue #10): table 3 cut into small tables at page breaks under
repeated or generic headers, value rows detached from their labels, table 4 as three small tables under
``###`` headings, headings as ``##`` lines. Every pattern reads back exactly, both formats."""

from __future__ import annotations

import random

import pytest

from ogi import forms
from ogi.model import State
from ogi.pipeline import parse
from ogi.render import make_record
from ogi.render.markdown import PATTERNS, render_markdown

_UNFILLED = (State.blank, State.not_applicable)


def _same(parsed, truth) -> bool:
    if parsed is None or parsed.value != truth.value:
        return False
    return parsed.state is truth.state or (parsed.state in _UNFILLED and truth.state in _UNFILLED)


@pytest.mark.parametrize("pattern", PATTERNS)
@pytest.mark.parametrize("template", ["2019", "2021"])
def test_markdown_pattern_reads_back_exactly(pattern, template):
    rng = random.Random(f"{pattern}-{template}")
    for i in range(4):
        record = make_record(rng, template, 2020 if template == "2019" else 2022, f"示例县第{i}局")
        parsed = parse(render_markdown(record, pattern, seed=i).encode(), f"{pattern}-{i}.md")
        assert [s.number for s in parsed.sections] == [1, 2, 3, 4, 5, 6]
        wrong = [k for k in forms.keys(template) if not _same(parsed.cells.get(k), record.cells[k])]
        assert wrong == [], (pattern, i)
        assert not [f for f in parsed.findings if f.severity.value == "error"], (pattern, i)
        assert not [f for f in parsed.findings + parsed.problems if f.rule == "FORMAT-COMPLETE"], (pattern, i)


def test_table4_under_group_headings_is_placed_by_its_headings():
    record = make_record(random.Random(8), "2021", 2022, "示例县交通运输局")
    for key in forms.T4_KEYS:  # a distinct number in every cell: a shifted group would show
        record.cells[key].value, record.cells[key].state = 0, State.number
    for g, group in enumerate(("review", "suit_direct", "suit_after")):
        record.cells[f"t4.{group}.upheld"].value = g + 1
        record.cells[f"t4.{group}.total"].value = g + 1
    text = render_markdown(record, "t4_groups", seed=1)
    assert "### 行政诉讼（复议后起诉）" in text
    parsed = parse(text.encode(), "t4.md")
    assert [parsed.value(k) for k in forms.T4_KEYS] == [record.value(k) for k in forms.T4_KEYS]
