"""Docs kept honest by tests: the rule table and the record schema are generated, and must be current."""

from __future__ import annotations

import json

from ogi import forms
from ogi.rules import IDENTITIES, RULES, rules_markdown

from .conftest import ROOT


def test_rules_doc_is_current():
    assert (ROOT / "docs" / "rules.md").read_text(encoding="utf-8") == rules_markdown()


def test_schema_doc_is_current():
    from ogi.codebook import contract_schema  # what `ogi parse` prints (validated in test_codebook.py)

    assert json.loads((ROOT / "docs" / "record.schema.json").read_text(encoding="utf-8")) == contract_schema()


def test_rule_ids_are_the_specs():
    assert [r.id for r in RULES] == [
        "T3-BALANCE",
        "T3-TOTAL",
        "T3-COLUMNS",
        "T4-TOTAL",
        "CELL-TYPE",
        "FORMAT-YEAR",
        "FORMAT-COMPLETE",
        "TEXT-TABLE",
        "FEES-STATED",
        "DEADLINE",
        "XYEAR-CARRY",
        "XYEAR-IN-FORCE",
        "XYEAR-ITEMS",
        "XYEAR-COPY",
        "OUTLIER",
    ]


def test_identity_keys_exist_in_both_formats():
    every = set(forms.keys("2019")) & set(forms.keys("2021"))
    results = ("granted", "partial")  # result rows both formats have
    for ident in IDENTITIES:
        for x in ident.along(["new", "granted", "total"]):
            for side in ident.expand(x, results):
                assert set(side) <= every


def test_key_counts_match_the_spec():
    # spec §4: table 3 has 23 × 7 = 161 cells (2019) and 25 × 7 = 175 (2021); table 4 has 15.
    assert len(forms.t3_keys("2019")) == 161 and len(forms.t3_keys("2021")) == 175
    assert len(forms.T4_KEYS) == 15
    assert len(forms.t2_keys("2019")) == 22 and len(forms.t2_keys("2021")) == 10
