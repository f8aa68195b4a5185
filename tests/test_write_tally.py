"""The case register → table 3 (issue #11 item 2): counts equal an independent count, identities hold by
construction, and each per-case rule fires where it should and only there."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json

import openpyxl
from typer.testing import CliRunner

from ogi import forms
from ogi.audit import audit
from ogi.cli import app
from ogi.model import Cell, Meta, Record, State
from ogi.render.sample import make_register
from ogi.write import new_draft
from ogi.write.tally import APPLICANTS, COLUMNS, build_register, read_register, result_names, tally
from ogi.write.template import build_template
from ogi.write.workbook import read_workbook
from ogi.write.workdays import working_days_after

runner = CliRunner()


def independent_count(rows, year: int, template: str) -> dict[str, int]:
    """Table 3 counted straight from the definitions in the issue, one case at a time."""
    start, end = dt.date(year, 1, 1), dt.date(year, 12, 31)
    names = result_names(template)
    cells = dict.fromkeys(forms.t3_keys(template), 0)
    for row in rows:
        received = dt.date.fromisoformat(row["收到日期"])
        answered = dt.date.fromisoformat(row["答复日期"]) if row["答复日期"] else None
        column = APPLICANTS[row["申请人类型"]]
        bumps = []
        if start <= received <= end:
            bumps.append("new")
        if received < start and (answered is None or answered >= start):  # open on 1 January
            bumps.append("carried_in")
        if answered is not None and start <= answered <= end:
            bumps += [names[row["办理结果"]], "total"]
        if received <= end and (answered is None or answered > end):
            bumps.append("carried_out")
        for row_key in bumps:
            cells[f"t3.{row_key}.{column}"] += 1
            cells[f"t3.{row_key}.total"] += 1
    return cells


def test_ten_thousand_cases_equal_an_independent_count_and_the_identities_hold():
    rows = make_register(10_000, 5)
    result = tally(rows, 2025)
    assert result.cells == independent_count(rows, 2025, "2021")
    assert result.cells["t3.new.total"] > 5000 and result.cells["t3.carried_in.total"] > 100
    record = Record(
        meta=Meta(year=2025, template="2021"),
        cells={k: Cell(key=k, value=v, state=State.number) for k, v in result.cells.items()},
    )
    identity_rules = {"T3-BALANCE", "T3-TOTAL", "T3-COLUMNS"}
    assert [f for f in audit(record) if f.rule in identity_rules] == []


def case(number="A1", received="2025-01-02", applicant="自然人", answered="2025-01-10", result="予以公开", extended=""):
    return {
        "编号": number,
        "收到日期": received,
        "申请人类型": applicant,
        "答复日期": answered,
        "办理结果": result,
        "是否延期": extended,
        "收费金额": "",
        "备注": "",
    }


def rules(rows, year=2025):
    return [(f.line, f.rule) for f in tally(rows, year).findings]


def test_working_days_follow_the_2025_holiday_notice():
    # 国务院办公厅 2025 notice: 1月28日–2月4日 春节 holidays; Sunday 1月26日 and Saturday 2月8日 are working days.
    assert working_days_after(dt.date(2025, 1, 2), dt.date(2025, 1, 27)) == 18
    assert working_days_after(dt.date(2025, 1, 27), dt.date(2025, 2, 4)) == 0
    assert working_days_after(dt.date(2025, 2, 4), dt.date(2025, 2, 8)) == 4


def test_answer_after_twenty_working_days_is_late_and_on_the_twentieth_is_not():
    assert rules([case(answered="2025-02-06")]) == []  # the 20th working day after 2 January
    assert rules([case(answered="2025-02-07")]) == [(2, "CASE-LATE")]


def test_an_extension_allows_forty_working_days():
    # 20 more working days after 6 February (Feb 8 is a working Saturday): Feb 7, 8, 10–14, 17–21, 24–28, Mar 3–5.
    assert rules([case(answered="2025-03-05", extended="是")]) == []
    assert rules([case(answered="2025-03-06", extended="是")]) == [(2, "CASE-LATE")]
    assert rules([case(answered="2025-03-05")]) == [(2, "CASE-LATE")]


def test_answer_before_receipt():
    assert rules([case(received="2025-03-02", answered="2025-03-01")]) == [(2, "CASE-ORDER")]
    assert rules([case(received="2025-03-01", answered="2025-03-01")]) == []


def test_unknown_category():
    assert rules([case(applicant="个体户")]) == [(2, "CASE-CATEGORY")]
    assert rules([case(result="已答复")]) == [(2, "CASE-CATEGORY")]
    both_formats = [case(result="不予公开/属于国家秘密"), case("A2", applicant="法律服务机构", result="（二）部分公开")]
    assert rules(both_formats) == []
    # （六）其他处理 is one row in the 2019 format, three in the 2021 one
    assert rules([case(received="2020-03-01", answered="2020-03-05", result="其他处理")], 2020) == []
    assert rules([case(result="其他处理")]) == [(2, "CASE-CATEGORY")]


def test_duplicate_number():
    assert rules([case("A1"), case("A2")]) == []
    assert rules([case("A1"), case("A1")]) == [(3, "CASE-DUPLICATE")]
    result = tally([case("A1"), case("A1")], 2025)
    assert result.cells["t3.granted.natural"] == 1 and result.left_out == 1


def test_a_year_the_calendar_does_not_cover_is_a_clear_message(tmp_path):
    path = tmp_path / "台账.csv"
    path.write_text(",".join(COLUMNS) + "\n", encoding="utf-8")
    result = runner.invoke(app, ["tally", str(path), "--year", "2040"])
    assert result.exit_code == 2 and "节假日历" in result.output and "2040" in result.output
    assert "Traceback" not in result.output


def test_cli_json_from_a_gb18030_csv(tmp_path):
    rows = [case(), case("A2", applicant="商业企业", answered="", result="")]
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS)
    writer.writeheader()
    writer.writerows(rows)
    path = tmp_path / "台账.csv"
    path.write_bytes(buffer.getvalue().encode("gb18030"))
    result = runner.invoke(app, ["tally", str(path), "--year", "2025", "--format", "json"])
    assert result.exit_code == 0, result.output
    cells = json.loads(result.stdout)
    assert (cells["t3.new.total"], cells["t3.granted.natural"], cells["t3.carried_out.commercial"]) == (2, 1, 1)
    assert set(cells) == set(forms.t3_keys("2021"))


def test_register_template_has_drop_down_lists_and_reads_back(tmp_path):
    book = openpyxl.load_workbook(io.BytesIO(build_register("2021")))
    ws = book["台账"]
    assert [c.value for c in ws[1]] == list(COLUMNS)
    lists = {dv.formula1 for dv in ws.data_validations.dataValidation if dv.type == "list"}
    assert "'选项'!$B$1:$B$21" in lists and "'选项'!$A$1:$A$6" in lists
    ws.append(["A1", dt.date(2025, 1, 2), "自然人", dt.date(2025, 1, 9), "无法提供/本机关不掌握相关政府信息", "否", 0])
    out = io.BytesIO()
    book.save(out)
    result = tally(read_register(out.getvalue(), "台账.xlsx"), 2025)
    assert result.cells["t3.unable.not_held.natural"] == 1 and result.findings == []


def test_tally_fills_table_three_of_the_template(tmp_path):
    template = tmp_path / "年报.xlsx"
    template.write_bytes(build_template(new_draft("2021", 2025, "会宁县财政局")))
    register = tmp_path / "台账.xlsx"
    book = openpyxl.load_workbook(io.BytesIO(build_register("2021")))
    for row in make_register(50, 2):
        book["台账"].append([row[c] for c in COLUMNS])
    book.save(register)
    result = runner.invoke(app, ["tally", str(register), "--year", "2025", "--into", str(template)])
    assert result.exit_code in (0, 1), result.output
    back = read_workbook(template.read_bytes(), "年报.xlsx")
    expected = independent_count(make_register(50, 2), 2025, "2021")
    assert {k: back.cells[k].value for k in expected} == expected
    assert back.cells["t2.rules.issued"].state is State.blank  # the rest of the template untouched
