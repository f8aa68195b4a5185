"""Stored aggregates (corpus/summaries.py, issue #12 item 4): the figures they give are the figures the reports
give, they are never used once the data they come from changed, and SQLite never uses them."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from ogi.corpus import Corpus, summaries
from ogi.corpus.query import Filters
from tests.builders import generated, total
from tests.conftest import PG_URL, _reset_pg


@pytest.fixture
def pg():
    """A PostgreSQL corpus of generated reports after a full pass (which builds the aggregates)."""
    if not PG_URL:
        pytest.skip("OGI_PG_URL not set: the aggregates are PostgreSQL's")
    _reset_pg(PG_URL)
    records = generated(n_organs=6, years=(2019, 2020, 2021, 2022))
    with Corpus(PG_URL) as corpus:
        for r in records:
            corpus.add(r, refresh=False)
        corpus.refresh()
        yield corpus, records


def _usable(corpus: Corpus) -> bool:
    with corpus.engine.connect() as conn:
        return summaries.usable(conn)


def _from_reports(corpus: Corpus, fn):
    """``fn()`` answered from the reports themselves: the aggregates marked out of date for the call."""
    with corpus.engine.begin() as conn:
        conn.execute(sa.text("UPDATE summary_state SET valid = false"))
    try:
        return fn()
    finally:
        with corpus.engine.begin() as conn:
            conn.execute(sa.text("UPDATE summary_state SET valid = true"))


QUERIES = {
    "totals by year": lambda c: c.totals("t3.new.total", by=("year",)),
    "totals by year and province": lambda c: c.totals(
        ["t3.new.total", "t2.licensing.decisions"], by=("year", "province")
    ),
    "totals by kind, one year": lambda c: c.totals(["t3.granted.total", "t4.review.total"], by=("kind",), year=2021),
    "totals of a 2021-only key": lambda c: c.totals("t3.other.no_correction.total", by=("template", "year")),
    "totals in a province": lambda c: c.totals("t3.new.total", by=("year",), region="浙江省"),
    "rates by year": lambda c: c.rates(by=("year",)),
    "rates by province, one year": lambda c: c.rates(by=("province",), year=2022),
    "rates of one format": lambda c: c.rates(by=("kind",), template="2019"),
    "findings by rule": lambda c: c.findings_by_rule(),
    "findings by rule and year": lambda c: c.findings_by_rule(by=("year",)),
    "count": lambda c: [c.count()],
    "count of a year and a province": lambda c: [c.count(year=2021, region="甘肃省")],
}


@pytest.mark.parametrize("name", QUERIES)
def test_the_aggregates_give_what_the_reports_give(pg, name):
    corpus, _ = pg
    assert _usable(corpus)
    stored = QUERIES[name](corpus)
    assert stored == _from_reports(corpus, lambda: QUERIES[name](corpus))
    assert stored  # not an empty answer compared with another


def test_totals_equal_the_generated_records(pg):
    corpus, records = pg
    rows = {r["year"]: r for r in corpus.totals("t3.new.total", by=("year",))}
    for year in (2019, 2020, 2021, 2022):
        mine = [r for r in records if r.meta.year == year]
        assert rows[year]["t3.new.total"] == total(mine, "t3.new.total")
        assert rows[year]["reports"] == len(mine)


def test_only_the_four_dimensions_are_answered_from_them(pg):
    corpus, _ = pg
    with corpus.engine.connect() as conn:
        assert summaries.conditions(conn, ("year",), Filters(), summaries.summaries) == []
        assert summaries.conditions(conn, ("city",), Filters(), summaries.summaries) is None
        assert summaries.conditions(conn, (), Filters(region="会宁县"), summaries.summaries) is None
        assert summaries.conditions(conn, (), Filters(region="浙江"), summaries.summaries) is None  # a prefix
        assert summaries.conditions(conn, (), Filters(review="通过"), summaries.summaries) is None
        assert summaries.conditions(conn, (), Filters(versions=True), summaries.summaries) is None


def test_a_correction_puts_them_out_of_date_and_the_figures_follow_it(pg):
    corpus, records = pg
    report_id = corpus.reports(year=2021, limit=1)[0].id
    before = {r["year"]: r["t3.new.total"] for r in corpus.totals("t3.new.total", by=("year",))}
    old = corpus.get(report_id).cells["t3.new.total"].value
    corpus.set_cell(report_id, "t3.new.total", str(old + 1000), who="审核员")
    assert not _usable(corpus)
    after = {r["year"]: r["t3.new.total"] for r in corpus.totals("t3.new.total", by=("year",))}
    assert after[2021] == before[2021] + 1000 and after[2019] == before[2019]
    assert corpus.summarise() and _usable(corpus)
    assert {r["year"]: r["t3.new.total"] for r in corpus.totals("t3.new.total", by=("year",))} == after


def test_a_dismissed_finding_puts_them_out_of_date(pg):
    corpus, _ = pg
    finding = next(f for f in corpus.findings(limit=None) if f.kind == "finding")
    before = {(r["rule"], r["severity"]): r["findings"] for r in corpus.findings_by_rule()}
    corpus.review_finding(finding.id, "dismissed", who="审核员")
    assert not _usable(corpus)
    after = {(r["rule"], r["severity"]): r["findings"] for r in corpus.findings_by_rule()}
    assert after.get((finding.rule, finding.severity), 0) == before[(finding.rule, finding.severity)] - 1


def test_a_new_report_puts_them_out_of_date(pg):
    corpus, records = pg
    again = records[0].model_copy(deep=True)
    again.meta.organ = "浙江省缙云县新设局"
    again.meta.sha256 = "f" * 64
    corpus.add(again, refresh=False)
    assert not _usable(corpus)


def test_sqlite_never_uses_them(tmp_path):
    with Corpus(tmp_path / "c.db") as corpus:
        for r in generated(n_organs=2, years=(2021,)):
            corpus.add(r, refresh=False)
        corpus.refresh()
        assert not corpus.summarise()
        with corpus.engine.connect() as conn:
            assert not summaries.usable(conn)
            assert conn.execute(sa.text("select count(*) from summaries")).scalar() == 0
