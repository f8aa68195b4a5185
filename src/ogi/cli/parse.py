"""``ogi parse | check | rules | schema``: report files → records, audits and the rule catalogue, without a database.

    ogi parse FILE... [--format json|jsonl|csv] [-j N]   the canonical record (spec §8), streamed
    ogi check FILE...                                     a Chinese summary per report, then one total line

Exit status (bits, as every ``ogi`` command): 0 all read and no error finding, 1 error findings, 2 a file
could not be read, 3 both.

``ogi parse`` writes each record the moment it is made and keeps nothing: memory stays flat over any number
of files. With ``-j N`` the files are parsed by N child processes (``ogi.pool``: each file under a time and
memory budget; a file that stalls or kills its worker is one line on stderr and the run goes on) and records
come in the order they are finished, each with its ``source``. JSON is encoded by msgspec (about 8× the
standard library's speed on a record: bench/bench_parse_stream.py), compact unless ``--indent``.

None of these imports SQLAlchemy, FastAPI or openpyxl (a test keeps it so): they start fast.
"""

from __future__ import annotations

import csv
import io
import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path

import msgspec
import typer
from rich.table import Table

from ..export.tables import csv_field
from ..forms import label_of
from ..model import SEVERITY_ZH, OgiError, Record, Severity
from ..pipeline import batch_mode, parse
from ..read import read_stream
from ..rules import RULES, rules_markdown
from ..show import show_record
from .app import EXIT_FINDINGS, EXIT_OK, EXIT_UNREADABLE, app, console, errors, report_error

CSV_FIELDS = (
    "source",
    "sha256",
    "organ",
    "year",
    "template",
    "key",
    "label",
    "value",
    "state",
    "unit",
    "raw",
    "origin",
    "line",
    "page",
    "table",
    "row",
    "col",
)
WHERE_FIELDS = ("line", "page", "table", "row", "col")
FORMATS = ("json", "jsonl", "csv")
STDIN = "-"

_EXIT_HELP = "退出码：0 全部读取且无错误级发现；1 有错误级审核发现；2 有文件无法读取；3 两者皆有。"


def _inputs(files: list[str]) -> Iterator[str]:
    """Each input: a path, or "-" for standard input; folders give their files, walked lazily in order."""
    for name in files:
        if name != STDIN and Path(name).is_dir():
            for root, dirs, names in os.walk(name):
                dirs.sort()
                yield from (os.path.join(root, n) for n in sorted(names))
        else:
            yield name


def _parse_one(name: str) -> Record | OgiError:
    """One input → its record, or the error that names it (never an exception: the batch goes on)."""
    try:
        if name == STDIN:
            return parse(read_stream(sys.stdin.buffer, "<stdin>"), "<stdin>")
        return parse(name, name)
    except OgiError as exc:
        return exc
    except RecursionError:  # pathological nesting in hostile input
        return OgiError(name, "文件结构异常，无法解析 (pathological structure)")
    except Exception as exc:  # a reader's own failure on a damaged file: one line, not a traceback
        return OgiError(name, f"无法解析（读取组件出错：{exc.__class__.__name__}: {exc}）")


def parse_all(files: list[str]) -> Iterator[tuple[str, Record | OgiError]]:
    """Parse every input in this process, in order; a bad file yields its error and the run goes on."""
    if len(files) > 1 or any(f != STDIN and Path(f).is_dir() for f in files):
        batch_mode()
    for name in _inputs(files):
        yield name, _parse_one(name)


def cell_rows(records: list[Record]) -> Iterator[tuple[object, ...]]:
    """Long form: one row per cell, with its provenance (columns ``CSV_FIELDS``)."""
    for r in records:
        for key, cell in r.cells.items():
            where = [None if cell.where is None else getattr(cell.where, f) for f in WHERE_FIELDS]
            yield (
                r.meta.source,
                r.meta.sha256,
                r.meta.organ,
                r.meta.year,
                r.meta.template,
                key,
                label_of(key),
                cell.value,
                cell.state.value,
                cell.unit,
                cell.raw,
                cell.origin.value,
                *where,
            )


def encode(record: Record, fmt: str, indent: int | None = None, detail: bool = True) -> bytes:
    """One record as its output bytes: a JSON object (no newline), or its CSV rows (without header)."""
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerows([csv_field(v) for v in row] for row in cell_rows([record]))
        return buffer.getvalue().encode("utf-8")
    data = record.contract()
    if not detail:
        data.pop("detail")
    return _json(data, indent)


def _json(data: object, indent: int | None) -> bytes:
    out = msgspec.json.encode(data)
    return msgspec.json.format(out, indent=indent) if indent else out


def render_job(job: tuple[str, str, int | None, bool]) -> tuple:
    """In a worker: ("ok", bytes, error findings) or ("error", source, problem)."""
    name, fmt, indent, detail = job
    result = _parse_one(name)
    if isinstance(result, OgiError):
        return ("error", result.source, result.problem)
    errors_found = sum(f.severity is Severity.error for f in result.findings)
    return ("ok", encode(result, fmt, indent, detail), errors_found)


def _rendered(files: list[str], fmt: str, indent: int | None, detail: bool, workers: int) -> Iterator[tuple]:
    """render_job's answer for every input: in this process and in order, or by ``workers`` child processes."""
    if workers <= 1:
        if len(files) > 1 or any(f != STDIN and Path(f).is_dir() for f in files):
            batch_mode()
        for name in _inputs(files):
            yield render_job((name, fmt, indent, detail))
        return
    from ..pool import TICK, Failed, Pool  # multiprocessing: only for a run with -j above 1

    if STDIN in files:  # standard input belongs to this process: read and parsed here, first
        yield render_job((STDIN, fmt, indent, detail))
    jobs = ((name, fmt, indent, detail) for name in _inputs(files) if name != STDIN)
    with Pool(render_job, workers, init=batch_mode) as pool:
        for job, answer in pool.run(jobs):
            if job is TICK:
                continue
            yield ("error", job[0], answer.reason) if isinstance(answer, Failed) else answer


@app.command("parse", epilog=_EXIT_HELP)
def parse_command(
    files: list[str] = typer.Argument(..., help="报告文件（文本、HTML、DOCX、PDF…），文件夹，或 - 表示标准输入"),
    format: str = typer.Option(
        "json", "--format", "-f", help="输出格式：json（数组）、jsonl（每行一份记录）或 csv（每个单元格一行）"
    ),
    indent: int | None = typer.Option(None, "--indent", min=1, max=8, help="JSON 缩进空格数（默认紧凑输出）"),
    detail: bool = typer.Option(True, "--detail/--no-detail", help="是否包含每个单元格的原文与位置（detail）"),
    workers: int = typer.Option(
        1, "--workers", "-j", min=1, max=64, help="并行进程数：1 在本进程按顺序解析；大于 1 时按完成先后输出"
    ),
) -> None:
    """解析报告，逐份输出规范化记录（JSON、JSONL 或长格式 CSV）；无法读取的文件在标准错误输出一行后继续。"""
    if format not in FORMATS:
        errors.print(f"[red]不支持的输出格式：{format}（可选 {'、'.join(FORMATS)}）[/red]")
        raise typer.Exit(EXIT_UNREADABLE)
    out = sys.stdout.buffer
    # One file given: its object, not an array of one (as before); otherwise a JSON array, written as it grows.
    single = format == "json" and len(files) == 1 and (files[0] == STDIN or not Path(files[0]).is_dir())
    status, written = EXIT_OK, 0
    if format == "csv":
        out.write(",".join(CSV_FIELDS).encode() + b"\n")
    elif format == "json" and not single:
        out.write(b"[")
    for answer in _rendered(files, format, indent, detail, workers):
        if answer[0] == "error":
            errors.print(f"[red]✗ {answer[1]}[/red]：{answer[2]}", soft_wrap=True)
            status |= EXIT_UNREADABLE
            continue
        if answer[2]:
            status |= EXIT_FINDINGS
        if format == "jsonl":
            out.write(answer[1] + b"\n")
        elif format == "json" and not single:
            out.write((b"\n" if written == 0 else b",\n") + answer[1])
        else:
            out.write(answer[1])
        out.flush()  # each record as soon as it is made: a pipe's reader need not wait for the batch
        written += 1
    if format == "json" and not single:
        out.write(b"\n]\n" if written else b"]\n")
    elif single and written:
        out.write(b"\n")
    out.flush()
    raise typer.Exit(status)


@app.command("check", epilog=_EXIT_HELP)
def check_command(
    files: list[str] = typer.Argument(..., help="报告文件、文件夹，或 - 表示标准输入"),
    tables: bool = typer.Option(True, "--tables/--no-tables", help="是否按官方格式显示三张统计表"),
) -> None:
    """审核报告：逐份显示机关、年度、格式、三张表和审核发现；多份时最后给出合计。"""
    status = EXIT_OK
    read = with_errors = unreadable = 0
    for _, result in parse_all(files):
        if isinstance(result, OgiError):
            report_error(result)
            status |= EXIT_UNREADABLE
            unreadable += 1
            continue
        read += 1
        show_record(console, result, tables=tables)
        if any(f.severity is Severity.error for f in result.findings):
            status |= EXIT_FINDINGS
            with_errors += 1
    if read + unreadable > 1:
        console.print(f"共 {read + unreadable} 份：已审核 {read}（其中有错误 {with_errors}），无法读取 {unreadable}")
    raise typer.Exit(status)


@app.command("schema")
def schema_command(
    output: Path | None = typer.Option(None, "--output", "-o", help="写入文件（默认输出到屏幕）"),
) -> None:
    """输出 ogi parse --format json 结果的 JSON Schema，供其他系统对接（单元格键见 ogi keys）。"""
    from ..codebook import contract_schema  # the codebook (harmonise, figures): only this command needs it

    text = json.dumps(contract_schema(), ensure_ascii=False, indent=1) + "\n"
    if output is None:
        sys.stdout.write(text)
    else:
        output.write_text(text, encoding="utf-8")


@app.command("rules")
def rules_command(markdown: bool = typer.Option(False, "--markdown", help="以 Markdown 表格输出")) -> None:
    """列出全部审核规则（编号、级别、说明）。"""
    if markdown:
        sys.stdout.write(rules_markdown())
        return
    table = Table(title="审核规则")
    for column in ("规则", "级别", "名称", "检查内容"):
        table.add_column(column)
    for r in RULES:
        table.add_row(r.id, SEVERITY_ZH[r.severity], r.title, r.description)
    console.print(table)
