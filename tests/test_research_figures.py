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


def test_a_blank_row_is_what_the_total_leaves_for_it():
    # granted left wholly blank while (七)总计 says 805 and the other rows make 535: granted is 270 (T3-TOTAL).
    row = figures_row(record("会宁县教育局", 2021, _with({"t3.granted.natural": None, "t3.granted.total": None})))
    assert row["granted"] == 270.0 and "granted" in row["derived"]
    assert rate("open_rate", row) == round(305 / 805, 4)


def test_unknown_when_the_identities_leave_more_than_one_value():
    # granted and partial both blank: together 305, but how they split is not written anywhere.
    blank = {"t3.granted.natural": None, "t3.granted.total": None, "t3.partial.natural": None, "t3.partial.total": None}
    row = figures_row(record("会宁县教育局", 2021, _with(blank)))
    assert row["granted"] is None and row["partial"] is None
    assert rate("open_rate", row) is None
    assert row["unable"] == 500.0 and row["total"] == 805.0


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


def test_unreadable_total_is_recovered_from_the_rows_never_zero():
    from ogi.model import State

    r = record("会宁县教育局", 2021, _FILLED)
    for key in ("t3.total.total", "t3.total.natural"):
        r.cells[key].state, r.cells[key].value = State.unreadable, None
    row = figures_row(r)
    assert row["total"] == 805.0 and "total" in row["derived"]  # the result rows' sum (T3-TOTAL)
    for key in ("t3.new.total", "t3.new.natural", "t3.granted.total", "t3.granted.natural"):
        r.cells[key].state, r.cells[key].value = State.unreadable, None
    row = figures_row(r)
    assert row["total"] is None and row["granted"] is None and rate("open_rate", row) is None


def test_stats_pool_only_known_rates_and_count_the_rest(corpus):
    corpus.add(record("会宁县教育局", 2021, _FILLED))
    both = {"t3.granted.natural": None, "t3.granted.total": None, "t3.partial.natural": None, "t3.partial.total": None}
    corpus.add(record("缙云县教育局", 2021, _with(both)))
    corpus.add(record("高港区教育局", 2021, _with({"t3.granted.total": None})))  # total from its column
    (row,) = corpus.rates(by=("year",))
    # Two reports known (305/805 each); the third is left out rather than counted as 0 granted.
    assert row["open_rate"] == round(610 / 1610, 4)
    assert row["open_rate__left_out"] == 1
    assert row["reports"] == 3


from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 10_000), share=st.sampled_from([0.05, 0.2, 0.5, 0.9]), year=st.sampled_from([2019, 2022]))
def test_a_figure_with_blanks_is_right_or_unknown_never_wrong(seed, share, year):
    """Blank (or make unreadable) any cells of a consistent report: every figure is its true value, or unknown."""
    import random

    from ogi.forms import template_for
    from ogi.model import State
    from ogi.render import make_record

    rng = random.Random(seed)
    record = make_record(rng, template_for(year), year, "会宁县教育局")
    truth = figures_row(record)
    states = (State.blank, State.not_applicable, State.unreadable, State.missing)
    for cell in record.cells.values():
        if rng.random() < share:
            cell.state, cell.value, cell.raw = rng.choice(states), None, ""
    blanked = figures_row(record)
    for name, value in blanked.items():
        if name != "derived" and value is not None:
            assert value == truth[name], (name, value, truth[name])
