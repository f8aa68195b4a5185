"""Crawler page text with the whole body on one line (damaged-reports §1, §2; issue #10).

Expectations come from the page itself (tests/data/issue-10-flattened-page.txt, the example of the
spec) or from the generated records behind ogi.render.damage.crawler_page — never from the parser.
A wrong number fails a test; a cell left unread is allowed, with its reason and its candidates.
"""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ogi import forms, repair
from ogi.model import Record, Severity, State
from ogi.pipeline import parse
from ogi.read.text import crawler_header
from ogi.render import make_record
from ogi.render.damage import BROKEN_PATTERNS, PAGE_PATTERNS, break_identities, crawler_page, flatten_page

from .conftest import SEEDS, seed_path

PAGE = Path(__file__).parent / "data" / "issue-10-flattened-page.txt"
APPLICANTS = [c.key for c in forms.T3_COLUMNS]


def row(record: Record, key: str) -> list:
    return [record.cells[f"t3.{key}.{c}"].value for c in APPLICANTS]


def test_spec_page_gives_metadata_sections_and_the_cells_its_identities_fix():
    record = parse(PAGE.read_bytes(), PAGE.name)
    assert (record.meta.organ, record.meta.year, record.meta.template) == ("示例县交通运输局", 2022, "2021")
    assert record.meta.published == dt.date(2023, 1, 16)
    assert [s.number for s in record.sections] == [1, 2, 3, 4, 5, 6]
    assert record.section(3).heading == "三、收到和处理政府信息公开申请情况"
    assert record.section(4).heading == "四、政府信息公开行政复议、行政诉讼情况"  # not "四、结转下年度继续办理"
    assert row(record, "new") == [12, 0, 0, 0, 1, 0, 13]
    assert row(record, "carried_in") == [1, 0, 0, 0, 0, 0, 1]
    assert row(record, "granted") == [6, 0, 0, 0, 1, 0, 7]
    assert row(record, "partial") == [2, 0, 0, 0, 0, 0, 2]
    assert row(record, "denied.state_secret") == [0] * 7  # "0000000…": the ellipsis is no sub-row number
    assert row(record, "total") == [13, 0, 0, 0, 1, 0, 14]
    assert row(record, "carried_out") == [0] * 7
    assert [record.value(k) for k in forms.T4_KEYS] == [1, 0, 0, 0, 1] + [0] * 10
    assert [record.value(f"t2.rules.{c}") for c in ("issued", "repealed", "in_force")] == [0, 0, 0]
    assert [record.value(f"t2.{r}.decisions") for r in ("licensing", "penalty", "coercion")] == [1206, 53, 0]
    # "3114" has several readings and no identity: unread, the readings kept, none promoted.
    normative = [record.cells[f"t2.normative.{c}"] for c in ("issued", "repealed", "in_force")]
    assert all(c.state is State.unreadable and c.value is None for c in normative)
    assert [c.candidates[0] for c in normative] == [3, 1, 14]
    assert 31 in normative[0].candidates and 4 in normative[2].candidates
    assert not [f for f in record.findings if f.severity is Severity.error]


def test_crawler_header_block_gives_hints_and_skips_empty_fields():
    text = PAGE.read_text()
    assert crawler_header(text) == {
        "title": "示例县交通运输局2022年政府信息公开工作年度报告",
        "published": "2023-01-16 09:30",
        "url": "https://www.example.gov.cn/zwgk/ndbg/202301/t20230116_1.htm",
    }


def test_whole_table_identities_fix_what_one_row_cannot():
    runs = ["120001013", "1000001", "130001014", "0000000"]  # new, carried_in, total, carried_out
    alone = repair.read_runs(runs[:1], 7, repair.T3_ROW)
    assert alone.cells[0][0].value is None and 12 in alone.cells[0][0].candidates
    balance = repair.ColumnIdentity((0, 1), (2, 3))  # new + carried_in == total + carried_out
    table = repair.read_runs(runs, 7, repair.T3_ROW, [balance])
    assert [c.value for c in table.cells[0]] == [12, 0, 0, 0, 1, 0, 13]
    assert not table.broken


def test_a_run_of_several_readings_keeps_at_most_five_candidates_and_no_value():
    reading = repair.read_runs(["1234567"], 3)
    for cell in reading.cells[0]:
        assert cell.value is None and 2 <= len(cell.candidates) <= repair.MAX_CANDIDATES
    assert [c.value for c in repair.read_runs(["000"], 3).cells[0]] == [0, 0, 0]
    assert [c.value for c in repair.read_runs(["123"], 3).cells[0]] == [1, 2, 3]


def test_spaces_separate_only_when_every_row_shows_it():
    spaced = repair.read_runs(["12 0 0 0 1 0 13", "1 0 0 0 0 0 1"], 7, repair.T3_ROW)
    assert spaced.direct == [True, True]
    assert [c.value for c in spaced.cells[0]] == [12, 0, 0, 0, 1, 0, 13]
    some = repair.read_runs(["12 0 0 0 1 0 13", "1000001"], 7, repair.T3_ROW)
    assert some.direct == [False, False]  # only some rows spaced: the spaces may be padding
    assert all(c.value in (None, v) for c, v in zip(some.cells[0], [12, 0, 0, 0, 1, 0, 13]))
    padded = repair.read_runs(["1 20 0 01 013", "12 0 0 0 1 0 13"], 7, repair.T3_ROW)
    assert padded.direct == [False, False]  # "1 20 0 01 013" has 5 pieces: the spaces are padding
    assert [c.value for c in padded.cells[0]][2:4] == [0, 0]
    assert all(c.value in (None, v) for c, v in zip(padded.cells[0], [12, 0, 0, 0, 1, 0, 13]))
    assert [c.value for c in repair.read_runs(["12&nbsp;0\u30000\xa00 1 0 13"], 7).cells[0]] == [12, 0, 0, 0, 1, 0, 13]


def test_a_report_that_breaks_its_own_identity_is_not_repaired():
    # 总计 printed 0: the row identity fails, the column identities still hold.
    runs = ["120001000", "0000000", "120001000", "0000000"]
    reading = repair.read_runs(runs, 7, repair.T3_ROW, [repair.ColumnIdentity((0, 1), (2, 3))])
    assert reading.broken
    for cells in reading.cells:
        assert all(c.value in (None, v) for c, v in zip(cells, [12, 0, 0, 0, 1, 0, 0])) or cells[0].value == 0
    assert reading.cells[0][6].value == 0  # the total as printed, not "repaired" to 13
    # Table 4 with the review total printed 0: the suits still add up and are read.
    t4 = repair.read_runs(["1210000000000000"], 15, repair.T4_ROW)
    assert t4.broken
    assert [c.value for c in t4.cells[0][5:]] == [0] * 10
    assert t4.cells[0][0].value is None and 12 in t4.cells[0][0].candidates


def _compare(record: Record, parsed: Record) -> tuple[int, int, int]:
    """(exact, wrong, cells) over tables 3 and 4; asserts what every cell left unread must carry."""
    exact = wrong = total = 0
    reported = {k for f in parsed.problems for k in f.keys}
    for key, truth in record.cells.items():
        got = parsed.cells[key]
        assert len(got.candidates) <= repair.MAX_CANDIDATES
        if got.state is State.number:
            assert not got.candidates
            wrong += got.value != truth.value
            exact += key.startswith(("t3.", "t4.")) and got.value == truth.value
        else:
            assert got.state is State.unreadable and key in reported
        total += key.startswith(("t3.", "t4."))
    assert all(f.severity is not Severity.error for f in parsed.problems)  # our reading, never the organ's error
    assert all(f.kind == "reading" for f in parsed.problems)
    return exact, wrong, total


@pytest.mark.parametrize("template, year", [("2019", 2020), ("2021", 2023)])
@pytest.mark.parametrize("pattern", PAGE_PATTERNS)
def test_every_pattern_round_trips_without_a_wrong_number(pattern, template, year):
    rng = random.Random(f"{pattern}{template}")
    exact = total = 0
    for i in range(6):
        record = make_record(rng, template, year, "示例县统计局")
        broken = False
        if pattern in BROKEN_PATTERNS:
            record, broken = break_identities(record, pattern, rng)
        parsed = parse(crawler_page(record, pattern, seed=i).encode(), f"{pattern}-{i}.txt")
        assert (parsed.meta.organ, parsed.meta.year, parsed.meta.template) == ("示例县统计局", year, template)
        assert [s.number for s in parsed.sections] == [1, 2, 3, 4, 5, 6]
        good, wrong, cells = _compare(record, parsed)
        assert wrong == 0
        exact, total = exact + good, total + cells
        if not broken:
            assert not [f.rule for f in parsed.findings if f.severity is Severity.error]
    assert exact / total >= 0.9, f"{exact}/{total}"  # the figures over 2,000 reports: bench/bench_damaged.py


def test_the_broken_identity_is_reported_as_the_finding_it_is():
    for seed in range(3):
        rng = random.Random(seed)
        record, changed = break_identities(make_record(rng, "2021", 2022, "示例县统计局"), "total_row", rng)
        parsed = parse(crawler_page(record, "glued", seed=seed).encode(), "broken.txt")
        assert changed and _compare(record, parsed)[1] == 0
        assert "T3-TOTAL" in {f.rule for f in parsed.findings if f.severity is Severity.error}


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10**6), pattern=st.sampled_from(PAGE_PATTERNS), template=st.sampled_from(["2019", "2021"]))
def test_no_generated_page_gives_a_wrong_number(seed, pattern, template):
    rng = random.Random(seed)
    record = make_record(rng, template, 2020 if template == "2019" else 2022, "示例县统计局", blanks=0.0)
    if pattern in BROKEN_PATTERNS:
        record, _ = break_identities(record, pattern, rng)
    parsed = parse(crawler_page(record, pattern, seed=seed).encode(), "page.txt")
    assert _compare(record, parsed)[1] == 0


def test_a_repeated_group_label_is_not_a_heading():
    record = make_record(random.Random(3), "2021", 2022, "示例县统计局")
    page = crawler_page(record, "glued", seed=3).replace("(三)不予公开", "三、本年度办理结果(三)不予公开")
    page = page.replace("（三）不予公开", "三、本年度办理结果（三）不予公开")
    parsed = parse(page.encode(), "repeat.txt")
    assert [s.number for s in parsed.sections] == [1, 2, 3, 4, 5, 6]
    assert _compare(record, parsed)[1] == 0
    assert row(parsed, "denied.state_secret") == row(record, "denied.state_secret")


def test_a_page_whose_tables_cannot_be_cut_still_gives_the_report():
    record = make_record(random.Random(4), "2021", 2022, "示例县统计局")
    page = crawler_page(record, "glued", seed=4)
    start, end = page.index("申请人情况"), page.index("四、政府信息公开行政复议")
    table = page[start:end]
    for r in forms.T3_ROWS["2021"]:  # every table-3 label gone: nothing to cut the table by
        table = table.replace(r.cores[0], "某项")
    page = page[:start] + table + page[end:]
    parsed = parse(page.encode(), "labels-gone.txt")
    assert parsed.meta.organ == "示例县统计局" and len(parsed.sections) == 6
    assert _compare(record, parsed)[1] == 0
    assert parsed.cells["t4.review.total"].value == record.value("t4.review.total")


@pytest.mark.parametrize("prefix", SEEDS)
def test_flattened_seed_tables_3_and_4_read_as_the_seed(prefix):
    path = seed_path(prefix)
    whole = parse(path.read_bytes(), path.name)
    flat = parse(flatten_page(path.read_text(encoding="utf-8")).encode(), path.name)
    for key, cell in whole.cells.items():
        if key.startswith(("t3.", "t4.")):
            assert (flat.cells[key].state, flat.cells[key].value) == (cell.state, cell.value), key


def test_a_page_that_lost_its_headings_still_gives_its_tables():
    record = make_record(random.Random(3), "2021", 2023, "示例县统计局")
    page = crawler_page(record, "glued", seed=3)
    for numeral, section in zip("一二三四五六", forms.SECTIONS):
        for wording in (section.title, *section.accepted, "政府信息公开行政复议、行政诉讼情况"):
            page = page.replace(f"{numeral}、{wording}", "")
    parsed = parse(page.encode(), "no-headings.txt")
    assert parsed.sections == [] and parsed.meta.organ == "示例县统计局"
    good, wrong, cells = _compare(record, parsed)
    assert wrong == 0 and good / cells > 0.9


def test_a_page_whose_tables_are_images_gives_its_sections_and_missing_cells():
    record = make_record(random.Random(3), "2021", 2023, "示例县统计局")
    page = crawler_page(record, "glued", seed=3)
    for begin, end in (
        ("第二十条", "三、收到"),
        ("勾稽关系", "四、政府信息公开行政复议"),
        ("行政复议行政诉讼", "五、"),
    ):
        page = page[: page.index(begin)] + page[page.index(end) :]
    parsed = parse(page.encode(), "tables-as-images.txt")
    assert [s.number for s in parsed.sections] == [1, 2, 3, 4, 5, 6]
    assert {c.state for c in parsed.cells.values()} == {State.missing}


def test_a_typo_in_a_label_keeps_the_row_by_its_place_in_the_table():
    page = PAGE.read_text().replace("(一)予以公开", "(一)子以公开").replace("（一）予以公开", "（一）子以公开")
    page = page.replace("二、上年结转政府信息公开申请数量", "二、上年结专政府信息公开申请数")
    record = parse(page.encode(), "typo.txt")
    assert row(record, "granted") == [6, 0, 0, 0, 1, 0, 7]
    assert row(record, "carried_in") == [1, 0, 0, 0, 0, 0, 1]


def test_style_sheet_debris_and_the_crawler_header_stay_out_of_the_sections():
    record = make_record(random.Random(8), "2019", 2020, "示例县统计局")
    for seed in range(20):  # the generator adds debris to about half of its pages
        page = crawler_page(record, "glued", seed=seed)
        if "MsoNormalTable" in page:
            break
    parsed = parse(page.encode(), "debris.txt")
    assert "MsoNormalTable" in page
    assert not any("mso-" in s.text or "原文链接" in s.text for s in parsed.sections)
    assert parsed.meta.title == record.meta.title and parsed.meta.published == record.meta.published
