"""The XLSX template (issue #11 item 1): official layout, prefills from last year, read back exactly."""

from __future__ import annotations

import io
import json
import random
import shutil
import subprocess

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from typer.testing import CliRunner

from ogi import forms
from ogi.cli import app
from ogi.corpus import Corpus
from ogi.model import State
from ogi.pipeline import parse
from ogi.render.sample import make_record, previous_year
from ogi.rules import IDENTITIES
from ogi.write import new_draft
from ogi.write.template import build_template
from ogi.write.workbook import read_workbook
from tests.strategies import specs

runner = CliRunner()


def fill_by_script(data: bytes, record) -> bytes:
    """What an organ's script (or a person) does: type each value into the cell the hidden map names."""
    book = openpyxl.load_workbook(io.BytesIO(data))
    for key, sheet, coordinate in book["ogi"].iter_rows(min_row=3, max_col=3, values_only=True):
        if key.startswith("t") and key in record.cells:
            book[sheet][coordinate] = record.cells[key].value
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(specs())
def test_a_filled_template_reads_back_to_the_typed_cells(spec):
    record = spec.build()
    data = build_template(new_draft(spec.template, spec.year, spec.organ))
    back = read_workbook(fill_by_script(data, record), "年报.xlsx")
    assert back.meta.template == spec.template and back.meta.organ == spec.organ and back.meta.year == spec.year
    for key, cell in record.cells.items():
        got = back.cells[key]
        assert (got.value, got.state) == (cell.value, State.number if cell.value is not None else State.blank), key
    assert [f.rule for f in back.findings if f.severity.value == "error"] == []


def test_official_layout_locked_labels_and_input_cells():
    book = openpyxl.load_workbook(io.BytesIO(build_template(new_draft("2021", 2025, "会宁县财政局"))))
    assert book.sheetnames == ["封面", "表二", "表三", "表四", "正文", "核对", "ogi"]
    assert book["ogi"].sheet_state == "veryHidden"
    t3 = book["表三"]
    assert t3.protection.sheet
    merged = {str(r) for r in t3.merged_cells.ranges}
    assert "A8:A29" in merged  # 三、本年度办理结果 spans the 22 result rows of the 2021 format
    assert t3["A8"].value == "三、本年度办理结果" and t3["A8"].protection.locked
    assert t3["D4"].value == "自然人"
    value = t3["D4"].offset(row=2)  # 一、本年新收 … 自然人
    assert value.protection.locked is False and value.value is None
    rules = [(dv.type, dv.operator) for dv in t3.data_validations.dataValidation if value.coordinate in dv.sqref]
    assert rules == [("whole", "greaterThanOrEqual")]
    t2 = book["表二"]
    money = {(dv.type, dv.operator) for dv in t2.data_validations.dataValidation if dv.sqref}
    assert ("decimal", "greaterThanOrEqual") in money
    texts = [row[0] for row in book["正文"].iter_rows(min_row=2, max_col=1, values_only=True)]
    assert texts[0] == "一、总体情况" and "（二）依申请公开" in texts and texts[-1] == "六、其他需要报告的事项"


def test_check_sheet_has_one_formula_row_per_identity():
    book = openpyxl.load_workbook(io.BytesIO(build_template(new_draft("2019", 2020, "高港区行政审批局"))))
    ws = book["核对"]
    rows = [r for r in ws.iter_rows(min_row=3, values_only=True) if r[0]]
    n_rows = len(forms.T3_ROWS["2019"])
    expected = {"T3-BALANCE": 7, "T4-TOTAL": 3, "T3-TOTAL": 7, "T3-COLUMNS": n_rows}
    assert {i.rule: sum(r[0] == i.rule for r in rows) for i in IDENTITIES} == expected
    balance = next(r for r in rows if r[0] == "T3-BALANCE" and "自然人" in r[1])
    assert balance[3] == "=SUM('表三'!D6,'表三'!D7)" and balance[5] == "=SUM('表三'!D27,'表三'!D28)"
    assert balance[6].startswith("=IF(COUNT(") and "不符" in balance[6]


def test_prefill_from_last_year_both_formats():
    for template, year in (("2021", 2024), ("2019", 2020)):
        record = make_record(random.Random(11), template, year, "缙云县财政局")
        previous = previous_year(record)
        previous.cells["t3.carried_out.natural"].value = 7
        draft = new_draft(template, year, "缙云县财政局", previous=previous)
        assert draft.prefills["t3.carried_in.natural"].value == 7
        if template == "2021":
            assert draft.prefills["t2.rules.in_force"].value == previous.value("t2.rules.in_force")
        else:
            previous.cells["t2.penalty.change"].value = -3
            draft = new_draft(template, year, "缙云县财政局", previous=previous)
            assert draft.prefills["t2.penalty.prev"].value == previous.value("t2.penalty.prev") - 3
        assert "t3.new.natural" not in draft.prefills  # only what the rules carry over


def test_cli_prefills_from_the_corpus_with_comments(tmp_path):
    record = make_record(random.Random(3), "2021", 2025, "会宁县工业和信息化局")
    previous = previous_year(record)
    previous.meta.sha256 = "f" * 64
    db = str(tmp_path / "c.db")
    with Corpus(db) as corpus:
        corpus.add(previous)
    out = tmp_path / "年报.xlsx"
    result = runner.invoke(
        app, ["template", "--year", "2025", "--organ", "会宁县工业和信息化局", "--db", db, "-o", str(out)]
    )
    assert result.exit_code == 0, result.output
    book = openpyxl.load_workbook(out)
    coordinates = {k: (s, c) for k, s, c in book["ogi"].iter_rows(min_row=3, max_col=3, values_only=True)}
    sheet, coordinate = coordinates["t3.carried_in.total"]
    cell = book[sheet][coordinate]
    assert cell.value == record.value("t3.carried_in.total")
    assert "2024年度报告" in cell.comment.text and "结转下年度" in cell.comment.text
    assert cell.protection.locked is False


def test_cli_from_a_record_json_prefills_every_cell(tmp_path):
    record = make_record(random.Random(9), "2019", 2020, "高港区行政审批局", blanks=0.3)
    source = tmp_path / "r.json"
    source.write_text(json.dumps(record.contract(), ensure_ascii=False, default=str), encoding="utf-8")
    out = tmp_path / "年报.xlsx"
    result = runner.invoke(app, ["template", "--from", str(source), "-o", str(out)])
    assert result.exit_code == 0, result.output
    back = read_workbook(out.read_bytes(), "年报.xlsx")
    assert back.meta.year == 2020 and back.meta.template == "2019"
    assert {k: c.value for k, c in back.cells.items()} == {k: c.value for k, c in record.cells.items()}
    assert back.section(5).text == record.section(5).text


def test_cli_needs_organ_and_year(tmp_path):
    result = runner.invoke(app, ["template", "-o", str(tmp_path / "x.xlsx")])
    assert result.exit_code == 2 and "--organ" in result.output


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice is not installed")
def test_check_sheet_formulas_compute_in_an_office_suite(tmp_path):
    """LibreOffice opens the filled template, recalculates (no macros) and the check sheet names the break."""
    record = make_record(random.Random(5), "2021", 2023, "会宁县财政局")
    record.cells["t3.new.natural"].value += 1  # breaks T3-BALANCE (自然人) and T3-COLUMNS (本年新收 row)
    filled = tmp_path / "filled.xlsx"
    filled.write_bytes(fill_by_script(build_template(new_draft("2021", 2023, "会宁县财政局")), record))
    done = subprocess.run(
        ["soffice", "--headless", "--convert-to", "xlsx", "--outdir", str(tmp_path / "out"), str(filled)],
        capture_output=True,
        timeout=180,
        env={"HOME": str(tmp_path), "PATH": "/usr/bin:/bin"},
    )
    assert done.returncode == 0, done.stderr
    ws = openpyxl.load_workbook(tmp_path / "out" / "filled.xlsx", data_only=True)["核对"]
    broken = [(r[0], r[1]) for r in ws.iter_rows(min_row=3, values_only=True) if r[6] and r[6].startswith("不符")]
    assert broken == [("T3-BALANCE", "表三“自然人”列"), ("T3-COLUMNS", "表三“一、本年新收政府信息公开申请数量”行")]
    left = record.value("t3.new.natural") + record.value("t3.carried_in.natural")
    right = record.value("t3.total.natural") + record.value("t3.carried_out.natural")
    row = next(r for r in ws.iter_rows(min_row=3, values_only=True) if r[0] == "T3-BALANCE" and "自然人" in r[1])
    assert (row[3], row[5], row[6]) == (left, right, f"不符：应为{left}，实为{right}")
    assert ws["B1"].value == "2 处；未填完 0 处"


def test_ogi_parse_reads_a_filled_template_by_its_key_map(tmp_path):
    """`ogi parse` / `ogi check` of the writers' workbook: every typed cell, no structure findings."""
    record = make_record(random.Random(11), "2019", 2020, "样例县财政局")
    filled = fill_by_script(build_template(new_draft("2019", 2020, "样例县财政局")), record)
    path = tmp_path / "年报.xlsx"
    path.write_bytes(filled)
    for back in (parse(filled, "年报.xlsx"), parse(path)):
        assert back.meta.organ == "样例县财政局" and back.meta.year == 2020
        assert {k: c.value for k, c in back.cells.items()} == {k: c.value for k, c in record.cells.items()}
        assert not [f.rule for f in back.findings if f.rule.startswith("FORMAT")]
