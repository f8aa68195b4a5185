"""One cell's text → value, state, unit (spec §5): hand cases and a Hypothesis round trip."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ogi.model import State
from ogi.normalise import clean
from ogi.values import parse_value


@pytest.mark.parametrize(
    "text, expected",
    [
        ("0", (0, State.number, None)),
        (" 12 ", (12, State.number, None)),
        ("1,234", (1234, State.number, None)),
        ("增4", (4, State.number, None)),
        ("减5", (-5, State.number, None)),
        ("-10", (-10, State.number, None)),
        ("+3", (3, State.number, None)),
        ("532934.41", (Decimal("532934.41"), State.number, None)),
        ("251000元", (251000, State.number, "元")),
        ("3.2万元", (Decimal("3.2"), State.number, "万元")),
        ("3件", (3, State.number, None)),
        ("", (None, State.blank, None)),
        ("—", (None, State.blank, None)),
        ("-", (None, State.blank, None)),
        ("/", (None, State.blank, None)),
        ("无", (None, State.not_applicable, None)),
        ("不适用", (None, State.not_applicable, None)),
        ("三件多", (None, State.unreadable, None)),
        ("规章", (None, State.unreadable, None)),
    ],
)
def test_cell_text(text, expected):
    assert parse_value(text) == expected


def test_full_width_digits_after_normalisation():
    text, _ = clean("１２３")
    assert parse_value(text) == (123, State.number, None)


@given(
    st.integers(min_value=0, max_value=10**9),
    st.sampled_from(["", "增", "减", "-", "+"]),
    st.booleans(),
    st.sampled_from(["", "元", "万元"]),
)
def test_written_integers_read_back(n, sign, grouped, unit):
    body = f"{n:,}" if grouped else str(n)
    value, state, got_unit = parse_value(f"{sign}{body}{unit}")
    assert state is State.number
    assert value == (-n if sign in ("减", "-") else n)
    assert got_unit == (unit or None)


@given(st.decimals(min_value=0, max_value=10**7, places=2, allow_nan=False, allow_infinity=False))
def test_written_money_reads_back(amount):
    value, state, _ = parse_value(format(amount, "f"))
    assert state is State.number and Decimal(value) == amount


@given(st.text(max_size=30))
def test_any_text_is_classified_without_error(text):
    value, state, unit = parse_value(text)
    assert (value is None) == (state is not State.number)
