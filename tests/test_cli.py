"""The command line as a user meets it: JSON and CSV output contract (spec §8), check's summary and
exit status, standard input, bad files that do not stop the run, and a start-up free of the database."""

from __future__ import annotations

import csv
import io
import json
import os
import random
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

import ogi
from ogi import forms
from ogi.cli import app
from ogi.render.sample import make_record
from ogi.render.text import render_text

from .conftest import seed_path

runner = CliRunner()


def test_parse_json_contract():
    result = runner.invoke(app, ["parse", str(seed_path("002"))])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["meta"]["year"] == 2020 and data["meta"]["template"] == "2019"
    assert data["meta"]["agency"] == "缙云县人力资源和社会保障局" and data["meta"]["published"] == "2021-01-11"
    assert set(data["cells"]) == set(forms.keys("2019"))
    assert data["cells"]["t2.licensing.change"] == -5 and data["cells"]["t2.procurement.amount"] == 532934.41
    assert data["detail"]["t2.licensing.change"]["raw"] == "减5"
    assert data["findings"] == []


def test_parse_several_gives_array_and_csv_long_form():
    files = [str(seed_path("000")), str(seed_path("004"))]
    data = json.loads(runner.invoke(app, ["parse", *files]).stdout)
    assert [d["meta"]["year"] for d in data] == [2021, 2019]
    result = runner.invoke(app, ["parse", "--format", "csv", *files])
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert len(rows) == 2 * len(forms.keys("2019"))
    cell = next(r for r in rows if r["key"] == "t3.new.commercial" and r["organ"] == "高港区行政审批局")
    assert (cell["value"], cell["state"], cell["line"]) == ("1", "number", "33")


def test_stdin():
    data = seed_path("003").read_bytes()
    result = runner.invoke(app, ["parse", "-"], input=data)
    assert json.loads(result.stdout)["meta"]["agency"] == "会宁县工业和信息化局"


def test_check_exit_status_and_bad_files(tmp_path):
    junk = tmp_path / "junk.bin"
    junk.write_bytes(bytes(range(256)) * 8)
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    result = runner.invoke(app, ["check", str(junk), str(empty), str(seed_path("002"))])
    assert result.exit_code == 2  # unreadable files, no error findings
    assert "junk.bin" in result.output and "empty.txt" in result.output
    assert "缙云县人力资源和社会保障局" in result.output and "未发现问题" in result.output
    result = runner.invoke(app, ["check", "--no-tables", str(seed_path("000"))])
    assert result.exit_code == 1 and "FORMAT-YEAR" in result.output and "2021版" in result.output
    assert runner.invoke(app, ["check", str(seed_path("004"))]).exit_code == 0


def test_check_shows_tables_in_official_shape():
    result = runner.invoke(app, ["check", str(seed_path("004"))], env={"COLUMNS": "160"})
    for text in ("第二十条第(五)项", "11421", "行政复议", "结转下年度", "自然人"):
        assert text in result.output


def test_every_command_has_help():
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    for command in ("parse", "check", "schema", "rules"):
        assert command in result.output
        assert runner.invoke(app, [command, "--help"]).exit_code == 0


RUN_AND_LIST_HEAVY_MODULES = """
import runpy, sys
sys.argv = ["ogi", *sys.argv[1:]]
try:
    runpy.run_module("ogi", run_name="__main__")
except SystemExit as exit:
    code = exit.code
heavy = [m for m in ("sqlalchemy", "fastapi", "openpyxl", "uvicorn") if m in sys.modules]
print("HEAVY", code, *heavy)
"""


def run_ogi(*args: str) -> tuple[str, int, list[str]]:
    """``python -m ogi ARGS`` in a fresh interpreter: its stdout, exit status and the heavy modules it imported."""
    env = dict(os.environ, PYTHONPATH=str(Path(ogi.__file__).resolve().parents[1]))
    done = subprocess.run(
        [sys.executable, "-c", RUN_AND_LIST_HEAVY_MODULES, *args],
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=env,
        timeout=120,
    )
    output, _, last = done.stdout.rstrip("\n").rpartition("\n")
    _, code, *heavy = last.split(" ")
    return output, int(code), heavy


@pytest.fixture(scope="module")
def generated_report(tmp_path_factory) -> tuple[Path, object]:
    record = make_record(random.Random(11), "2021", 2022, "示例市交通运输局")
    path = tmp_path_factory.mktemp("startup") / "report.txt"
    path.write_text(render_text(record, "tabs"), encoding="utf-8")
    return path, record


@pytest.mark.parametrize("args", [("parse",), ("parse", "--format", "csv"), ("check",), ("rules",), ("schema",)])
def test_report_commands_do_not_import_the_database_or_web_stack(generated_report, args):
    path, record = generated_report
    output, code, heavy = run_ogi(*args, *([str(path)] if args[0] in ("parse", "check") else []))
    assert heavy == [] and code == 0
    if args == ("parse",):
        cells = json.loads(output)["cells"]
        assert cells["t3.new.total"] == record.cells["t3.new.total"].value
        assert cells["t4.review.total"] == record.cells["t4.review.total"].value
    if args[0] == "check":
        assert "示例市交通运输局" in output and "2022" in output


def test_demo_writes_audits_and_stores_the_samples(tmp_path, monkeypatch):
    from ogi import Corpus
    from ogi.cli.demo import ORGANS, seed_files
    from ogi.render import INJECTABLE

    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["demo", "--folder", "samples", "--count", "3", "--db", "demo.db"])
    assert result.exit_code == 0, result.output
    written = sorted(p.name for p in (tmp_path / "samples").iterdir())
    assert written == [
        f"000_{ORGANS[0]}_2019_pipe_ok.txt",
        f"001_{ORGANS[1]}_2020_pipe_cells_ok.txt",
        f"002_{ORGANS[2]}_2021_blank_lines_{INJECTABLE[2]}.txt",
    ]
    total = 3 + len(seed_files(tmp_path))
    assert f"共 {total} 份" in result.output and f"新增 {total}" in result.output
    with Corpus("demo.db") as corpus:
        rows = corpus.reports()
    assert len(rows) == total
    by_organ = {r.organ_name: r for r in rows}
    assert (by_organ[ORGANS[0]].year, by_organ[ORGANS[0]].errors) == (2019, 0)
    assert by_organ[ORGANS[2]].year == 2021 and by_organ[ORGANS[2]].errors > 0
