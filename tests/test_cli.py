"""The command line as a user meets it: JSON and CSV output contract (spec §8), check's summary and
exit status, standard input, and bad files that do not stop the run."""

from __future__ import annotations

import csv
import io
import json

from typer.testing import CliRunner

from ogi import forms
from ogi.cli import app

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
