"""PDF reader (issue #3 item 3): ruled tables with merges, tables split over pages with repeated headers,
CJK stray spaces, labels broken over lines, page numbers, provenance. Fixtures are rendered here with
WeasyPrint from small HTML pages, so every expected cell is written in the test."""

from __future__ import annotations

import random

import pytest

from ogi.model import Line, Table
from ogi.read import read, sniff

weasyprint = pytest.importorskip("weasyprint")

CSS = """<style>@page { size: A4; margin: 2cm; @bottom-center { content: "- " counter(page) " -"; } }
body { font-family: 'WenQuanYi Zen Hei', sans-serif; font-size: 11pt; }
table { border-collapse: collapse; } td, th { border: 1px solid black; padding: 3px; }</style>"""


def pdf(body: str) -> bytes:
    return weasyprint.HTML(string=f"<html><head>{CSS}</head><body>{body}</body></html>").write_pdf()


def grids(document):
    return [[[t.text for t in row] for row in b.rows] for b in document.blocks if isinstance(b, Table)]


def texts(document):
    return [b.text for b in document.blocks if isinstance(b, Line)]


@pytest.fixture(scope="module")
def merged():
    body = """<p>三、收到和处理政府信息公开申请情况</p>
    <table>
    <tr><td colspan="2" rowspan="2">申请人情况</td><td rowspan="2">自然人</td><td colspan="2">法人或其他组织</td></tr>
    <tr><td>商业企业</td><td>科研机构</td></tr>
    <tr>
    <td rowspan="2" style="width:3em">三、本年度办理结果</td><td>（一）予以公开</td><td>12</td><td></td><td>0</td></tr>
    <tr><td>（二）部分公开</td><td>3</td><td>1</td><td>251000元</td></tr></table>
    <p style="letter-spacing: 0.8em">年度报告</p>"""
    return read(pdf(body), "merged.pdf")


def test_sniffed_as_pdf():
    assert sniff(b"%PDF-1.7\n...") == "pdf"
    assert sniff(b"\r\n\r\n%PDF-1.4\n") == "pdf"


def test_ruled_table_with_merged_cells_gives_one_token_per_origin(merged):
    (grid,) = [b for b in merged.blocks if isinstance(b, Table)]
    rows = [[(t.text, t.where.col) for t in row] for row in grid.rows]
    assert rows == [
        [("申请人情况", 0), ("自然人", 2), ("法人或其他组织", 3)],
        [("商业企业", 3), ("科研机构", 4)],
        [("三、本年度办理结果", 0), ("（一）予以公开", 1), ("12", 2), ("", 3), ("0", 4)],
        [("（二）部分公开", 1), ("3", 2), ("1", 3), ("251000元", 4)],
    ]
    token = grid.rows[2][2]
    assert token.where.page == 1 and token.where.table == 0 and token.where.row == 2
    x0, top, x1, bottom = token.where.box
    assert 0 < x0 < x1 < 595 and 0 < top < bottom < 842


def test_cjk_stray_spaces_are_removed_and_page_numbers_dropped(merged):
    assert texts(merged) == ["三、收到和处理政府信息公开申请情况", "年度报告"]


def test_table_split_over_pages_is_joined_without_repeated_header():
    rows = "".join(f"<tr><td>第{i}项</td><td>{i}</td><td>{i * 2}</td></tr>" for i in range(1, 61))
    head = "<tr><th>信息内容</th><th>本年制发件数</th><th>现行有效件数</th></tr>"
    body = f"<p>表格</p><table><thead>{head}</thead><tbody>{rows}</tbody></table><p>完</p>"
    document = read(pdf(body), "split.pdf")
    (grid,) = [b for b in document.blocks if isinstance(b, Table)]
    values = [[t.text for t in row] for row in grid.rows]
    assert values[0] == ["信息内容", "本年制发件数", "现行有效件数"]
    assert values[1:] == [[f"第{i}项", str(i), str(i * 2)] for i in range(1, 61)]
    pages = {t.where.page for row in grid.rows for t in row}
    assert pages == {1, 2}
    assert [r for r, row in enumerate(grid.rows) if row[0].where.row != r] == []  # rows renumbered
    assert texts(document) == ["表格", "完"]


def test_paragraph_lines_are_joined_and_labels_in_narrow_cells_too():
    sentence = "本年度共收到政府信息公开申请八百五十九件，均已按照法定时限和程序予以答复。" * 4
    row = '<tr><td style="width:5em">一、本年新收政府信息公开申请数量</td><td>859</td></tr>'
    body = f"<p>{sentence}</p><table>{row}</table>"
    document = read(pdf(body), "wrap.pdf")
    assert texts(document) == [sentence]
    assert grids(document) == [[["一、本年新收政府信息公开申请数量", "859"]]]


def test_unruled_table_rows_keep_cell_gaps_as_tabs():
    body = """<table style="border: none"><tr><td style="border:none; width: 12em">行政许可</td>
    <td style="border:none; width: 6em">12</td><td style="border:none">3</td></tr></table>"""
    assert texts(read(pdf(body), "unruled.pdf")) == ["行政许可\t12\t3"]


def test_unruled_table_keeps_blank_cells_in_their_columns():
    cell = "border:none; padding: 2px 10px; text-align: right"
    rows = [
        ("信息内容", "本年制发件数", "本年废止件数", "现行有效件数"),
        ("规章", "0", "", "12"),
        ("行政规范性文件", "3", "1", ""),
    ]
    body = (
        "<table style='border:none'>"
        + "".join("<tr>" + "".join(f"<td style='{cell}'>{v}</td>" for v in row) + "</tr>" for row in rows)
        + "</table>"
    )
    (grid,) = grids(read(pdf(body), "unruled3.pdf"))
    assert grid[-2:] == [["规章", "0", "", "12"], ["行政规范性文件", "3", "1", ""]]


CASES = [("2019", 2020, 11), ("2021", 2022, 5)]


@pytest.mark.parametrize("template,year,seed", CASES)
def test_round_trip(template, year, seed):
    pytest.importorskip("ogi.render.pdf")
    from ogi.pipeline import parse
    from ogi.render.pdf import render_pdf
    from ogi.render.sample import make_record

    record = make_record(random.Random(seed), template, year, "高港区行政审批局", blanks=0.3)
    parsed = parse(render_pdf(record), "report.pdf")
    wrong = [
        (k, c.value, parsed.cells[k].value)
        for k, c in record.cells.items()
        if parsed.cells[k].value != c.value or parsed.cells[k].state != c.state
    ]
    assert wrong == []
    assert parsed.meta.kind == "pdf"
    assert parsed.meta.organ == "高港区行政审批局" and parsed.meta.year == year
