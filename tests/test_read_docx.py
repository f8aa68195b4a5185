"""DOCX reader (issue #3 item 2): body order, merged cells once per origin, split words, numbering."""

from __future__ import annotations

import io
import random

import pytest

from ogi.model import Line, Table
from ogi.read import read, sniff

docx = pytest.importorskip("docx")


def _save(document) -> bytes:
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def tables(document):
    return [[[(t.text, t.where.col) for t in row] for row in b.rows] for b in document.blocks if isinstance(b, Table)]


@pytest.fixture(scope="module")
def merged():
    d = docx.Document()
    d.add_paragraph("某县工业和信息化局2021年政府信息公开工作年度报告")
    d.add_paragraph("三、收到和处理政府信息公开申请情况")
    t = d.add_table(rows=5, cols=5)
    t.cell(0, 0).merge(t.cell(1, 1)).text = "（本列数据的勾稽关系）"  # 2×2 block
    t.cell(0, 2).text = "自然人"
    t.cell(0, 3).merge(t.cell(0, 4)).text = "法人或其他组织"  # gridSpan
    cell = t.cell(1, 3)
    cell.text = "商业"
    cell.add_paragraph("企业")  # Word splits header words over paragraphs
    t.cell(1, 4).text = "科研机构"
    t.cell(2, 0).merge(t.cell(4, 0)).text = "三、本年度办理结果"  # vMerge over three rows
    for r, (label, values) in enumerate(
        [("（一）予以公开", ["1", "0", "3.2万元"]), ("（二）部分公开", ["2", "", ""]), ("（七）总计", ["3", "0", "0"])],
        2,
    ):
        t.cell(r, 1).text = label
        for c, v in enumerate(values, 2):
            t.cell(r, c).text = v
    d.add_paragraph("四、政府信息公开行政复议、行政诉讼情况")
    data = _save(d)
    return data, read(data, "merged.docx")


def test_sniffed_as_docx(merged):
    assert sniff(merged[0]) == "docx"


def test_merged_cells_yield_one_token_at_their_origin(merged):
    (grid,) = tables(merged[1])
    assert grid == [
        [("（本列数据的勾稽关系）", 0), ("自然人", 2), ("法人或其他组织", 3)],
        [("", 2), ("商业企业", 3), ("科研机构", 4)],
        [("三、本年度办理结果", 0), ("（一）予以公开", 1), ("1", 2), ("0", 3), ("3.2万元", 4)],
        [("（二）部分公开", 1), ("2", 2), ("", 3), ("", 4)],
        [("（七）总计", 1), ("3", 2), ("0", 3), ("0", 4)],
    ]


def test_paragraphs_and_tables_in_body_order(merged):
    kinds = [("line", b.text) if isinstance(b, Line) else ("table", len(b.rows)) for b in merged[1].blocks]
    assert kinds == [
        ("line", "某县工业和信息化局2021年政府信息公开工作年度报告"),
        ("line", "三、收到和处理政府信息公开申请情况"),
        ("table", 5),
        ("line", "四、政府信息公开行政复议、行政诉讼情况"),
    ]
    assert [b.number for b in merged[1].blocks if isinstance(b, Line)] == [1, 2, 3]


def test_automatic_numbering_is_part_of_the_heading():
    d = docx.Document()
    for text in ("总体情况", "主动公开政府信息情况"):
        d.add_paragraph(text, style="List Number")
    lines = [b.text for b in read(_save(d), "numbered.docx").blocks]
    assert lines == ["1.总体情况", "2.主动公开政府信息情况"]


def test_grid_before_shifts_the_row():
    d = docx.Document()
    t = d.add_table(rows=2, cols=3)
    t.cell(0, 0).text = "规章"
    t.cell(0, 1).text = "0"
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    # Row 2 starts one grid column in (w:gridBefore), as Word writes ragged tables.
    tr = t.rows[1]._tr
    tr.remove(tr.tc_lst[0])
    props = tr.get_or_add_trPr()
    before = OxmlElement("w:gridBefore")
    before.set(qn("w:val"), "1")
    props.append(before)
    from docx.table import _Cell

    _Cell(tr.tc_lst[0], t).text = "7"
    (grid,) = tables(read(_save(d), "ragged.docx"))
    assert grid[0] == [("规章", 0), ("0", 1), ("", 2)]
    assert grid[1][0] == ("7", 1)


CASES = [("2019", 2020, 11), ("2021", 2022, 5)]


@pytest.mark.parametrize("template,year,seed", CASES)
@pytest.mark.parametrize("blanks", [0.0, 0.3])
def test_round_trip(template, year, seed, blanks):
    pytest.importorskip("ogi.render.docx")
    from ogi.pipeline import parse
    from ogi.render.docx import render_docx
    from ogi.render.sample import make_record

    record = make_record(random.Random(seed), template, year, "钦州市北部湾华侨投资区管理委员会", blanks=blanks)
    parsed = parse(render_docx(record), "report.docx")
    wrong = [
        (k, c.value, parsed.cells[k].value)
        for k, c in record.cells.items()
        if parsed.cells[k].value != c.value or parsed.cells[k].state != c.state
    ]
    assert wrong == []
    assert parsed.meta.kind == "docx"
