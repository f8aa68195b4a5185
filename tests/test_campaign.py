"""The reviewer's campaign in the corpus (issue 13): verdicts never lost, report review status, versions,
metadata corrections — on SQLite and, with OGI_PG_URL, on PostgreSQL."""

from __future__ import annotations

import sqlalchemy as sa

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
