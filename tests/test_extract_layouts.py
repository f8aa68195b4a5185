"""Targeted layouts and accidents (spec §7): tabs, runs of spaces, blanks that keep their place,
short rows placed by the tables' arithmetic, and rows that cannot be placed (marked, never guessed)."""

from __future__ import annotations

from ogi import forms
from ogi.model import Origin, State
from ogi.pipeline import parse

T3_LABELS_2019 = [r.label for r in forms.T3_ROWS["2019"]]


def _report(t3_rows: dict[str, list[str]], sep: str = " | ", t4: list[str] | None = None) -> str:
    """A 2019-format report whose table 3 rows are given by key; other rows are all zeros."""
    lines = [
        "某某县统计局2020年政府信息公开工作年度报告",
        "一、总体情况",
        "本年度工作正常开展。",
        "二、主动公开政府信息情况",
        "第二十条第(一)项",
        sep.join(["信息内容", "本年新制作数量", "本年新公开数量", "对外公开总数量"]),
        sep.join(["规章", "0", "0", "0"]),
        sep.join(["规范性文件", "1", "2", "3"]),
        "第二十条第(五)项",
        sep.join(["信息内容", "上一年项目数量", "本年增/减", "处理决定数量"]),
        sep.join(["行政许可", "5", "减1", "7"]),
        "三、收到和处理政府信息公开申请情况",
        sep.join(["申请人情况", "自然人", "商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他", "总计"]),
    ]
    for row in forms.T3_ROWS["2019"]:
        values = t3_rows.get(row.key, ["0"] * 7)
        lines.append(sep.join([row.label, *values]))
    lines += [
        "四、政府信息公开行政复议、行政诉讼情况",
        "行政复议 行政诉讼",
        sep.join(t4 or ["0"] * 15),
        "五、存在的主要问题及改进情况",
        "无。",
        "六、其他需要报告的事项",
        "无。",
    ]
    return "\n".join(lines)


BALANCED = {
    "new": ["2", "1", "0", "0", "0", "0", "3"],
    "granted": ["1", "1", "0", "0", "0", "0", "2"],
    "unable.not_held": ["1", "0", "0", "0", "0", "0", "1"],
    "total": ["2", "1", "0", "0", "0", "0", "3"],
}


def _cells(text: str):
    return parse(text.encode(), "t.txt")


def test_tab_separated_rows():
    record = _cells(_report(BALANCED, sep="\t"))
    assert record.value("t3.new.commercial") == 1 and record.value("t3.total.total") == 3
    assert record.value("t2.licensing.change") == -1 and record.value("t2.normative.total") == 3
    assert not [f for f in record.findings if f.rule.startswith("T3")]


def test_runs_of_spaces():
    record = _cells(_report(BALANCED, sep="    "))
    assert record.value("t3.granted.commercial") == 1 and record.value("t3.granted.total") == 2
    assert record.cells["t3.granted.total"].where.col == 7


def test_blank_cell_keeps_its_place_in_pipe_rows():
    rows = dict(BALANCED, partial=["0", "", "0", "0", "0", "0", "0"])
    record = _cells(_report(rows))
    cell = record.cells["t3.partial.commercial"]
    assert (cell.state, cell.value, cell.raw) == (State.blank, None, "")
    assert record.value("t3.partial.research") == 0
    assert any(
        f.rule == "CELL-TYPE" and f.severity.value == "info" and "t3.partial.commercial" in f.keys
        for f in record.findings
    )


def test_short_row_placed_by_identities_and_marked_inferred():
    # The granted row lost its empty 科研机构 cell when scraped with spaces: 6 values for 7 columns.
    # Placements that fit the column sums differ only in which zero column was the empty one, so the
    # numbers are certain: 1, 1, 0, 0, 0, 0 | 2, all marked inferred.
    rows = dict(BALANCED, granted=["1", "1", "0", "0", "0", "2"])
    record = _cells(_report(rows, sep="  "))
    got = [record.value(f"t3.granted.{c.key}") or 0 for c in forms.T3_COLUMNS]
    assert got == [1, 1, 0, 0, 0, 0, 2]
    assert {record.cells[f"t3.granted.{c.key}"].origin for c in forms.T3_COLUMNS} == {Origin.inferred}
    assert not [f for f in record.findings if f.rule.startswith("T3") and f.severity.value == "error"]


def test_short_row_with_unique_placement():
    # 总计 column dropped on the new row: the column identities (T3-BALANCE per applicant column)
    # admit only the six values in front, so they are placed and the total is left blank.
    rows = dict(BALANCED, new=["2", "1", "0", "0", "0", "0"])
    record = _cells(_report(rows, sep="  "))
    assert [record.value(f"t3.new.{a}") for a in forms.T3_APPLICANTS] == [2, 1, 0, 0, 0, 0]
    total = record.cells["t3.new.total"]
    assert (total.state, total.origin) == (State.blank, Origin.inferred)


def test_shifted_row_with_two_readings_is_not_guessed():
    # 1 and 2 could sit in several columns that the sums all accept: nothing is stored.
    rows = dict(BALANCED, unable={"x": 1})
    rows.pop("unable")
    rows["granted"] = ["1", "1", "2"]
    record = _cells(_report(rows, sep="  "))
    assert all(record.cells[f"t3.granted.{c.key}"].state is State.unreadable for c in forms.T3_COLUMNS)


def test_unplaceable_row_is_unreadable_not_guessed():
    rows = dict(BALANCED, granted=["1", "1", "2"])
    record = _cells(_report(rows, sep="  "))
    assert all(record.cells[f"t3.granted.{c.key}"].state is State.unreadable for c in forms.T3_COLUMNS)
    # ogi's failure to read the row, not the organ's error: a reading problem, and no finding about it (issue #10)
    assert any(f.rule == "CELL-TYPE" and f.kind == "reading" and "t3.granted.total" in f.keys for f in record.problems)
    assert not any("t3.granted.total" in f.keys and f.severity.value == "error" for f in record.findings)


def test_identity_errors_name_cells_and_difference():
    rows = dict(BALANCED, total=["2", "1", "0", "0", "0", "0", "4"])
    record = _cells(_report(rows))
    flat = {(f.rule, tuple(f.keys)) for f in record.findings if f.severity.value == "error"}
    assert ("T3-COLUMNS", ("t3.total.total",) + tuple(f"t3.total.{a}" for a in forms.T3_APPLICANTS)) in flat
    balance = next(f for f in record.findings if f.rule == "T3-BALANCE")
    assert balance.keys == ["t3.new.total", "t3.carried_in.total", "t3.total.total", "t3.carried_out.total"]
    assert (balance.expected, balance.found) == ("3", "4") and "相差 1" in balance.message


def test_table4_total_checked():
    t4 = ["1", "0", "0", "0", "1", "0", "1", "0", "0", "0", "0", "0", "0", "0", "0"]
    record = _cells(_report(BALANCED, t4=t4))
    findings = [f for f in record.findings if f.rule == "T4-TOTAL"]
    assert [f.keys[0] for f in findings] == ["t4.suit_direct.total"]


def test_not_a_report():
    import pytest

    from ogi.model import NotAReport

    with pytest.raises(NotAReport, match="n.txt"):
        parse("今天天气很好。\n我们去公园。".encode(), "n.txt")


def test_shifted_row_found_by_identities():
    # A pasted row with an extra empty cell in front of its values: the identities accept only the
    # reading without it.
    rows = dict(BALANCED, granted=["", "1", "1", "0", "0", "0", "0", "2"])
    record = _cells(_report(rows))
    assert [record.value(f"t3.granted.{c.key}") for c in forms.T3_COLUMNS] == [1, 1, 0, 0, 0, 0, 2]
    assert record.cells["t3.granted.natural"].origin is Origin.inferred


def test_merged_value_is_noticed_not_stored():
    # "10" is 1 and 0 run together: 6 values, and no placement satisfies the sums.
    rows = dict(BALANCED, new=["2", "10", "0", "0", "0", "3"])
    record = _cells(_report(rows))
    assert record.cells["t3.new.commercial"].state is State.unreadable
    assert any(f.rule == "CELL-TYPE" and "t3.new.total" in f.keys for f in record.problems)
