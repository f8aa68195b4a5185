"""Crawler text that dropped every cell separator (spec §7), end to end through parse(): generated
reports with known cells are flattened, and every cell the parser stores must be right — the share
recovered is measured, the number recovered wrongly must be zero."""

from __future__ import annotations

import random
import re

import pytest

from ogi import forms
from ogi.model import Origin, State
from ogi.pipeline import parse
from ogi.render import make_record, render_text
from ogi.render.damage import (
    BROKEN_PATTERNS,
    PAGE_PATTERNS,
    break_identities,
    crawler_page,
    detached_markdown,
    flatten,
)


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


@pytest.mark.parametrize("pattern", PAGE_PATTERNS)
def test_crawler_page_is_a_header_block_then_the_body_on_one_line(pattern):
    record = make_record(random.Random(2), "2021", 2022, "示例县统计局")
    lines = crawler_page(record, pattern, seed=5).rstrip("\n").split("\n")
    assert lines[0] == f"标题: {record.meta.title}"
    assert lines[1].startswith(f"发布时间: {record.meta.published}")
    assert "正文" in lines[6]
    assert len(lines) == 8 or pattern == "paragraphs"  # the header, the marker, one line of body
    body = "".join(lines[7:])
    assert "|" not in body and "一、总体情况" in body and "六、其他需要报告的事项" in body
    new = "".join(str(record.value(f"t3.new.{c.key}")) for c in forms.T3_COLUMNS)
    squeezed = re.sub(r"&nbsp;|[\s\u3000]", "", body)
    assert ("申请数量" + new) in squeezed or pattern in ("zero_totals",)  # the row's digits, however spaced


def test_spaced_pages_separate_every_number_and_glued_pages_none():
    record = make_record(random.Random(9), "2021", 2022, "示例县统计局")
    spaced, glued = (crawler_page(record, p, seed=1).split("\n")[7] for p in ("spaced", "glued"))
    row = " ".join(str(record.value(f"t3.carried_in.{c.key}")) for c in forms.T3_COLUMNS)
    assert "申请数量" + row in spaced
    assert "申请数量" + row.replace(" ", "") in glued


@pytest.mark.parametrize("pattern", BROKEN_PATTERNS)
def test_break_identities_gives_the_report_its_own_error(pattern):
    rng = random.Random(1)
    record = make_record(rng, "2021", 2022, "示例县统计局")
    while not record.value("t3.new.total"):  # a table with applications: a 总计 to break
        record = make_record(rng, "2021", 2022, "示例县统计局")
    broken, changed = break_identities(record, pattern, rng)
    assert changed and broken is not record
    if pattern == "zero_totals":
        assert all(broken.value(f"t3.{r.key}.total") == 0 for r in forms.T3_ROWS["2021"])
    elif pattern == "t4_zero_totals":
        assert [broken.value(f"t4.{g.key}.total") for g in forms.T4_GROUPS] == [0, 0, 0]
        parts = ("upheld", "corrected", "other", "pending")
        assert any(broken.value(f"t4.{g.key}.{c}") for g in forms.T4_GROUPS for c in parts)  # beside outcomes
    else:  # the 总计 row is not the sum of the result rows in some column
        assert any(
            broken.value(f"t3.total.{c.key}")
            != sum(broken.value(f"t3.{r}.{c.key}") for r in forms.T3_RESULT_ROWS["2021"])
            for c in forms.T3_COLUMNS
        )
