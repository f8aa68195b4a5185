"""The report generator (src/ogi/render/sample.py): complete, consistent, realistic; one rule per injection.

The identities are recomputed here from spec §6, not taken from the audit, so the generator and the
audit check each other.
"""

from __future__ import annotations

import random
import statistics

import opencc
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ogi import forms
from ogi.audit import audit
from ogi.model import Severity, State
from ogi.render.sample import DEPARTMENTS, INJECTABLE, PLACES, deadline, inject, make_record, random_record

from .strategies import seeds, specs

APPLICANTS = ("natural", "commercial", "research", "social", "legal", "other")
COLUMNS = APPLICANTS + ("total",)


def v(record, key) -> int:
    value = record.value(key)
    return 0 if value is None else value  # a blank reads as 0 (spec §5)


def identity_errors(record) -> list[str]:
    t, out = record.meta.template, []
    results = forms.t3_result_rows(t, record.cells)
    for c in COLUMNS:
        handled = v(record, f"t3.new.{c}") + v(record, f"t3.carried_in.{c}")
        if handled != v(record, f"t3.total.{c}") + v(record, f"t3.carried_out.{c}"):
            out.append(f"T3-BALANCE {c}")
        if sum(v(record, f"t3.{r}.{c}") for r in results) != v(record, f"t3.total.{c}"):
            out.append(f"T3-TOTAL {c}")
    for row in forms.t3_rows(t, record.cells):
        if sum(v(record, f"t3.{row.key}.{c}") for c in APPLICANTS) != v(record, f"t3.{row.key}.total"):
            out.append(f"T3-COLUMNS {row.key}")
    for g in ("review", "suit_direct", "suit_after"):
        if sum(v(record, f"t4.{g}.{c}") for c in ("upheld", "corrected", "other", "pending")) != v(
            record, f"t4.{g}.total"
        ):
            out.append(f"T4-TOTAL {g}")
    return out


@settings(max_examples=200, deadline=None)
@given(specs())
def test_records_are_complete_and_consistent(spec):
    record = spec.build()
    assert list(record.cells) == list(forms.keys(spec.template))
    assert all(c.state in (State.number, State.blank) for c in record.cells.values())
    assert all((c.value is None) == (c.state is State.blank) for c in record.cells.values())
    assert identity_errors(record) == []
    counts = [c.value for k, c in record.cells.items() if c.value is not None and not forms.column_of(k).signed]
    assert all(x >= 0 for x in counts)
    meta = record.meta
    assert (meta.year, meta.template) == (spec.year, spec.template) and meta.organ == spec.organ
    assert meta.published <= deadline(meta.year, meta.is_government) and meta.published.year == meta.year + 1
    assert [s.number for s in record.sections] == [1, 2, 3, 4, 5, 6]
    new = record.value("t3.new.total")
    overview = record.section(1).text
    assert f"共收到政府信息公开申请{new}件" in overview or (new == 0 and "未收到政府信息公开申请" in overview)
    if meta.year >= 2021:
        assert "信息处理费" in record.section(6).text
    assert {f.rule for f in audit(record) if f.severity is not Severity.info} == set()


def test_money_has_decimals_and_changes_go_both_ways():
    rng = random.Random(1)
    r19 = [make_record(rng, "2019", 2020, "会宁县财政局") for _ in range(80)]
    r21 = [make_record(rng, "2021", 2022, "会宁县财政局") for _ in range(80)]
    amounts = [r.value("t2.procurement.amount") for r in r19 if r.value("t2.procurement.count")]
    assert amounts and all(a == round(a, 2) and a > 0 for a in amounts)
    assert any(a != int(a) for a in amounts)  # like 532934.41 (seed 002)
    changes = [r.value(k) for r in r19 for k in forms.keys("2019") if k.endswith(".change")]
    assert min(changes) < 0 < max(changes)
    assert any(r.value("t2.fees.amount") not in (0, None) for r in r21)


def test_distributions_look_like_real_reports():
    rng = random.Random(2)
    records = [random_record(rng) for _ in range(400)]
    new = [r.value("t3.new.total") for r in records]
    assert 0.2 < sum(n == 0 for n in new) / len(new) < 0.6  # many organs receive no request
    assert statistics.median(new) <= 10 and max(new) > 200  # small counts, occasionally large
    zero = sum(c.value == 0 for r in records for c in r.cells.values()) / sum(len(r.cells) for r in records)
    assert zero > 0.6
    naturals = sum(v(r, "t3.new.natural") for r in records)
    assert naturals > 0.5 * sum(new)  # most applicants are natural persons


def test_organ_names_survive_traditional_and_back():
    s2t, t2s = opencc.OpenCC("s2t"), opencc.OpenCC("t2s")
    assert [n for n in PLACES + DEPARTMENTS if t2s.convert(s2t.convert(n)) != n] == []


@settings(max_examples=80, deadline=None)
@given(specs(), st.sampled_from([r for r in INJECTABLE if r != "FORMAT-COMPLETE"]), seeds)
def test_injection_breaks_exactly_its_rule(spec, rule, seed):
    """Straight through the audit; FORMAT-COMPLETE needs a reader and is checked by the round trip."""
    record = spec.build()
    if rule == "FEES-STATED" and spec.year < 2021:
        with pytest.raises(ValueError):
            inject(record, rule, random.Random(seed))
        return
    broken, keys = inject(record, rule, random.Random(seed))
    assert identity_errors(record) == []  # the original is untouched
    findings = [f for f in audit(broken) if f.severity is not Severity.info]
    assert {f.rule for f in findings} == {rule}, [f.message for f in findings]
    assert set(keys) <= {k for f in findings for k in f.keys}


def test_inconsistent_records_break_something():
    from ogi.pipeline import parse
    from ogi.render.text import render_text

    rng = random.Random(3)
    for _ in range(20):
        record = make_record(rng, "2021", 2022, "会宁县财政局", consistent=False)
        back = parse(render_text(record, "pipe").encode(), "x.txt")  # a dropped heading shows only in text
        assert any(f.severity is not Severity.info for f in back.findings)
