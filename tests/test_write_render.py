"""Rendering the official report (issue #11 item 3): a template filled by a script → ``ogi render`` → DOCX,
PDF and HTML → ``ogi parse`` gives exactly the filled cells; broken identities are refused in Chinese
unless --draft; the DOCX has the 党政机关公文格式 page and fonts, and LibreOffice opens it."""

from __future__ import annotations

import io
import json
import random
import shutil
import subprocess

import docx
import pytest
from docx.shared import Pt
from hypothesis import HealthCheck, given, settings
from typer.testing import CliRunner

from ogi import grid as g
from ogi.cli import app
from ogi.model import State
from ogi.render.official import official_docx, official_html
from ogi.render.sample import make_record
from ogi.write import new_draft
from ogi.write.template import build_template
from tests.strategies import specs
from tests.test_write_template import fill_by_script

runner = CliRunner()


def filled_template(tmp_path, record):
    draft = new_draft(record.meta.template, record.meta.year, record.meta.organ)
    draft.meta.published = record.meta.published
    path = tmp_path / "年报.xlsx"
    path.write_bytes(fill_by_script(build_template(draft), record))
    return path


def parsed_cells(path) -> dict:
    result = runner.invoke(app, ["parse", str(path), "--format", "json"])
    assert result.exit_code in (0, 1), result.output
    return json.loads(result.stdout)["cells"]


def typed(record) -> dict:
    """The cells as the script typed them: a number, or nothing (a blank is never a zero)."""
    return {k: None if c.value is None else float(c.value) for k, c in record.cells.items()}


@settings(
    max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture]
)
@given(specs())
def test_filled_template_renders_to_documents_that_parse_to_the_filled_cells(tmp_path, spec):
    record = spec.build()
    source = filled_template(tmp_path, record)
    for to in ("docx", "html", "pdf"):
        out = tmp_path / f"report.{to}"
        result = runner.invoke(app, ["render", str(source), "--to", to, "-o", str(out)])
        assert result.exit_code == 0, result.output
        cells = parsed_cells(out)
        got = {k: None if cells.get(k) is None else float(cells[k]) for k in record.cells}
        assert got == typed(record), to


def test_broken_identity_is_refused_with_cell_expected_found_unless_draft(tmp_path):
    record = make_record(random.Random(4), "2021", 2025, "会宁县财政局")
    record.cells["t3.new.natural"].value += 2  # T3-BALANCE (and T3-COLUMNS) no longer hold
    source = filled_template(tmp_path, record)
    out = tmp_path / "r.docx"
    refused = runner.invoke(app, ["render", str(source), "--to", "docx", "-o", str(out)])
    text = refused.output.replace("\n", "")
    assert refused.exit_code == 1 and not out.exists()
    assert "拒绝生成" in text and "[T3-BALANCE] 表三“自然人”列" in text
    left = record.value("t3.new.natural") + record.value("t3.carried_in.natural")
    right = record.value("t3.total.natural") + record.value("t3.carried_out.natural")
    assert f"应为 {left}，实为 {right}" in text and "表三·一、本年新收政府信息公开申请数量·自然人" in text
    drafted = runner.invoke(app, ["render", str(source), "--to", "docx", "-o", str(out), "--draft"])
    assert drafted.exit_code == 0, drafted.output
    document = docx.Document(str(out))
    assert document.paragraphs[0].text == "草稿"
    assert "草稿" in document.sections[0].header.paragraphs[0].text
    html = runner.invoke(app, ["render", str(source), "--to", "html", "--draft"])
    assert '<p class="draft">草稿</p>' in html.stdout


def test_docx_follows_the_official_document_format():
    record = make_record(random.Random(2), "2021", 2024, "缙云县人力资源和社会保障局")
    document = docx.Document(io.BytesIO(official_docx(record)))
    section = document.sections[0]
    mm = lambda length: round(length.mm)  # noqa: E731 - Word stores twips: 210 mm is 210.01 mm
    assert (mm(section.page_width), mm(section.page_height)) == (210, 297)
    margins = (section.top_margin, section.bottom_margin, section.left_margin, section.right_margin)
    assert [mm(m) for m in margins] == [37, 35, 28, 26]
    title, *body = [p for p in document.paragraphs if p.text]
    assert title.text == "缙云县人力资源和社会保障局2024年政府信息公开工作年度报告"
    assert (title.runs[0].font.name, title.runs[0].font.size) == ("方正小标宋简体", Pt(22))
    fonts = {p.text: p.runs[0].font.name for p in body}
    assert fonts["一、总体情况"] == "黑体" and fonts["（二）依申请公开"] == "楷体_GB2312"
    prose = next(p for p in body if p.text.startswith("本年度"))
    assert (prose.runs[0].font.name, prose.runs[0].font.size) == ("仿宋_GB2312", Pt(16))
    footer = section.footer.paragraphs[0]._p.xml
    assert "— " in footer and 'w:instr="PAGE"' in footer and " —" in footer
    assert document.settings.odd_and_even_pages_header_footer
    assert "PAGE" in section.even_page_footer.paragraphs[0]._p.xml


def test_html_is_cms_ready_one_table_per_statutory_table_with_real_spans():
    record = make_record(random.Random(3), "2019", 2020, "高港区行政审批局")
    page = official_html(record)
    assert "<script" not in page.lower() and "javascript:" not in page.lower()
    assert page.count("<table") == 3
    assert 'rowspan="20"' in page  # 三、本年度办理结果 over the 20 result rows of the 2019 format
    # every cell carries its border inline: a CMS that drops <style> keeps the ruled table
    origin_cells = sum(len(row) for grid in g.tables("2019").values() for row in grid.rows)
    assert page.count('style="border:1px solid #000') == origin_cells


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice is not installed")
def test_libreoffice_opens_the_docx(tmp_path):
    record = make_record(random.Random(5), "2021", 2025, "会宁县工业和信息化局", blanks=0.2)
    (tmp_path / "r.docx").write_bytes(official_docx(record, draft=True))
    done = subprocess.run(
        ["soffice", "--headless", "--convert-to", "pdf", "--outdir", str(tmp_path), str(tmp_path / "r.docx")],
        capture_output=True,
        timeout=180,
        env={"HOME": str(tmp_path), "PATH": "/usr/bin:/bin"},
    )
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "r.pdf").read_bytes().startswith(b"%PDF")


def test_blank_cells_stay_blank_in_the_template_record(tmp_path):
    record = make_record(random.Random(6), "2021", 2023, "安吉县教育局", blanks=1.0)
    from ogi.write.workbook import read_workbook

    back = read_workbook(filled_template(tmp_path, record).read_bytes(), "年报.xlsx")
    blanks = [k for k, c in record.cells.items() if c.value is None]
    assert blanks and all(back.cells[k].state is State.blank for k in blanks)
