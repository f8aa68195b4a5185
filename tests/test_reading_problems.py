"""Reading problems (读取问题) are not findings against the report (审核发现), issue #10.

What ogi could not read goes to ``record.problems`` (kind "reading"), in the JSON contract, the CLI, the
corpus and the web app apart from the findings, and never counts as the organ's error. Inputs are
written here from known cells, so every expectation comes from the source, not from ogi's output.
"""

from __future__ import annotations

import json
import random
import re

from typer.testing import CliRunner

from ogi import forms
from ogi.audit import assess
from ogi.cli import app
from ogi.model import Origin, Severity, State
from ogi.pipeline import parse
from ogi.render import make_record, render_text

runner = CliRunner()


def _generated() -> str:
    return render_text(make_record(random.Random(4), "2021", 2022, "示例县交通运输局"), "pipe")


def _unplaceable() -> str:
    """A clean generated report but for two table-3 rows that lost cells (4 and 3 values for 7 columns):
    several placements fit the identities, so ogi cannot read them."""
    text = re.sub(r"（一）予以公开 \|[^\n]*", "（一）予以公开 | 13 | 1 | 3 | 17", _generated())
    partial = "（二）部分公开（区分处理的，只计这一情形，不计其他情形）"
    return re.sub(re.escape(partial) + r" \|[^\n]*", partial + " | 6 | 1 | 7", text)


def test_an_unread_row_is_a_reading_problem_not_an_error():
    record = parse(_unplaceable().encode(), "t.txt")
    keys = [f"t3.granted.{c.key}" for c in forms.T3_COLUMNS]
    assert all(record.cells[k].state is State.unreadable for k in keys)
    (problem,) = [p for p in record.problems if "t3.granted.total" in p.keys]
    assert (problem.rule, problem.kind, problem.severity) == ("CELL-TYPE", "reading", Severity.warning)
    assert all(f.kind == "finding" for f in record.findings)
    assert not any(f.severity is Severity.error for f in record.findings)


def test_json_contract_has_problems_beside_findings():
    data = json.loads(runner.invoke(app, ["parse", "-"], input=_unplaceable()).stdout)
    assert [p["kind"] for p in data["problems"]] and {p["kind"] for p in data["problems"]} == {"reading"}
    assert all(f["kind"] == "finding" for f in data["findings"])
    assert any("t3.granted.natural" in p["cells"] for p in data["problems"])


def test_check_shows_reading_problems_apart_and_exit_counts_only_findings():
    # The other table-3 rows add up once the unread row is left out: no finding against the report.
    result = runner.invoke(app, ["check", "-", "--no-tables"], input=_unplaceable())
    assert "读取问题" in result.stdout and "请对照原文核对" in result.stdout
    assert result.exit_code == 0, result.stdout


def test_a_missing_heading_with_its_table_is_a_reading_problem():
    text = _generated().replace("二、主动公开政府信息情况\n", "")
    record = parse(text.encode(), "t.txt")
    assert 2 not in {s.number for s in record.sections} and record.value("t2.normative.in_force") == 38
    assert not any(f.rule == "FORMAT-COMPLETE" for f in record.findings)
    (problem,) = [p for p in record.problems if p.rule == "FORMAT-COMPLETE"]
    assert "未能识别第二部分" in problem.message and problem.kind == "reading"


def test_a_section_really_lacking_is_a_finding_that_says_why():
    text = re.sub(r"五、[^\n]*\n", "", _generated())
    record = parse(text.encode(), "t.txt")
    (finding,) = [f for f in record.findings if f.rule == "FORMAT-COMPLETE"]
    assert finding.severity is Severity.error and "缺少第五部分" in finding.message and "全文未见" in finding.message
    assert not any(p.rule == "FORMAT-COMPLETE" for p in record.problems)


def test_ocr_digits_breaking_an_identity_are_a_reading_problem():
    record = make_record(random.Random(4), "2021", 2022, "示例县交通运输局")
    record = parse(render_text(record, "pipe").encode(), "t.txt")
    for cell in record.cells.values():
        if cell.state is State.number:
            cell.origin = Origin.ocr
    record.cells["t3.new.natural"].value += 1  # an OCR slip
    findings, problems = assess(record)
    assert not any(f.severity is Severity.error and f.rule.startswith("T3") for f in findings)
    slips = [p for p in problems if p.rule in ("T3-BALANCE", "T3-COLUMNS")]
    assert slips and all("文字识别" in p.message and p.kind == "reading" for p in slips)


def test_a_correction_clears_the_reading_problem_of_its_cells():
    record = parse(_unplaceable().encode(), "t.txt")
    truth = make_record(random.Random(4), "2021", 2022, "示例县交通运输局")
    for column in (c.key for c in forms.T3_COLUMNS):
        cell = record.cells[f"t3.granted.{column}"]
        cell.value, cell.state, cell.origin = truth.value(cell.key), State.number, Origin.corrected
    findings, problems = assess(record)
    assert not any("t3.granted.total" in p.keys for p in problems)
    assert any("t3.partial.total" in p.keys for p in problems)
    assert not any(f.severity is Severity.error for f in findings)


def test_corpus_keeps_reading_problems_apart_and_reviews_them(corpus):
    record = parse(_unplaceable().encode(), "t.txt")
    report_id = corpus.add(record, _unplaceable().encode()).id
    reading = corpus.findings(report_id, limit=None, reading=True)
    assert reading and {f.kind for f in reading} == {"reading"}
    assert all(f.kind == "finding" for f in corpus.findings(report_id, limit=None))
    (row,) = [r for r in corpus.reports() if r.id == report_id]
    assert row.errors == sum(1 for f in record.findings if f.severity is Severity.error)
    corpus.review_finding(reading[0].id, "confirmed", who="审核员")
    assert corpus.findings(report_id, limit=None, reading=True)[0].status == "confirmed"
    stored = corpus.get(report_id)
    assert [p.message for p in stored.problems] == [p.message for p in record.problems]
    corpus.set_cell(report_id, "t3.granted.natural", "1", who="审核员")
    assert any("t3.granted.total" in f.keys for f in corpus.findings(report_id, limit=None, reading=True))


def test_corpus_stores_an_unread_cells_candidates(corpus):
    from decimal import Decimal

    record = parse(_unplaceable().encode(), "t.txt")
    record.cells["t2.normative.issued"].candidates = [13, Decimal("575394432.52")]
    report_id = corpus.add(record).id
    assert corpus.get(report_id).cells["t2.normative.issued"].candidates == [13, Decimal("575394432.52")]


def test_a_flattened_pages_reading_problems_are_stored_and_listed_as_such(corpus):
    """The notes of the flattened-page reader (cells left with candidates) are 读取问题 in the corpus too:
    listed apart, never among the findings or their counts."""
    from ogi.render.damage import crawler_page

    record = make_record(random.Random(5), "2019", 2020, "临江县教育局")
    parsed = parse(crawler_page(record, "glued", seed=5).encode(), "page.txt")
    unread = {k for k, c in parsed.cells.items() if c.candidates}
    assert unread, "this page leaves some cells with several readings"
    report_id = corpus.add(parsed).id
    problems = corpus.findings(report_id, limit=None, reading=True)
    assert {f.kind for f in problems} == {"reading"}
    assert unread <= {k for f in problems for k in f.keys}
    assert not [f for f in corpus.findings(report_id, limit=None) if set(f.keys) & unread]
    # The list's own filter: reports with a reading problem still to check, apart from the findings' filters.
    clean = make_record(random.Random(6), "2019", 2020, "临江县财政局")
    clean_id = corpus.add(parse(render_text(clean, "pipe").encode(), "clean.txt")).id
    assert corpus.findings(clean_id, limit=None, reading=True) == []
    assert corpus.count() == 2 and [r.id for r in corpus.reports(reading=True)] == [report_id]
