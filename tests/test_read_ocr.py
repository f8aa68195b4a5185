"""Scanned PDFs and images (issue #3 item 3): Tesseract reads pages without a text layer; every cell
read so is marked (kind "ocr", hints["ocr_pages"]); cells the table arithmetic confirms must be exact."""

from __future__ import annotations

import io
import random

import pytest

from ogi.model import Table, UnsupportedFormat
from ogi.read import ocr, read, sniff

needs_tesseract = pytest.mark.skipif(not ocr.available(), reason="tesseract-ocr + tesseract-ocr-chi-sim not installed")


def _page_image(body: str, dpi: int = 300) -> bytes:
    weasyprint = pytest.importorskip("weasyprint")
    import pypdfium2 as pdfium

    css = (
        "<style>body{font-family:'WenQuanYi Zen Hei';font-size:12pt} table{border-collapse:collapse}"
        " td{border:1px solid black;padding:4px}</style>"
    )
    data = weasyprint.HTML(string=f"<html><head>{css}</head><body>{body}</body></html>").write_pdf()
    image = pdfium.PdfDocument(data)[0].render(scale=dpi / 72, grayscale=True).to_pil()
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", dpi=(dpi, dpi))
    return buffer.getvalue()


@needs_tesseract
def test_image_of_a_ruled_table_is_read_cell_by_cell():
    body = """<p>二、主动公开政府信息情况</p><table>
    <tr><td>信息内容</td><td>本年制发件数</td><td>本年废止件数</td><td>现行有效件数</td></tr>
    <tr><td>规章</td><td>0</td><td>1</td><td>3</td></tr>
    <tr><td>行政规范性文件</td><td>12</td><td></td><td>7</td></tr></table>"""
    data = _page_image(body)
    assert sniff(data) == "image"
    document = read(data, "scan.png")
    assert document.kind == "ocr" and document.hints["ocr_pages"] == "1"
    (grid,) = [b for b in document.blocks if isinstance(b, Table)]
    rows = [[t.text for t in row] for row in grid.rows]
    assert rows[1:] == [["规章", "0", "1", "3"], ["行政规范性文件", "12", "", "7"]]
    assert all(t.where.page == 1 and t.where.box for row in grid.rows for t in row)


def test_missing_tesseract_says_what_to_install(monkeypatch):
    pytest.importorskip("PIL")
    from PIL import Image

    monkeypatch.setattr(ocr.shutil, "which", lambda name: None)
    ocr._tesseract.cache_clear()
    buffer = io.BytesIO()
    Image.new("L", (200, 100), 255).save(buffer, format="PNG")
    try:
        with pytest.raises(UnsupportedFormat, match="tesseract-ocr"):
            read(buffer.getvalue(), "scan.png")
    finally:
        monkeypatch.undo()
        ocr._tesseract.cache_clear()


def _confirmed_t3(cells, template) -> set[str]:
    """Table-3 rows whose seven cells are numbers and add up (T3-COLUMNS): the arithmetic confirms them."""
    from ogi import forms

    confirmed = set()
    for row in forms.T3_ROWS[template]:
        keys = [f"t3.{row.key}.{c.key}" for c in forms.T3_COLUMNS]
        values = [cells[k].value for k in keys]
        if all(isinstance(v, int) for v in values) and sum(values[:6]) == values[6]:
            confirmed.update(keys)
    return confirmed


@needs_tesseract
@pytest.mark.parametrize("template,year,seed", [("2019", 2020, 11), ("2021", 2022, 5)])
def test_scanned_round_trip_cells_confirmed_by_arithmetic_are_exact(template, year, seed):
    pytest.importorskip("ogi.render.pdf")
    from ogi.pipeline import parse
    from ogi.render.pdf import render_scan
    from ogi.render.sample import make_record

    record = make_record(random.Random(seed), template, year, "会宁县工业和信息化局")
    parsed = parse(render_scan(record, dpi=200), "scan.pdf")
    assert parsed.meta.kind == "ocr"
    confirmed = _confirmed_t3(parsed.cells, template)
    assert len(confirmed) >= 0.6 * 7 * len([k for k in record.cells if k.startswith("t3.")]) / 7
    assert [k for k in confirmed if parsed.cells[k].value != record.cells[k].value] == []
    exact = sum(parsed.cells[k].value == c.value for k, c in record.cells.items())
    assert exact >= 0.6 * len(record.cells)
