"""Issue 14: a blank is not a zero in the derived figures. A rate whose operand is blank is computed from
the row's columns when the identities allow (marked derived), else unknown, and stats count what they
leave out. Expected figures are worked out by hand from the cells written below."""

from __future__ import annotations

from ogi.figures import figures_row, rate

from .builders import record

# 805 new applications from natural persons, all decided: 270 granted, 35 partly, 500 not held.
_FILLED = {
    "t3.new.natural": 805,
    "t3.new.total": 805,
    "t3.granted.natural": 270,
    "t3.granted.total": 270,
    "t3.partial.natural": 35,
    "t3.partial.total": 35,
    "t3.unable.not_held.natural": 500,
    "t3.unable.not_held.total": 500,
    "t3.total.natural": 805,
    "t3.total.total": 805,
}


def _with(changes: dict) -> dict:
    return _FILLED | changes


def test_all_written_gives_the_plain_rate():
    row = figures_row(record("会宁县教育局", 2021, _FILLED))
    assert rate("open_rate", row) == round(305 / 805, 4)
    assert row["derived"] is None


def test_blank_total_column_is_the_sum_of_its_columns_not_zero():
    # The organ left 总计 blank on the result rows but wrote the applicant columns.
    blank_totals = {"t3.granted.total": None, "t3.partial.total": None, "t3.unable.not_held.total": None}
    row = figures_row(record("会宁县教育局", 2021, _with(blank_totals)))
    assert (row["granted"], row["partial"], row["unable"]) == (270.0, 35.0, 500.0)
    assert rate("open_rate", row) == round(305 / 805, 4)
    assert set(row["derived"].split()) >= {"granted", "partial", "unable.not_held"}


def test_a_blank_row_that_the_total_cannot_account_for_is_unknown():
    # granted left wholly blank while (七)总计 says 805: the other rows make only 535, so granted is not 0.
    row = figures_row(record("会宁县教育局", 2021, _with({"t3.granted.natural": None, "t3.granted.total": None})))
    assert row["granted"] is None
    assert rate("open_rate", row) is None


def test_a_blank_row_the_total_accounts_for_is_zero():
    values = _with(
        {
            "t3.granted.natural": 305,
            "t3.granted.total": 305,
            "t3.partial.natural": None,
            "t3.partial.total": None,
        }
    )
    row = figures_row(record("会宁县教育局", 2021, values))
    assert row["partial"] == 0.0 and "partial" in row["derived"]
    assert rate("open_rate", row) == round(305 / 805, 4)


def test_unreadable_total_is_unknown_never_zero():
    r = record("会宁县教育局", 2021, _FILLED)
    from ogi.model import State

    r.cells["t3.total.total"].state = State.unreadable
    r.cells["t3.total.total"].value = None
    r.cells["t3.total.natural"].state = State.unreadable
    r.cells["t3.total.natural"].value = None
    row = figures_row(r)
    assert row["total"] is None and rate("open_rate", row) is None


def test_stats_pool_only_known_rates_and_count_the_rest(corpus):
    corpus.add(record("会宁县教育局", 2021, _FILLED))
    corpus.add(record("缙云县教育局", 2021, _with({"t3.granted.natural": None, "t3.granted.total": None})))
    corpus.add(record("高港区教育局", 2021, _with({"t3.granted.total": None})))  # total from its column
    (row,) = corpus.rates(by=("year",))
    # Two reports known (305/805 each); the third is left out rather than counted as 0 granted.
    assert row["open_rate"] == round(610 / 1610, 4)
    assert row["open_rate__left_out"] == 1
    assert row["reports"] == 3
