"""Random, truncated and hostile input never raises anything but an OgiError naming the file."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ogi.model import OgiError
from ogi.pipeline import parse

from .conftest import SEEDS, seed_path


def _parse_or_error(data: bytes, name: str = "fuzz.txt") -> None:
    try:
        record = parse(data, name)
    except OgiError as exc:
        assert name in str(exc) and exc.problem
        return
    assert record.meta.source == name


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(st.binary(max_size=4000))
def test_random_bytes(data):
    _parse_or_error(data)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            list("|0123456789 \n\t一二三四五六、()规章总计自然人申请减增-—/无其他处理公开结转")
            + ["本年新收政府信息公开申请数量", "三、收到和处理政府信息公开申请情况", "(七)总计\n"]
        ),
        max_size=800,
    )
)
def test_random_report_like_text(pieces):
    _parse_or_error("".join(pieces).encode())


@pytest.mark.parametrize("seed", SEEDS)
def test_truncated_seeds(seed):
    data = seed_path(seed).read_bytes()
    for cut in range(0, len(data), max(1, len(data) // 60)):
        _parse_or_error(data[:cut], f"{seed}-cut{cut}.txt")


@settings(max_examples=100, deadline=None)
@given(st.data())
def test_mutated_seed(data):
    raw = bytearray(seed_path(data.draw(st.sampled_from(SEEDS))).read_bytes())
    for _ in range(data.draw(st.integers(1, 20))):
        i = data.draw(st.integers(0, len(raw) - 1))
        raw[i] = data.draw(st.integers(0, 255))
    _parse_or_error(bytes(raw), "mutated.txt")


def test_huge_single_line_and_deep_pipes():
    _parse_or_error(("|" * 200_000 + "\n").encode() * 3, "pipes.txt")
    _parse_or_error(("一、总体情况" + "0 " * 100_000).encode(), "long.txt")
