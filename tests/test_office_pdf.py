"""PDFs made the way organs make them (issue #10): the generated report as DOCX, exported to PDF by
LibreOffice as from Word or WPS, then read back: every cell, no FORMAT-COMPLETE. Label typos of real PDFs
are put into the DOCX before the export. Skips cleanly without LibreOffice (.ci/setup installs it)."""

from __future__ import annotations

import io
import random
import zipfile

import pytest

from ogi import forms
from ogi.pipeline import parse
from ogi.render import make_record
from ogi.render.docx import render_docx
from ogi.render.office import office_pdfs, soffice

if soffice() is None:
    pytest.skip("LibreOffice (soffice) is not installed", allow_module_level=True)

# Typos found in published PDFs' row labels (damaged-reports §4), as (right, written).
TYPOS = (("其他法律行政法规禁止公开", "其他法律行政止公开"), ("（一）予以公开", "（一）子以公开"))


def _with_typos(docx: bytes) -> bytes:
    source = zipfile.ZipFile(io.BytesIO(docx))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            data = source.read(item)
            if item.filename == "word/document.xml":
                text = data.decode("utf-8")
                for right, written in TYPOS:
                    text = text.replace(right, written)
                data = text.encode("utf-8")
            target.writestr(item, data)
    return out.getvalue()


@pytest.fixture(scope="module")
def office_reports():
    rng = random.Random(11)
    records = [
        make_record(rng, t, 2020 if t == "2019" else 2022, f"示例县第{i}局") for i, t in enumerate(("2019", "2021") * 2)
    ]
    documents = [render_docx(r, seed=i) for i, r in enumerate(records)]
    documents[2:] = [_with_typos(d) for d in documents[2:]]  # one report of each format with typos
    return list(zip(records, office_pdfs(documents)))


def test_office_pdfs_read_back_every_cell_without_format_complete(office_reports):
    for i, (record, pdf) in enumerate(office_reports):
        parsed = parse(pdf, f"office-{i}.pdf")
        assert parsed.meta.kind == "pdf" and parsed.meta.template == record.meta.template
        keys = forms.keys(record.meta.template)
        assert [parsed.value(k) for k in keys] == [record.value(k) for k in keys], i
        assert [parsed.cells[k].state for k in keys] == [record.cells[k].state for k in keys], i
        assert [s.number for s in parsed.sections] == [1, 2, 3, 4, 5, 6]
        assert not [f for f in parsed.findings + parsed.problems if f.rule == "FORMAT-COMPLETE"], i
        assert not [f for f in parsed.findings if f.severity.value == "error"], i
