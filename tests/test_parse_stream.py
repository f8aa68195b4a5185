"""``ogi parse`` streams (issue 12 item 2) and every command's exit codes say what happened (issue 14 item 6,
issue 15 item 6): JSONL / JSON array / CSV with workers, a bad file one line on stderr and the batch going on,
``ogi check``'s total line, ``ogi ingest`` failing while the corpus holds failures for the given paths."""

from __future__ import annotations

import json
import random

from typer.testing import CliRunner

from ogi import forms
from ogi.cli import app
from ogi.render.sample import make_record
from ogi.render.text import render_text

from .conftest import seed_path

runner = CliRunner()


def _folder(tmp_path, n=6):
    """n generated reports with known cells, one empty file and one binary file."""
    rng = random.Random(4)
    folder = tmp_path / "in"
    folder.mkdir()
    known = {}
    for i in range(n):
        year = 2019 + i % 4
        record = make_record(rng, "2019" if year <= 2020 else "2021", year, f"示例县第{i}局")
        path = folder / f"r{i}.txt"
        path.write_text(render_text(record, "tabs"), encoding="utf-8")
        known[str(path)] = record
    (folder / "empty.txt").write_bytes(b"")
    (folder / "junk.bin").write_bytes(bytes(range(256)) * 8)
    return folder, known


def test_jsonl_with_workers_streams_every_record_and_names_bad_files(tmp_path):
    folder, known = _folder(tmp_path)
    result = runner.invoke(app, ["parse", str(folder), "--format", "jsonl", "-j", "2", "--no-detail"])
    assert result.exit_code & 2, result.output  # two files unreadable
    lines = result.stdout.splitlines()
    assert len(lines) == len(known)
    for line in lines:
        record = json.loads(line)
        made = known[record["source"]]
        assert "detail" not in record
        for key in ("t3.new.total", "t3.granted.total", "t4.review.total"):
            assert record["cells"][key] == made.cells[key].value
    bad = [line for line in result.stderr.splitlines() if line.startswith("✗")]
    assert len(bad) == 2 and any("empty.txt" in b for b in bad) and any("junk.bin" in b for b in bad)


def test_json_array_is_valid_compact_by_default_and_indented_on_request(tmp_path):
    folder, known = _folder(tmp_path, n=3)
    compact = runner.invoke(app, ["parse", str(folder)])
    data = json.loads(compact.stdout)
    assert sorted(d["source"] for d in data) == sorted(known)
    assert all(len(line) > 1000 for line in compact.stdout.splitlines()[1:-1])  # one line per record
    indented = runner.invoke(app, ["parse", str(folder), "--indent", "2"])
    assert json.loads(indented.stdout) == data and '\n    "source"' in indented.stdout
    empty = runner.invoke(app, ["parse", str(folder / "empty.txt"), str(folder / "junk.bin")])
    assert json.loads(empty.stdout) == [] and empty.exit_code == 2


def test_csv_with_workers_has_one_header_and_every_cell(tmp_path):
    folder, known = _folder(tmp_path, n=4)
    result = runner.invoke(app, ["parse", str(folder), "--format", "csv", "-j", "2"])
    lines = result.stdout.splitlines()
    assert lines[0].startswith("source,sha256") and sum(line.startswith("source,") for line in lines) == 1
    assert len(lines) - 1 == sum(len(forms.keys(r.meta.template)) for r in known.values())


def test_exit_codes_findings_and_unreadable(tmp_path):
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    assert runner.invoke(app, ["parse", str(seed_path("004"))]).exit_code == 0
    assert runner.invoke(app, ["parse", str(seed_path("000"))]).exit_code == 1  # FORMAT-YEAR: an error finding
    assert runner.invoke(app, ["parse", str(seed_path("000")), str(empty)]).exit_code == 3
    assert "退出码" in runner.invoke(app, ["parse", "--help"]).stdout


def test_stdin_with_workers(tmp_path):
    data = seed_path("003").read_bytes()
    result = runner.invoke(app, ["parse", "-", "-j", "2", "--format", "jsonl"], input=data)
    assert json.loads(result.stdout)["meta"]["agency"] == "会宁县工业和信息化局"


def test_check_ends_with_a_total_line(tmp_path):
    folder, known = _folder(tmp_path, n=2)
    result = runner.invoke(app, ["check", "--no-tables", str(folder)])
    last = result.stdout.strip().splitlines()[-1]
    assert last.startswith("共 4 份") and "无法读取 2" in last and "已审核 2" in last
    assert result.exit_code & 2


def test_ingest_fails_while_files_of_the_paths_are_stored_as_failed(tmp_path):
    folder, known = _folder(tmp_path, n=2)
    db = str(tmp_path / "c.db")
    first = runner.invoke(app, ["ingest", str(folder), "--db", db, "-q", "-j", "1"])
    assert first.exit_code == 2 and "新增 2" in first.stdout and "失败 2" in first.stdout
    again = runner.invoke(app, ["ingest", str(folder), "--db", db, "-q", "-j", "1"])
    assert again.exit_code == 2  # nothing new failed, but two of these files are stored as failed
    assert "已在库中 2" in again.stdout and "以前失败未重试 2" in again.stdout
    assert "--retry-failed" in again.stderr
