"""XLSX reader (issue #3 item 4): each sheet's used range as a table, merged cells once, numbers as written."""

from __future__ import annotations

import datetime as dt
import io

import pytest

from ogi.model import Line, Table
from ogi.read import read, sniff

openpyxl = pytest.importorskip("openpyxl")


@pytest.fixture(scope="module")
def workbook() -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "表三"
    sheet["B2"] = "申请人情况"
    sheet.merge_cells("B2:C3")
    sheet["D2"] = "自然人"
    sheet["E2"] = "法人或其他组织"
    sheet.merge_cells("E2:F2")
    sheet["E3"] = "商业企业"
    sheet["F3"] = "科研机构"
    sheet["B4"] = "一、本年新收政府信息公开申请数量"
    sheet.merge_cells("B4:C4")
    sheet["D4"] = 3.0
    sheet["E4"] = 532934.41
    sheet["F4"] = "251000元"
    second = book.create_sheet("表四")
    second["A1"] = "行政复议"
    second["B1"] = dt.date(2022, 1, 20)
    second["C1"] = None
    second["D1"] = 0
    book.create_sheet("空表")
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_sniffed_as_xlsx(workbook):
    assert sniff(workbook) == "xlsx"


def test_sheets_become_titled_tables_with_merges_once(workbook):
    document = read(workbook, "tables.xlsx")
    assert document.kind == "xlsx"
    titles = [b.text for b in document.blocks if isinstance(b, Line)]
    assert titles == ["表三", "表四"]  # the empty sheet gives nothing
    first, second = [
        [[(t.text, t.where.col) for t in row] for row in b.rows] for b in document.blocks if isinstance(b, Table)
    ]
    assert first == [
        [("申请人情况", 0), ("自然人", 2), ("法人或其他组织", 3)],
        [("", 2), ("商业企业", 3), ("科研机构", 4)],
        [("一、本年新收政府信息公开申请数量", 0), ("3", 2), ("532934.41", 3), ("251000元", 4)],
    ]
    assert second == [[("行政复议", 0), ("2022-01-20", 1), ("", 2), ("0", 3)]]
