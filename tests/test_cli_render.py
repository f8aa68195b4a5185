"""``ogi render``: samples and parsed records become reports; broken identities are refused (exit 1)."""

from __future__ import annotations

import json
import random

import pytest
from typer.testing import CliRunner

from ogi.cli import app
from ogi.pipeline import parse
from ogi.render import RENDERERS
from ogi.render.sample import make_record
from ogi.render.text import render_text

runner = CliRunner()


def same_cells(expected, got) -> list[str]:
    return [k for k, c in expected.cells.items() if (got.cells[k].value, got.cells[k].state) != (c.value, c.state)]


def test_sample_to_text():
    result = runner.invoke(app, ["render", "--sample", "--seed", "3", "--template", "2021", "--layout", "pipe_cells"])
    assert result.exit_code == 0, result.output
    assert "政府信息公开工作年度报告" in result.stdout and "三、本年度办理结果" in result.stdout
    back = parse(result.stdout.encode(), "x.txt")
    assert back.meta.template == "2021" and back.meta.year >= 2021
    assert [f.rule for f in back.findings if f.severity.value == "error"] == []


def test_broken_identity_is_refused_unless_forced(tmp_path):
    args = ["render", "--sample", "--seed", "4", "--inject", "T4-TOTAL"]
    refused = runner.invoke(app, args)
    assert refused.exit_code == 1
    assert "拒绝生成" in flat(refused) and "T4-TOTAL" in flat(refused) and "勾稽关系" in flat(refused)
    assert "政府信息公开工作年度报告" not in refused.stdout
    out = tmp_path / "forced.html"
    forced = runner.invoke(app, [*args, "--force", "--to", "html", "-o", str(out)])
    assert forced.exit_code == 0, forced.output
    assert "rowspan" in out.read_text(encoding="utf-8")


def test_parsed_json_renders_back_to_the_same_cells(tmp_path):
    record = make_record(random.Random(8), "2019", 2020, "缙云县人力资源和社会保障局", blanks=0.2)
    source = tmp_path / "report.txt"
    source.write_text(render_text(record, "pipe", traditional=True, pinyin=True), encoding="utf-8")
    parsed = runner.invoke(app, ["parse", str(source)])
    assert parsed.exit_code == 0, parsed.output
    (tmp_path / "report.json").write_text(parsed.stdout, encoding="utf-8")
    for to, name in (("html", "out.html"), ("docx", "out.docx"), ("text", "out.txt")):
        result = runner.invoke(
            app, ["render", str(tmp_path / "report.json"), "--to", to, "-o", str(tmp_path / name), "--encoding", "gbk"]
        )
        assert result.exit_code == 0, result.output
        back = parse(str(tmp_path / name), name)
        assert same_cells(record, back) == [], to
        expected_meta = (record.meta.organ, 2020, record.meta.published)
        assert (back.meta.organ, back.meta.year, back.meta.published) == expected_meta
    # the parsed sections 二–四 also hold the source's table text: printed once, from the cells
    assert (tmp_path / "out.txt").read_text(encoding="utf-8").count("本年新收政府信息公开申请数量") == 1


def test_pdf_output(tmp_path):
    out = tmp_path / "r.pdf"
    result = runner.invoke(app, ["render", "--sample", "--seed", "5", "--to", "pdf", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert out.read_bytes().startswith(b"%PDF")


def flat(result) -> str:
    return result.output.replace("\n", "")  # Rich wraps long messages at the terminal width


def test_bad_input_gives_one_clear_line(tmp_path):
    missing = runner.invoke(app, ["render", str(tmp_path / "nope.json")])
    assert missing.exit_code == 2 and "nope.json" in flat(missing) and "文件不存在" in flat(missing)
    junk = tmp_path / "junk.json"
    junk.write_text("{not json", encoding="utf-8")
    result = runner.invoke(app, ["render", str(junk)])
    assert result.exit_code == 2 and "junk.json" in flat(result) and "JSON" in flat(result)
    other = tmp_path / "other.json"
    other.write_text(json.dumps({"hello": 1}), encoding="utf-8")
    assert "cells" in flat(runner.invoke(app, ["render", str(other)]))
    assert runner.invoke(app, ["render", "--sample", "--to", "docx"]).exit_code == 2  # binary needs -o
    assert runner.invoke(app, ["render", "--sample", "--layout", "markdown"]).exit_code == 2
    assert runner.invoke(app, ["render", "--sample", "--inject", "NOPE"]).exit_code == 2
    assert runner.invoke(app, ["render"]).exit_code == 2
    for bad in (missing, result):
        assert "Traceback" not in bad.output


SIGNATURES = {
    "text": "政府信息公开工作年度报告".encode(),
    "html": b"<html",
    "docx": b"PK\x03\x04",
    "pdf": b"%PDF",
    "scan": b"%PDF",
}


@pytest.mark.parametrize("to", sorted(RENDERERS))
def test_every_renderer_in_the_table_writes_its_format(tmp_path, to):
    out = tmp_path / f"r.{to}"
    result = runner.invoke(app, ["render", "--sample", "--seed", "6", "--to", to, "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert SIGNATURES[to] in out.read_bytes()[:4000]
    if RENDERERS[to].binary:  # a binary format is never written to the terminal
        assert runner.invoke(app, ["render", "--sample", "--seed", "6", "--to", to]).exit_code == 2
