"""The five real reports: every cell, the metadata and the findings, against values read by hand
from the source files (spec §9). The seeds are read from ../shared/seeds and never copied here."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from ogi import forms
from ogi.model import Origin, State
from ogi.pipeline import parse

from .conftest import SEEDS, seed_path

# Cells that are not 0, read from the source tables. Every other key of the format is the number 0.
NONZERO = {
    "000": {},
    "001": {},
    "002": {
        "t2.normative.made": 4,
        "t2.normative.published": 4,
        "t2.normative.total": 4,
        "t2.licensing.prev": 11,
        "t2.licensing.change": -5,
        "t2.licensing.decisions": 31,
        "t2.other_services.prev": 138,
        "t2.other_services.change": 4,
        "t2.other_services.decisions": 245848,
        "t2.penalty.prev": 97,
        "t2.penalty.change": 45,
        "t2.penalty.decisions": 2,
        "t2.coercion.change": -3,
        "t2.fees.prev": 4,
        "t2.procurement.count": 92,
        "t2.procurement.amount": Decimal("532934.41"),
        "t3.new.natural": 3,
        "t3.new.total": 3,
        "t3.granted.natural": 1,
        "t3.granted.total": 1,
        "t3.unable.not_held.natural": 2,
        "t3.unable.not_held.total": 2,
        "t3.total.natural": 3,
        "t3.total.total": 3,
    },
    "003": {},
    "004": {
        "t2.licensing.prev": 59,
        "t2.licensing.change": -10,
        "t2.licensing.decisions": 11421,
        "t2.other_services.prev": 9,
        "t2.other_services.decisions": 431,
        "t3.new.natural": 2,
        "t3.new.commercial": 1,
        "t3.new.total": 3,
        "t3.granted.natural": 1,
        "t3.granted.total": 1,
        "t3.partial.commercial": 1,
        "t3.partial.total": 1,
        "t3.other.natural": 1,
        "t3.other.total": 1,
        "t3.total.natural": 2,
        "t3.total.commercial": 1,
        "t3.total.total": 3,
    },
}

META = {
    # organ, year, template, published, 索引号
    "000": ("高新区质安办", 2021, "2019", None, None),
    # 001 names no organ in a title, metadata block or signature: only "我委"/"投资区" in the text.
    "001": (None, 2022, "2021", None, None),
    "002": ("缙云县人力资源和社会保障局", 2020, "2019", dt.date(2021, 1, 11), None),
    "003": ("会宁县工业和信息化局", 2021, "2021", dt.date(2022, 1, 14), "GS1298/2022-18148"),
    "004": ("高港区行政审批局", 2019, "2019", dt.date(2020, 1, 19), "014421455/2020-00098"),
}

FINDINGS = {
    "000": {("FORMAT-YEAR", "error"), ("FEES-STATED", "warning")},  # 2021 report in the 2019 format
    "001": {("FORMAT-COMPLETE", "warning"), ("FEES-STATED", "warning")},  # "三、依申请公开办理情况情况"
    "002": set(),
    "003": {("FEES-STATED", "warning")},  # 六: "暂无其他需要报告的事项", no word on 信息处理费
    "004": set(),
}


@pytest.mark.parametrize("seed", SEEDS)
def test_every_cell(seed):
    record = parse(seed_path(seed))
    template = META[seed][2]
    assert list(record.cells)[: len(forms.keys(template))] == list(forms.keys(template))
    for key in forms.keys(template):
        cell = record.cells[key]
        expected = NONZERO[seed].get(key, 0)
        assert (key, cell.state, cell.value) == (key, State.number, expected)
        assert cell.origin is Origin.source
        assert cell.where is not None and cell.where.line is not None
    assert not record.extras


@pytest.mark.parametrize("seed", SEEDS)
def test_metadata(seed):
    meta = parse(seed_path(seed)).meta
    assert (meta.organ, meta.year, meta.template, meta.published, meta.index_no) == META[seed]
    assert len(meta.sha256) == 64


@pytest.mark.parametrize("seed", SEEDS)
def test_findings(seed):
    record = parse(seed_path(seed))
    assert {(f.rule, f.severity.value) for f in record.findings} == FINDINGS[seed]


@pytest.mark.parametrize("seed", SEEDS)
def test_six_sections_in_order(seed):
    record = parse(seed_path(seed))
    assert [s.number for s in record.sections] == [1, 2, 3, 4, 5, 6]


def test_seed_001_heading_named():
    record = parse(seed_path("001"))
    finding = next(f for f in record.findings if f.rule == "FORMAT-COMPLETE")
    assert "依申请公开办理情况情况" in finding.message
    assert record.section(3).standard is False


def test_seed_002_traditional_and_pinyin():
    record = parse(seed_path("002"))
    assert record.meta.traditional and record.meta.pinyin_removed > 50
    overview = record.section(1).text
    assert "关于政府信息公开工作的要求" in overview and "(guān)" not in overview
    change = record.cells["t2.licensing.change"]
    assert (change.raw, change.value, change.where.line) == ("减5", -5, 15)
    amount = record.cells["t2.procurement.amount"]
    assert (amount.raw, amount.where.line) == ("532934.41", 26)


def test_seed_004_provenance():
    record = parse(seed_path("004"))
    cell = record.cells["t3.new.commercial"]
    assert (cell.value, cell.where.line, cell.where.col) == (1, 33, 2)
    assert record.cells["t2.licensing.change"].raw == "-10"


def test_seed_001_sections_keep_text():
    record = parse(seed_path("001"))
    assert "投资区主动公开政府信息数140条" in record.section(1).text
    assert record.section(6).text == "2022年度,投资区无其他需要报告的事项。"
