"""parse(render_text(record)) == record, for generated reports in every text layout (issue #2 tests).

The records come from ``ogi.render.sample`` with known cells; the parser must give back every cell
(value and state: a blank stays blank, never 0) and the meta (organ, year, format, publication date),
also in traditional characters with mirror-site pinyin. Each injected error must produce its rule.
"""

from __future__ import annotations

import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ogi.model import Record, Severity, State
from ogi.pipeline import parse
from ogi.render.sample import INJECTABLE, inject, make_record
from ogi.render.text import LAYOUTS, render_text

from .strategies import seeds, specs, text_cases

META = ("organ", "year", "template", "published")
ROUND_TRIP = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def differences(expected: Record, got: Record) -> list[str]:
    out = []
    for key, cell in expected.cells.items():
        back = got.cells.get(key)
        if back is None:
            out.append(f"{key}: absent")
        elif (back.value, back.state) != (cell.value, cell.state) or (cell.unit and back.unit != cell.unit):
            out.append(
                f"{key}: expected {cell.value!r}/{cell.state.value} got {back.value!r}/{back.state.value} ({back.raw!r})"
            )
    out += [
        f"meta.{f}: expected {getattr(expected.meta, f)!r} got {getattr(got.meta, f)!r}"
        for f in META
        if getattr(expected.meta, f) != getattr(got.meta, f)
    ]
    return out


def serious(record: Record) -> set[str]:
    return {f.rule for f in record.findings if f.severity in (Severity.error, Severity.warning)}


@ROUND_TRIP
@given(text_cases())
def test_every_layout_round_trips(case):
    record = case.spec.build()
    text = render_text(record, case.layout, traditional=case.traditional, pinyin=case.pinyin, seed=case.seed)
    back = parse(text.encode("utf-8"), "x.txt")
    assert differences(record, back) == []
    assert serious(back) == set(), [f.message for f in back.findings]


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("template", ["2019", "2021"])
def test_each_layout_and_format(layout, template):
    """A fixed spread of cases per layout, so a failure names the layout even without Hypothesis."""
    for seed in range(6):
        rng = random.Random(seed)
        year = 2020 if template == "2019" else 2022
        record = make_record(rng, template, year, "会宁县工业和信息化局", blanks=(0.0, 0.3)[seed % 2])
        for traditional, pinyin in ((False, False), (True, True)):
            text = render_text(record, layout, traditional=traditional, pinyin=pinyin, seed=seed)
            assert differences(record, parse(text.encode("utf-8"), "x.txt")) == [], (seed, traditional)


def test_blank_cells_come_back_blank_not_zero():
    record = make_record(random.Random(7), "2021", 2022, "缙云县财政局", blanks=1.0)
    blank = [k for k, c in record.cells.items() if c.state is State.blank]
    assert len(blank) > 100  # the generator blanks every zero cell the narrative does not cite
    back = parse(render_text(record, "pipe", seed=1).encode(), "x.txt")
    assert {k: back.cells[k].state for k in blank} == dict.fromkeys(blank, State.blank)


@settings(max_examples=60, deadline=None)
@given(specs(), st.sampled_from(INJECTABLE), seeds, st.sampled_from(LAYOUTS))
def test_injected_error_produces_its_rule(spec, rule, seed, layout):
    record = spec.build()
    if rule == "FEES-STATED" and record.meta.year < 2021:
        rule = "DEADLINE"
    broken, keys = inject(record, rule, random.Random(seed))
    back = parse(render_text(broken, layout, seed=seed).encode("utf-8"), "x.txt")
    fired = [f for f in back.findings if f.rule == rule and f.severity is not Severity.info]
    assert fired, (rule, [f.message for f in back.findings])
    assert set(keys) <= {k for f in fired for k in f.keys}
    assert serious(back) == {rule}, [f.message for f in back.findings]
