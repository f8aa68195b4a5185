"""Scans (issue #10): OCR's digits are checked by the table identities like any other reading, a scan's cells
are marked as OCR, and OCR noise in the title never becomes an organ."""

from __future__ import annotations

import random

import pytest

from ogi import forms
from ogi.extract import _check_ocr_digits
from ogi.locate import locate
from ogi.metadata import metadata
from ogi.model import Origin, State
from ogi.normalise import normalise
from ogi.pipeline import parse
from ogi.read import read
from ogi.render import make_record, render_text


def _ocr_cells(seed: int = 4):
    record = make_record(random.Random(seed), "2021", 2022, "示例县交通运输局")
    cells = parse(render_text(record, "pipe").encode(), "t.txt").cells
    for cell in cells.values():
        cell.origin = Origin.ocr
    return record, cells


def test_a_misread_digit_is_recovered_where_its_row_and_column_agree():
    record, cells = _ocr_cells()
    truth = record.value("t3.new.natural")
    cells["t3.new.natural"].value = truth + 7 if truth < 3 else truth // 10  # "27" read as "2"
    misread = cells["t3.new.natural"].value
    _check_ocr_digits(cells, "2021")
    cell = cells["t3.new.natural"]
    assert (cell.value, cell.origin, cell.candidates) == (truth, Origin.inferred, [misread])
    assert all(c.origin is Origin.ocr for k, c in cells.items() if k != "t3.new.natural")


def test_a_broken_row_alone_is_not_repaired():
    # Only the row's total is off (as if the organ added wrong): no column breaks, nothing is changed.
    record, cells = _ocr_cells()
    cells["t3.new.total"].value += 1
    cells["t3.carried_in.total"].value -= 1  # keeps the 总计 column balanced
    before = {k: c.value for k, c in cells.items()}
    _check_ocr_digits(cells, "2021")
    assert {k: c.value for k, c in cells.items()} == before


@pytest.mark.parametrize("noise", ["示例县交,通运输局", "Il示例县交通运输局", "示例县交通运输|"])
def test_ocr_noise_in_the_title_is_no_organ(noise):
    record = make_record(random.Random(4), "2021", 2022, "示例县交通运输局")
    lines = render_text(record, "pipe").split("\n")
    title = next(i for i, line in enumerate(lines) if "年度报告" in line)
    lines[title] = noise + "2022年政府信息公开工作年度报告"
    text = "\n".join(lines)
    document = normalise(read(text.encode(), "scan.txt"))
    document.kind = "ocr"
    assert metadata(locate(document)).organ in (None, "示例县交通运输局")  # the signature's name, or none
    document.kind = "text"  # the same words in a text file: read as written
    assert metadata(locate(document)).organ is not None


def test_a_scan_is_read_with_its_cells_marked_and_no_wrong_number():
    pytest.importorskip("pypdfium2")
    import shutil

    if shutil.which("tesseract") is None:
        pytest.skip("tesseract is not installed")
    from ogi.render.pdf import render_scan

    record = make_record(random.Random(4), "2021", 2022, "示例县交通运输局")
    parsed = parse(render_scan(record), "scan.pdf")
    assert parsed.meta.kind == "ocr" and parsed.meta.organ in (None, "示例县交通运输局")
    read_cells = [c for c in parsed.cells.values() if c.state is State.number]
    assert read_cells and all(c.origin in (Origin.ocr, Origin.inferred) for c in read_cells)
    keys = forms.keys("2021")
    assert not [k for k in keys if parsed.cells[k].value is not None and parsed.cells[k].value != record.value(k)]
    assert not [f for f in parsed.findings if f.severity.value == "error"]
