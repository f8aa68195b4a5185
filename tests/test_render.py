"""The renderers write what the official forms and real publications have (src/ogi/render).

Checked against the forms themselves (国办公开办函〔2019〕60号 / 〔2021〕30号, spec §4): the 20/22-row
"三、本年度办理结果" cell, the group cells (三)…(六), merged DOCX cells, the text layouts of the seeds,
and against the generated record's own cells (which the test knows, not the renderer's output).
"""

from __future__ import annotations

import io
import random
import re
from decimal import Decimal
from html.parser import HTMLParser

import pytest

from ogi.model import Cell, State
from ogi.render.sample import make_record
from ogi.render.text import LAYOUTS, render_text

T3_RESULT_ROWS = {"2019": 20, "2021": 22}
COLUMNS = ("natural", "commercial", "research", "social", "legal", "other", "total")
# (format, year, organ, seed): 2019 with a negative 本年增/减, 2021 with blanks.
CASES = {"2019": ("2019", 2020, "缙云县人力资源和社会保障局", 11), "2021": ("2021", 2022, "会宁县工业和信息化局", 5)}


def record_of(template: str, blanks: float = 0.0):
    fmt, year, organ, seed = CASES[template]
    return make_record(random.Random(seed), fmt, year, organ, blanks=blanks)


class Cells(HTMLParser):
    """Every <td>/<th> of a page: (text, rowspan, colspan, table index, row index)."""

    def __init__(self):
        super().__init__()
        self.cells, self.table, self.row, self.depth, self.current = [], -1, -1, 0, None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "table":
            self.table, self.row = self.table + 1, -1
        elif tag == "tr":
            self.row += 1
        elif tag in ("td", "th"):
            self.current = ["", int(a.get("rowspan", 1)), int(a.get("colspan", 1)), self.table, self.row]

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self.current is not None:
            self.current[0] = self.current[0].strip()
            self.cells.append(tuple(self.current))
            self.current = None

    def handle_data(self, data):
        if self.current is not None:
            self.current[0] += data.replace("\xa0", " ")


def cells_of(page: str) -> list[tuple]:
    parser = Cells()
    parser.feed(page)
    return parser.cells


# -- text ------------------------------------------------------------------------------------


@pytest.mark.parametrize("layout", LAYOUTS)
def test_text_layouts_carry_every_value_in_order(layout):
    record = record_of("2021")
    text = render_text(record, layout, seed=3)
    assert text == render_text(record, layout, seed=3)  # deterministic for a seed
    assert record.meta.title.replace("2022年", "").split("局")[0] in text
    row = [
        str(record.value(f"t3.new.{c}"))
        for c in ("natural", "commercial", "research", "social", "legal", "other", "total")
    ]
    line = next(i for i, x in enumerate(text.split("\n")) if "本年新收政府信息公开申请数量" in x)
    after = re.findall(r"-?\d[\d,]*", "\n".join(text.split("\n")[line : line + 40]).replace(",", ""))
    assert after[:7] == row


def test_pipe_rows_end_with_a_separator_and_keep_blank_cells():
    text = render_text(record_of("2019", blanks=1.0), "pipe", seed=2)
    rows = [x for x in text.split("\n") if x.startswith("一、本年新收")]
    assert rows and all(x.rstrip().endswith("|") for x in rows)
    assert rows[0].count("|") >= 8  # label + 7 cells, blanks included


def test_seed_like_details():
    r19, r21 = record_of("2019"), record_of("2021")
    cells = render_text(r21, "blank_lines", seed=1)
    assert "商业\n企业" in cells and "结果\n纠正" in cells and "\n\n\xa0\n\n" in cells  # seed 003
    assert re.search(r"索引号:\S+部门:", cells) and "日期:" in cells
    pipe_cells = render_text(r21, "pipe_cells", seed=1)
    assert "\n|\n" in pipe_cells and "我要收藏" in pipe_cells  # seed 001
    r19.cells["t2.licensing.change"].value, r19.cells["t2.other_services.change"].value = -5, 4
    texts = "".join(render_text(r19, "pipe", seed=s) for s in range(6))
    assert re.search(r"\| (?:减|-)\d+ \|", texts) and re.search(r"\| 增\d+ \|", texts)  # seeds 002/004
    assert "| 本年新 | 本年新 |" in texts  # header cut short, seeds 000/002
    assert "\t" in render_text(r21, "tabs") and "|" not in render_text(r21, "spaces").split("二、")[1].split("五、")[0]


def test_traditional_and_pinyin():
    record = record_of("2019")
    text = render_text(record, "pipe", traditional=True, pinyin=True, seed=4)
    assert "報告" in text and "總計" in text and "申請" in text
    assert re.search(r"[據规規](?:\((?:jù|guī)\))", text) or "(shù)" in text
    assert not re.search(r"\d\([a-zāáǎàēéěèīíǐìōóǒòūúǔù]+\)", text)  # numbers never annotated
    assert "报告" not in render_text(record, "pipe", traditional=True)


def test_unknown_layout_is_refused():
    with pytest.raises(ValueError, match="layout"):
        render_text(record_of("2019"), "markdown")


# -- HTML ------------------------------------------------------------------------------------


@pytest.mark.parametrize("template", ["2019", "2021"])
def test_official_spans(template):
    from ogi.render.html import render_html

    for word in (True, False):
        page = render_html(record_of(template), word_pasted=word).decode("utf-8")
        cells = cells_of(page)
        spans = {c[0]: (c[1], c[2]) for c in cells}
        assert spans["三、本年度办理结果"][0] == T3_RESULT_ROWS[template]
        assert spans["（三）不予公开"][0] == 8 and spans["（四）无法提供"][0] == 3 and spans["（五）不予处理"][0] == 5
        assert spans["（六）其他处理"] == ((3, 1) if template == "2021" else (1, 2))
        assert spans["申请人情况"] == (1, 7) and spans["行政诉讼"] == (1, 10) and spans["法人或其他组织"] == (1, 5)
        assert spans["一、本年新收政府信息公开申请数量"] == (1, 3)


def test_word_pasted_page():
    from ogi.render.html import render_html

    record = record_of("2021", blanks=1.0)
    page = render_html(record).decode("utf-8")
    assert "MsoNormal" in page and "&nbsp;" in page and "当前位置" in page and "分享到" in page
    assert f'name="PubDate" content="{record.meta.published.isoformat()}' in page
    tables = page.split("MsoNormalTable", 1)[1]
    assert all(td.endswith("<p") for td in re.findall(r"<td[^>]*><?p?", tables))  # <p> in every cell
    t3 = next(c for c in cells_of(page) if c[0] == "一、本年新收政府信息公开申请数量")
    row = [c[0] for c in cells_of(page) if c[3] == t3[3] and c[4] == t3[4]][1:]
    expected = [
        str(record.value(f"t3.new.{c}") if record.value(f"t3.new.{c}") is not None else "")
        for c in ("natural", "commercial", "research", "social", "legal", "other", "total")
    ]
    assert [x if x not in ("—", "/") else "" for x in row] == expected


def test_gbk_page_declares_its_charset():
    from ogi.render.html import render_html

    record = record_of("2019")
    data = render_html(record, encoding="gbk")
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    page = data.decode("gb18030")
    assert "charset=gbk" in page and record.meta.organ in page and "三、本年度办理结果" in page


def test_misaligned_rows_keep_their_values_in_order():
    from ogi.render.html import render_html

    record = record_of("2021")
    plain = cells_of(render_html(record, seed=9).decode())
    shifted = cells_of(render_html(record, misaligned=True, seed=9).decode())
    assert [c[0] for c in plain] == [c[0] for c in shifted] or len(plain) == len(shifted)
    assert [c[2] for c in plain] != [c[2] for c in shifted]  # some colspans no longer match the headers
    assert [c[1] for c in plain] == [c[1] for c in shifted]  # rowspans untouched


# -- DOCX ------------------------------------------------------------------------------------


@pytest.mark.parametrize("template", ["2019", "2021"])
def test_docx_merged_cells(template):
    import docx

    from ogi.render.docx import render_docx

    record = record_of(template)
    document = docx.Document(io.BytesIO(render_docx(record)))
    assert len(document.tables) == 3
    t3 = document.tables[1]
    n = T3_RESULT_ROWS[template]
    first = 5  # 3 header rows, new, carried_in
    column = [t3.cell(r, 0)._tc for r in range(first, first + n)]  # kept alive: lxml proxies are cached by use
    assert all(tc is column[0] for tc in column)  # vertical merge
    assert t3.cell(first, 0).text == "三、本年度办理结果" and t3.cell(first + n, 0).text.startswith("四、结转")
    assert t3.cell(3, 0)._tc is t3.cell(3, 2)._tc  # horizontal merge over the label columns
    assert [t3.cell(3, c).text for c in range(3, 10)] == [
        str(record.value(f"t3.new.{c}"))
        for c in ("natural", "commercial", "research", "social", "legal", "other", "total")
    ]
    xml = t3._tbl.xml
    assert "w:vMerge" in xml and "w:gridSpan" in xml
    assert document.core_properties.title == record.meta.title


# -- PDF -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def pdf_case():
    from ogi.render.pdf import render_pdf

    record = record_of("2019")
    return record, render_pdf(record)


def test_pdf_has_the_report_as_text(pdf_case):
    from ogi.render.pdf import pdf_text

    record, pdf = pdf_case
    assert pdf.startswith(b"%PDF")
    text = re.sub(r"\s", "", pdf_text(pdf))  # lines wrap inside cells
    assert record.meta.organ in text and "本年度办理结果" in text and "政府集中采购" in text
    amount = record.value("t2.procurement.amount")
    assert isinstance(amount, Decimal) and str(amount) in text


def test_scan_is_images_without_text(pdf_case):
    import pypdfium2 as pdfium

    from ogi.render.pdf import pdf_text, render_scan

    record, pdf = pdf_case
    scan = render_scan(record, pdf=pdf, dpi=100)
    document = pdfium.PdfDocument(scan)
    pages = len(document)
    image = document[0].render(scale=1).to_pil().convert("L")
    document.close()
    assert pages == len(pdfium.PdfDocument(pdf)) >= 2
    assert pdf_text(scan).strip() == ""
    lo, hi = image.getextrema()
    assert lo < 80 and hi > 200  # ink on paper


def test_blank_cells_render_blank_everywhere():
    from ogi.render.html import render_html

    record = record_of("2021", blanks=1.0)
    key = next(k for k, c in record.cells.items() if c.state is State.blank and k.startswith("t3.denied.state_secret"))
    assert record.cells[key].value is None
    page = render_html(record, word_pasted=False).decode()
    row = next(c for c in cells_of(page) if c[0] == "1.属于国家秘密")
    values = [c[0] for c in cells_of(page) if c[3] == row[3] and c[4] == row[4]][-7:]
    blanks = [
        v
        for v, c in zip(values, COLUMNS, strict=True)
        if record.cells[f"t3.denied.state_secret.{c}"].state is State.blank
    ]
    assert blanks and set(blanks) == {""}


def single_other_row(record):
    """The record as a 2021 report that writes the 2019 single （六）其他处理 row (spec §4)."""
    for column in COLUMNS:
        split = [record.cells.pop(f"t3.other.{part}.{column}") for part in ("no_correction", "no_fee", "misc")]
        key = f"t3.other.{column}"
        record.cells[key] = Cell(key=key, value=sum(c.value for c in split), state=State.number)
    return record


def test_one_grid_keeps_a_single_other_row_in_a_2021_report():
    from rich.console import Console

    from ogi import grid
    from ogi.render.html import render_html
    from ogi.serve.layout import grids
    from ogi.show import table3

    record = single_other_row(record_of("2021"))
    table = grid.of_record(record)[3]
    results = next(c for row in table.rows for c in row if c.text == "三、本年度办理结果")
    assert results.rowspan == T3_RESULT_ROWS["2021"] - 2  # three split rows become one
    line = next(line for line in grid.lines(table) if line.labels[-1] == "(六)其他处理")
    assert line.keys == tuple(f"t3.other.{c}" for c in COLUMNS) and line.heads == ("申请人情况",)
    spans = {c[0]: (c[1], c[2]) for c in cells_of(render_html(record, word_pasted=False).decode())}
    assert spans["（六）其他处理"] == (1, 2) and "3.其他" not in spans
    assert any(c.text == "（六）其他处理" and c.colspan == 2 for row in grids(record)["t3"] for c in row)
    console = Console(file=io.StringIO(), width=160, color_system=None)
    console.print(table3(record))
    shown = next(x for x in console.file.getvalue().splitlines() if "(六)其他处理" in x)
    assert [x.strip() for x in shown.split("│")[2:9]] == [str(record.value(f"t3.other.{c}")) for c in COLUMNS]


def test_rendered_tables_leave_out_rows_missing_from_the_source():
    from ogi import grid

    record = record_of("2019")
    for key in ("t2.fees.prev", "t2.fees.change"):
        record.cells[key] = Cell(key=key, state=State.missing)
    labels = {c.text for row in grid.of_record(record, skip_absent=True)[2].rows for c in row}
    assert "行政事业性收费" not in labels and "行政许可" in labels
    assert "行政事业性收费" in {c.text for row in grid.of_record(record)[2].rows for c in row}


def test_lines_read_the_official_heads():
    from ogi import grid
    from ogi.export.xlsx import official_sheets

    t4 = grid.lines(grid.table4())
    assert [line.heads for line in t4] == [("行政复议",), ("行政诉讼", "未经复议直接起诉"), ("行政诉讼", "复议后起诉")]
    assert [grid.one_line(c) for c in t4[2].columns] == ["结果维持", "结果纠正", "其他结果", "尚未审结", "总计"]
    assert t4[2].keys == tuple(f"t4.suit_after.{c}" for c in ("upheld", "corrected", "other", "pending", "total"))
    t2 = grid.lines(grid.tables("2019")[2])
    assert (t2[2].labels, t2[2].heads) == (("行政许可",), ("第二十条第(五)项",))
    assert [grid.one_line(c) for c in t2[2].columns] == ["上一年项目数量", "本年增/减", "处理决定数量"]
    sheets = dict(official_sheets(["2019"]))
    assert [label for label, _ in sheets["表四"]] == ["行政复议", "行政诉讼·未经复议直接起诉", "行政诉讼·复议后起诉"]
    t3 = [label for label, _ in sheets["表三(2019版)"]]
    assert t3[2:5] == ["(一)予以公开", "(二)部分公开", "(三)不予公开 1.属于国家秘密"] and t3[-3] == "(六)其他处理"


def test_grid_is_pure_data():
    import subprocess
    import sys

    heavy = ("rich", "fastapi", "openpyxl", "docx", "sqlalchemy")
    code = f"import sys, ogi.grid; print(sorted(m for m in {heavy!r} if m in sys.modules))"
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert loaded.strip() == "[]"
