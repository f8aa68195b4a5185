"""Issue 14: a command line that speaks Chinese, including the parser's own words; database errors
without help links or passwords; nonsense values refused; a file that is not a table answered."""

from __future__ import annotations

import subprocess
import sys

import pytest

from .conftest import ROOT

ENGLISH = ("No such command", "Missing argument", "Show this message and exit.", "[required]", "Usage:", "<list[str]>")


def ogi(*args: str, cwd=None) -> subprocess.CompletedProcess:
    env = {"PYTHONPATH": str(ROOT / "src"), "PATH": "/usr/bin:/bin", "COLUMNS": "80"}
    return subprocess.run([sys.executable, "-m", "ogi", *args], capture_output=True, text=True, env=env, cwd=cwd)


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (("nosuch",), "没有 “nosuch” 这个命令"),
        (("stat",), "是否要用 'stats'"),
        (("ingest",), "缺少参数 'paths'"),
        (("stats", "--bogus"), "没有这个选项：--bogus"),
        (("demo", "--count", "abc"), "'--count' 的值无效：应为整数"),
        (("demo", "--count", "-3"), "应不小于 0"),
    ],
)
def test_usage_errors_in_chinese(args, said):
    out = ogi(*args)
    assert out.returncode == 2
    assert said in out.stderr
    assert "用法：" in out.stderr and not any(e in out.stderr for e in ENGLISH)


@pytest.mark.parametrize("command", [(), ("ingest",), ("export",), ("demo",), ("keys",)])
def test_help_in_chinese(command):
    out = ogi(*command, "--help")
    assert out.returncode == 0
    assert "显示本帮助并退出。" in out.stdout and "用法：" in out.stdout
    assert not any(e in out.stdout for e in ENGLISH)
    assert "<bool>" not in out.stdout and "<str>" not in out.stdout
    assert all(len(line) <= 80 for line in out.stdout.splitlines())


def test_database_errors_never_show_the_password_or_a_help_link(tmp_path):
    out = ogi("stats", "--db", "postgresql://ogi:s3cret-pw@127.0.0.1:1/none")
    assert out.returncode == 2
    assert "s3cret-pw" not in out.stderr and "sqlalche.me" not in out.stderr
    told = "".join(out.stderr.split())
    assert "无法打开数据库" in told and "连接被拒绝" in told
    (tmp_path / "notes.db").write_text("这不是数据库\n" * 100, encoding="utf-8")
    out = ogi("stats", "--db", str(tmp_path / "notes.db"))
    assert out.returncode == 2 and "不是SQLite数据库" in "".join(out.stderr.split()) and "Traceback" not in out.stderr


@pytest.mark.parametrize(
    ("content", "said"),
    [
        (b"\x00\x01\x02binary" * 50, "不是机关名录表格"),
        (b"PK\x03\x04not really a workbook", "无法作为 Excel 文件打开"),
        (b'{"a": 1}', "“名称”"),
    ],
)
def test_organ_import_of_what_is_not_a_table(tmp_path, content, said):
    path = tmp_path / "organs.xlsx"
    path.write_bytes(content)
    out = ogi("organs", "--db", str(tmp_path / "c.db"), "--import", str(path))
    told = "".join(out.stderr.split())  # the terminal's line breaks and spaces aside
    assert out.returncode == 2 and "".join(said.split()) in told and "Traceback" not in told


def test_demo_table_fits_80_columns(tmp_path):
    out = ogi("demo", "--count", "4", "--db", str(tmp_path / "d.db"), "--folder", str(tmp_path / "s"), cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert all(len(line) <= 80 for line in out.stdout.splitlines())
    assert "兰溪市人力资源和社会" in out.stdout and "真实" in out.stdout


def test_stats_fit_80_columns_and_say_what_they_leave_out(tmp_path):
    from ogi.corpus import Corpus

    from .builders import record

    filled = {"t3.new.total": 10, "t3.new.natural": 10, "t3.granted.total": 10, "t3.granted.natural": 10}
    filled |= {"t3.total.total": 10, "t3.total.natural": 10}
    with Corpus(tmp_path / "c.db") as corpus:
        corpus.add(record("会宁县教育局", 2021, filled))
        # granted and partial both blank: the 10 decided cannot be split between them from what is written
        both = {
            "t3.granted.total": None,
            "t3.granted.natural": None,
            "t3.partial.total": None,
            "t3.partial.natural": None,
        }
        corpus.add(record("泾县教育局", 2021, filled | both))
    out = ogi("stats", "--db", str(tmp_path / "c.db"), "--by", "year,province")
    assert out.returncode == 0, out.stderr
    assert all(len(line) <= 80 for line in out.stdout.splitlines())
    assert "公开率" in out.stdout and "100.0%" in out.stdout  # the known report only, not 50%
    assert "未计入：公开率1份" in "".join(out.stdout.split())
