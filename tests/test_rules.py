"""The rule catalogue bound to its checks: every rule has a check that exists, a way for the generated tests
to break it, and a row in docs/rules.md; each injector makes exactly its rule fire."""

from __future__ import annotations

import random

import pytest

from ogi import audit, crossyear
from ogi.audit import CHECKS
from ogi.model import Severity
from ogi.render.sample import INJECTORS, PAIR_INJECTORS, inject, inject_pair, make_record, previous_year
from ogi.rules import RULES

from .conftest import ROOT


def check_of(rule):
    return CHECKS.get(rule.check) if rule.single_report else getattr(crossyear, rule.check, None)


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.id)
def test_every_rule_has_a_check_an_injector_and_a_doc_row(rule):
    assert callable(check_of(rule))
    assert rule.id in (INJECTORS if rule.single_report else PAIR_INJECTORS)
    assert f"| `{rule.id}` |" in (ROOT / "docs" / "rules.md").read_text(encoding="utf-8")


def test_the_audit_runs_each_single_report_check_once():
    assert set(audit._IN_ORDER) == set(CHECKS.values()) and len(audit._IN_ORDER) == len(CHECKS)


def flat(findings):
    return [(f.rule, f.keys) for f in findings if f.severity is not Severity.info]


def consistent(template: str, seed: int):
    year = 2020 if template == "2019" else 2022
    return make_record(random.Random(seed), template, year, "缙云县教育局")


SINGLE = [
    (rule, template)
    for rule in INJECTORS
    for template in ("2019", "2021")
    if not (rule == "FEES-STATED" and template == "2019")
]


@pytest.mark.parametrize(("rule", "template"), SINGLE)
def test_an_injected_rule_fires_alone(rule, template):
    record = consistent(template, 11)
    assert flat(audit.audit(record)) == []
    # FORMAT-COMPLETE drops a heading (seen only once rendered: test_roundtrip_text) or a table-2 row;
    # seed 5 draws the row.
    broken, changed = inject(record, rule, random.Random(5 if rule == "FORMAT-COMPLETE" else 1))
    found = flat(audit.audit(broken))
    assert found and {r for r, _ in found} == {rule}, found
    assert set(changed) <= {k for _, keys in found for k in keys}


PAIRS = [
    ("XYEAR-CARRY", "2021"),
    ("XYEAR-CARRY", "2019"),
    ("XYEAR-IN-FORCE", "2021"),
    ("XYEAR-ITEMS", "2019"),
    ("XYEAR-COPY", "2021"),
    ("XYEAR-COPY", "2019"),
    ("OUTLIER", "2021"),
    ("OUTLIER", "2019"),
]


@pytest.mark.parametrize(("rule", "template"), PAIRS)
def test_an_injected_pair_fires_alone(rule, template):
    record = consistent(template, 12)
    assert [(f.rule, f.keys) for f in audit.audit(record, previous_year(record))] == []
    previous, changed = inject_pair(record, rule, random.Random(2))
    assert [(f.rule, f.keys) for f in audit.audit(record, previous)] == [(rule, changed)]


def test_pair_injectors_refuse_a_format_their_rule_does_not_compare():
    with pytest.raises(ValueError):
        inject_pair(consistent("2019", 1), "XYEAR-IN-FORCE", random.Random(1))
    with pytest.raises(ValueError):
        inject_pair(consistent("2021", 1), "XYEAR-ITEMS", random.Random(1))
