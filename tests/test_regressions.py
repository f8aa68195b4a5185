"""Parser bugs once found by the render round trips (issue #2), kept as inputs in tests/data/issue-<n>-<what>.txt.

Each expected cell below is read by hand from its input file.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from ogi.model import Origin, State
from ogi.pipeline import parse

DATA = Path(__file__).parent / "data"


def parse_file(name: str):
    return parse((DATA / name).read_bytes(), name)


def cells(record, row: str) -> list[tuple[int | None, State]]:
    columns = ("natural", "commercial", "research", "social", "legal", "other", "total")
    return [(record.cells[f"{row}.{c}"].value, record.cells[f"{row}.{c}"].state) for c in columns]


def test_tab_rows_keep_their_trailing_empty_cells():
    """A tab ends a cell: "2.重复申请<TAB>0 ×6<TAB>" has a blank 总计, which stays blank (not an inferred 0)."""
    record = parse_file("issue-2-tab-trailing-blanks.txt")
    zero, blank = (0, State.number), (None, State.blank)
    assert cells(record, "t3.rejected.duplicate") == [zero] * 6 + [blank]
    assert all(record.cells[f"t3.rejected.duplicate.{c}"].origin is Origin.source for c in ("other", "total"))


def test_tab_rows_with_padding_beyond_the_last_cell_are_read():
    """ "4.无正当理由大量反复申请" has seven cells (two blank) and two padding tabs: read, not unreadable."""
    record = parse_file("issue-2-tab-trailing-blanks.txt")
    zero, blank = (0, State.number), (None, State.blank)
    assert cells(record, "t3.rejected.excessive") == [zero, blank, zero, zero, zero, zero, blank]
    one = (1, State.number)
    assert cells(record, "t3.rejected.publication") == [zero, one, zero, zero, zero, zero, one]


def test_a_tab_row_whose_only_value_is_blank_is_not_dropped():
    """2021 (五): "行政许可<TAB>" — the decisions cell is there, and blank; the rows after it read normally."""
    record = parse_file("issue-2-tab-blank-licensing.txt")
    licensing = record.cells["t2.licensing.decisions"]
    assert (licensing.value, licensing.state) == (None, State.blank)
    assert record.value("t2.penalty.decisions") == 12 and record.value("t2.coercion.decisions") == 2


@pytest.mark.parametrize("name", ["issue-2-organ-from-publisher.txt", "issue-2-organ-from-source.txt"])
def test_organ_from_the_metadata_block_when_the_title_names_none(name):
    """Title "2021年政府信息公开工作年度报告"; the organ is on a 发布机构: or …来源: line of the metadata block."""
    meta = parse_file(name).meta
    assert (meta.organ, meta.year, meta.published) == ("会宁县水利局", 2021, dt.date(2022, 1, 14))
