"""The reviewer's campaign in the corpus (issue 13): verdicts never lost, report review status, versions,
metadata corrections — on SQLite and, with OGI_PG_URL, on PostgreSQL."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ogi.audit import audit

from .builders import record

# 本年新收 1 with nothing carried out: 表三 does not balance in the 自然人 and the 总计 column (T3-BALANCE twice).
UNBALANCED = {"t3.new.natural": 1, "t3.new.total": 1}
NATURAL = ["t3.new.natural", "t3.carried_in.natural", "t3.total.natural", "t3.carried_out.natural"]
TOTAL = ["t3.new.total", "t3.carried_in.total", "t3.total.total", "t3.carried_out.total"]


def _balance(corpus, rid: int, keys: list[str]):
    found = [f for f in corpus.findings(rid, limit=None) if f.rule == "T3-BALANCE" and f.keys == keys]
    return found[0] if found else None


def _review_rows(corpus) -> list[tuple]:
    with corpus.engine.connect() as conn:
        return [tuple(r) for r in conn.execute(sa.text("select id, status, comment from finding_reviews order by id"))]


def test_a_correction_keeps_the_verdicts_of_findings_that_stand_and_the_history_of_those_resolved(corpus):
    rid = corpus.add(record("泾县财政局", 2021, UNBALANCED)).id
    corpus.review_finding(_balance(corpus, rid, NATURAL).id, "confirmed", who="李四", comment="请单位核实")
    corpus.review_finding(_balance(corpus, rid, TOTAL).id, "confirmed", who="李四", comment="总计列也不平")
    # 总计 of the 自然人 column corrected to 1: that column balances now, the 总计 column still does not.
    corpus.set_cell(rid, "t3.total.natural", "1", who="李四", comment="原件为1")
    assert _balance(corpus, rid, NATURAL) is None
    still = _balance(corpus, rid, TOTAL)
    assert (still.status, still.reviewer, still.comment) == ("confirmed", "李四", "总计列也不平")
    history = corpus.review_history(rid)
    assert [(h["comment"], h["standing"]) for h in history] == [("请单位核实", False), ("总计列也不平", True)]
    assert history[0]["keys"] == NATURAL and history[0]["status"] == "confirmed"


def test_no_verdict_is_ever_deleted(corpus):
    """A re-audit (correction), a re-ingest (another parser version), a new version of the report and a
    cross-year refresh each leave every verdict row in place, unchanged."""
    first = record("泾县财政局", 2021, UNBALANCED, sha="v1")
    rid = corpus.add(first).id
    corpus.review_finding(_balance(corpus, rid, NATURAL).id, "confirmed", who="李四", comment="请单位核实")
    corpus.review_finding(_balance(corpus, rid, TOTAL).id, "dismissed", who="王五", comment="原件另有说明")
    given = _review_rows(corpus)
    assert len(given) == 2

    corpus.set_cell(rid, "t3.total.natural", "1", who="李四")  # resolves the 自然人 finding
    assert _review_rows(corpus) == given
    corpus.set_cell(rid, "t3.total.natural", "0", who="李四")  # and brings it back: its verdict with it
    assert _review_rows(corpus) == given
    assert _balance(corpus, rid, NATURAL).comment == "请单位核实"

    again = first.model_copy(deep=True)
    again.parser_version = "test-2"
    assert corpus.add(again).status == "reparsed"
    assert _review_rows(corpus) == given
    assert _balance(corpus, rid, TOTAL).status == "dismissed"

    newer = record("泾县财政局", 2021, {}, sha="v2")  # the organ's corrected resubmission
    corpus.add(newer)
    corpus.refresh()
    assert _review_rows(corpus) == given
    assert _balance(corpus, rid, NATURAL).status == "confirmed"


def test_reopening_is_a_verdict_too(corpus):
    rid = corpus.add(record("泾县财政局", 2021, UNBALANCED)).id
    target = _balance(corpus, rid, NATURAL)
    corpus.review_finding(target.id, "confirmed", who="李四", comment="请单位核实")
    corpus.review_finding(target.id, "open", who="李四", comment="再看看")
    corpus.set_cell(rid, "t2.rules.made", "1", who="李四")
    assert _balance(corpus, rid, NATURAL).status == "open"
    assert [h["status"] for h in corpus.review_history(rid)] == ["confirmed", "open"]


def _rules(corpus, rid: int) -> set[str]:
    return {f.rule for f in corpus.findings(rid, limit=None)}


def test_a_resubmitted_report_supersedes_the_older_in_lists_and_figures(corpus):
    first = record("泾县财政局", 2021, {"t3.new.natural": 2, "t3.new.total": 2}, sha="first")
    first.meta.published = dt.date(2022, 1, 20)
    second = record("泾县财政局", 2021, {"t2.rules.made": 1}, sha="second")
    second.meta.published = dt.date(2022, 2, 3)
    other = record("泾县教育局", 2021, {"t3.new.natural": 5, "t3.new.total": 5}, sha="other")
    # The resubmission arrives first: the publication date, not the arrival, makes it the newer.
    new_id = corpus.add(second).id
    old_id = corpus.add(first).id
    corpus.add(other)
    assert corpus.count() == 2 and corpus.count(versions=True) == 3
    assert {r.id for r in corpus.reports()} == {new_id, corpus.report_id_of("other")}
    old = corpus.report_row(old_id)
    assert old.superseded_by == new_id and corpus.report_row(new_id).superseded_by is None
    assert [v["id"] for v in corpus.versions(old_id)] == [old_id, new_id]
    # Figures count the current report only: 5 (教育局) + 0 (the resubmission), not the superseded 2.
    (row,) = corpus.totals("t3.new.total", by=())
    assert (row["t3.new.total"], row["reports"]) == (5, 2)


def test_correcting_organ_and_year_moves_the_report_and_its_cross_year_findings(corpus):
    # Last year's report of 临江县教育局 carries 3 applications over; this year's was misread as 临江上县 2022.
    last = record("浙江省临江县教育局", 2022, {"t3.new.natural": 3, "t3.new.total": 3})
    for c in ("natural", "total"):
        last.cells[f"t3.carried_out.{c}"].value = 3
        last.cells[f"t3.carried_out.{c}"].raw = "3"
    last.findings = audit(last)
    last_id = corpus.add(last).id
    misread = record("浙江省临江上县教育局", 2022, {}, sha="misread")  # reports 0 carried in: XYEAR-CARRY
    rid = corpus.add(misread).id
    assert "XYEAR-CARRY" not in _rules(corpus, rid)
    assert len(corpus.organs()) == 2  # the misreading made a second, fake organ

    corpus.set_meta(rid, "organ", "浙江省临江县教育局", who="李四", comment="OCR 误读")
    corpus.set_meta(rid, "year", "2023", who="李四")
    row = corpus.report_row(rid)
    assert (row.organ_id, row.year) == (corpus.report_row(last_id).organ_id, 2023)
    carry = [f for f in corpus.findings(rid, limit=None) if f.rule == "XYEAR-CARRY"]
    assert carry and {f.other_report_id for f in carry} == {last_id}
    log = corpus.meta_corrections(rid)
    assert [(m["field"], m["old_value"], m["new_value"], m["who"]) for m in log] == [
        ("organ", "浙江省临江上县教育局", "浙江省临江县教育局", "李四"),
        ("year", "2022", "2023", "李四"),
    ]
    # The misread organ has no report left: coverage no longer counts it as an organ that failed to report.
    names = {n for c in corpus.coverage(2023) for n in c["missing"]}
    assert not any("临江上县" in n for n in names)
    assert sum(c["reported"] for c in corpus.coverage(2023)) == 1
    assert [r.id for r in corpus.reports(year=2023)] == [rid]


def test_correcting_the_year_re_runs_format_year(corpus):
    rid = corpus.add(record("泾县财政局", 2019, {}, template="2021")).id
    assert "FORMAT-YEAR" in _rules(corpus, rid)
    corpus.set_meta(rid, "year", "2021", who="李四")
    assert "FORMAT-YEAR" not in _rules(corpus, rid)
    assert corpus.get(rid).meta.year == 2021


def test_deadline_by_organ_kind_and_the_reviewers_word(corpus):
    def published(organ: str, sha: str, day: dt.date) -> int:
        r = record(organ, 2022, {}, sha=sha)
        r.meta.published = day
        r.findings = audit(r)
        return corpus.add(r).id

    # 1 March: late for a department (1月31日), in time for an area's government (3月31日).
    area = published("江苏省泰州市医药高新区管委会", "area", dt.date(2023, 3, 1))
    dept = published("江苏省泰州市教育局", "dept", dt.date(2023, 3, 1))
    assert "DEADLINE" not in _rules(corpus, area)
    assert "DEADLINE" in _rules(corpus, dept)
    corpus.set_meta(dept, "government", "government", who="李四", comment="该局代行区政府职责")
    assert "DEADLINE" not in _rules(corpus, dept)
    corpus.set_meta(dept, "published", "2023-04-02", who="李四")  # the reviewer's word outlives other corrections
    assert "DEADLINE" in _rules(corpus, dept)
    (late,) = [f for f in corpus.findings(dept, limit=None) if f.rule == "DEADLINE"]
    assert late.expected == "≤2023-03-31"


def test_the_reviewer_sets_an_organs_deadline_class(corpus):
    r = record("江苏省泰州市滨江工业园区管委会", 2022, {}, sha="park")  # a 管委会, but no 新区/开发区: a department
    r.meta.published = dt.date(2023, 3, 1)
    r.findings = audit(r)
    rid = corpus.add(r).id
    organ_id = corpus.report_row(rid).organ_id
    assert "DEADLINE" in _rules(corpus, rid)
    assert corpus.set_organ_deadline(organ_id, True, who="李四", comment="园区管委会代行区政府职责") == 1
    assert "DEADLINE" not in _rules(corpus, rid)
    assert [r["state"] for r in corpus.deadlines(2022) if r["id"] == organ_id] == ["on_time"]
    corpus.set_organ_deadline(organ_id, None, who="李四")  # back to the kind: late again
    assert "DEADLINE" in _rules(corpus, rid)
    assert [(c["old_value"], c["new_value"], c["comment"]) for c in corpus.organ_changes(organ_id)] == [
        (None, "True", "园区管委会代行区政府职责"),
        ("True", None, None),
    ]


def test_metadata_corrections_survive_a_re_parse(corpus):
    r = record("临江上县教育局", 2022, {}, sha="same")
    rid = corpus.add(r).id
    corpus.set_meta(rid, "organ", "临江县教育局", who="李四")
    again = r.model_copy(deep=True)
    again.parser_version = "test-2"
    assert corpus.add(again).status == "reparsed"
    assert corpus.get(rid).meta.organ == "临江县教育局"


_OPERATIONS = ("review", "correct", "reparse", "new_version", "meta", "refresh")


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=st.lists(st.tuples(st.sampled_from(_OPERATIONS), st.integers(0, 3)), min_size=1, max_size=7))
def test_no_sequence_of_actions_deletes_a_verdict(tmp_path_factory, steps):
    """Whatever a reviewer and the ingest do, in any order, every verdict row stays as it was written."""
    from ogi.corpus import Corpus

    path = tmp_path_factory.mktemp("seq") / "corpus.db"
    with Corpus(str(path)) as corpus:
        base = record("泾县财政局", 2021, UNBALANCED, sha="v0")
        rid = corpus.add(base).id
        seen: list[tuple] = []
        for n, (operation, k) in enumerate(steps):
            if operation == "review":
                findings = corpus.findings(rid, limit=None)
                if findings:
                    target = findings[k % len(findings)]
                    corpus.review_finding(
                        target.id, ("confirmed", "dismissed", "open")[k % 3], who="李四", comment=f"意见{n}"
                    )
            elif operation == "correct":
                corpus.set_cell(
                    rid, ("t3.total.natural", "t3.total.total", "t2.rules.made", "t3.new.total")[k], str(k), who="李四"
                )
            elif operation == "reparse":
                again = base.model_copy(deep=True)
                again.parser_version = f"test-{n}"
                corpus.add(again)
            elif operation == "new_version":
                corpus.add(record("泾县财政局", 2021, {"t3.new.natural": k}, sha=f"v{n + 1}"))
            elif operation == "meta":
                corpus.set_meta(
                    rid,
                    ("year", "organ", "published", "government")[k],
                    ("2022", "泾县审计局", "2022-02-01", "government")[k],
                    who="李四",
                )
            else:
                corpus.refresh()
            now = _review_rows(corpus)
            assert now[: len(seen)] == seen
            seen = now
