"""Damaged text (spec §7, issue #3 item 5): the only split or placement the identities admit, or None.

Hand-built cases first, then generated reports flattened the way crawlers flatten them (every separator
dropped) and mangled the way converters mangle them (value rows detached from labels): the share of
cells recovered exactly is reported and the number recovered wrongly must be zero.
"""

from __future__ import annotations

import random
from decimal import Decimal

import pytest

from ogi import forms
from ogi.repair import T3_ROW, T4_ROW, ColumnIdentity, place_rows, solve_table, split_row, splits, t3_identities


def test_row_identity_picks_the_only_split():
    assert split_row("一、本年新收政府信息公开申请数量", "3000003", 7, T3_ROW) == (3, 0, 0, 0, 0, 0, 3)
    assert split_row("（七）总计", "1234000046", 7, T3_ROW) == (12, 34, 0, 0, 0, 0, 46)


def test_without_an_identity_several_splits_fit_so_nothing_is_guessed():
    # The spec's example: 88 | 55 | 698, but 8 | 855 | 698 and 885 | 5 | 698 fit as well.
    assert split_row("行政规范性文件", "8855698", 3) is None
    assert len(list(splits("8855698", 3))) > 1


def test_one_digit_per_column_is_the_only_split():
    assert split_row("规章", "000", 3) == (0, 0, 0)


def test_leading_zeros_are_never_a_numeral():
    assert list(splits("0012", 2)) == []  # "00|12", "0|012", "001|2" are all impossible
    assert split_row("x", "1012", 3) is None  # 10|1|2 and 1|01… : only 10|1|2 and 1|0|12 remain, two readings


def test_missing_digits_leave_the_row_unreadable():
    assert split_row("规章", "00", 3) is None  # a blank cell vanished from the run


def test_money_and_signed_columns():
    assert split_row("政府集中采购", "3532934.41", 2, money=[1]) is None  # 3|532934.41 or 35|32934.41 …
    assert split_row("行政事业性收费", "532934.41", 1, money=[0]) == (Decimal("532934.41"),)
    assert split_row("行政许可", "5-27", 3, signed=[1]) == (5, -2, 7)
    assert split_row("行政许可", "5-27", 3) is None  # a sign only where the column may be negative
    assert split_row("行政许可", "5-2", 2, signed=[1]) == (5, -2)


def test_table4_groups_each_add_up():
    values = (1, 0, 0, 2, 3, 0, 0, 0, 0, 0, 2, 1, 0, 0, 3)
    assert split_row("行政复议", "".join(map(str, values)), 15, T4_ROW) == values
    # 12|1|0|0|13 and 1|2|10|0|13 both add up: refuse.
    assert split_row("行政复议", "10023" + "00000" + "1210013", 15, T4_ROW) is None


def test_table_identities_settle_rows_a_row_alone_cannot():
    # "11011" as 1|1|0|1|1? Two columns per row here, total = first + second: "1|10|11" or "11|0|11".
    rows = [("new", "11011"), ("carried_in", "000"), ("total", "11011"), ("carried_out", "000")]
    from ogi.repair import RowIdentity

    row = (RowIdentity(2, (0, 1)),)
    assert split_row("new", "11011", 3, row) is None
    balance = [ColumnIdentity((0, 1), (2, 3))]
    assert solve_table(rows, 3, row, balance) == [None, (0, 0, 0), None, (0, 0, 0)]  # still two readings
    rows[2] = ("total", "11011")
    rows.append(("granted", "11011"))
    rows.append(("partial", "000"))
    total = [ColumnIdentity((0, 1), (2, 3)), ColumnIdentity((2,), (4, 5))]
    assert solve_table(rows, 3, row, total)[0] is None  # identities agree for both readings: refuse


def _flatten(cells, keys) -> str:
    return "".join(cells[k].raw for k in keys)


@pytest.mark.parametrize("template,year", [("2019", 2020), ("2021", 2022)])
def test_flattened_reports_recover_many_cells_and_none_wrongly(template, year):
    from ogi.render.sample import make_record

    recovered = wrong = total = 0
    for seed in range(40):
        record = make_record(random.Random(seed), template, year, "某县某局", blanks=0.15 if seed % 4 == 0 else 0.0)
        rows = forms.T3_ROWS[template]
        runs = [(r.label, _flatten(record.cells, [f"t3.{r.key}.{c.key}" for c in forms.T3_COLUMNS])) for r in rows]
        solved = solve_table(runs, 7, T3_ROW, t3_identities([r.key for r in rows]))
        for row, values in zip(rows, solved):
            keys = [f"t3.{row.key}.{c.key}" for c in forms.T3_COLUMNS]
            total += 7
            if values is not None:
                truth = tuple(record.cells[k].value for k in keys)
                recovered += 7 * (values == truth)
                wrong += 7 * (values != truth)
        t4 = split_row("行政复议", _flatten(record.cells, forms.T4_KEYS), 15, T4_ROW)
        total += 15
        if t4 is not None:
            truth = tuple(record.cells[k].value for k in forms.T4_KEYS)
            recovered += 15 * (t4 == truth)
            wrong += 15 * (t4 != truth)
    print(f"{template}: recovered exactly {recovered}/{total} = {recovered / total:.1%}, wrongly {wrong}")
    assert wrong == 0
    assert recovered / total > 0.6, f"recovered {recovered}/{total}"


def test_detached_value_rows_are_placed_only_when_one_placement_fits():
    labels = ["new", "carried_in", "total", "carried_out"]

    def balance(placed):
        if len(placed) < 4:
            return False
        rows = {i: [int(v) for v in placed[i]] for i in placed}
        return all(rows[0][c] + rows[1][c] == rows[2][c] + rows[3][c] for c in range(2))

    values = [["3", "1"], ["0", "0"], ["2", "1"], ["1", "0"]]
    assert place_rows(len(labels), values, balance) == {0: 0, 1: 1, 2: 2, 3: 3}
    assert place_rows(len(labels), values[:3], balance) is None  # a row lost: no placement passes
    assert place_rows(2, values, balance) is None
