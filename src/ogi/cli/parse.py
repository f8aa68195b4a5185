"""``ogi parse | check | rules | schema``: report files → records, audits and the rule catalogue, without a database.

    ogi parse FILE... [--format json|csv]   the canonical record (spec §8)
    ogi check FILE...                       a Chinese summary per report; exit status 1 = errors found,
                                            2 = a file could not be read, 3 = both

None of these imports SQLAlchemy, FastAPI or openpyxl (a test keeps it so): they start fast.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path

import typer
from rich.table import Table

from ..forms import label_of
from ..model import SEVERITY_ZH, OgiError, Record, Severity
from ..pipeline import batch_mode, parse
from ..rules import RULES, rules_markdown
from ..show import show_record
from .app import EXIT_FINDINGS, EXIT_OK, EXIT_UNREADABLE, app, console, errors, print_csv, report_error

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


def _inputs(files: list[str]) -> Iterator[tuple[str, str | bytes]]:
    """Each input as (name, path-or-bytes); "-" is standard input; folders give their files."""
    for name in files:
        if name == "-":
            yield "<stdin>", sys.stdin.buffer.read()
            continue
        path = Path(name)
        if path.is_dir():
            for child in sorted(p for p in path.rglob("*") if p.is_file()):
                yield str(child), str(child)
        else:
            yield name, name


def parse_all(files: list[str]) -> Iterator[tuple[str, Record | OgiError]]:
    """Parse every input; a bad file yields its error and the run goes on."""
    if len(files) > 1:
        batch_mode()
    for name, source in _inputs(files):
        try:
            yield name, parse(source, name)
        except OgiError as exc:
            yield name, exc
        except RecursionError:  # pathological nesting in hostile input
            yield name, OgiError(name, "文件结构异常，无法解析 (pathological structure)")


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


@app.command("parse")
def parse_command(
    files: list[str] = typer.Argument(..., help="报告文件（文本、HTML、DOCX、PDF…），文件夹，或 - 表示标准输入"),
    format: str = typer.Option("json", "--format", "-f", help="输出格式：json 或 csv（每个单元格一行）"),
) -> None:
    """解析报告，输出规范化记录（JSON 或长格式 CSV）。"""
    if format not in ("json", "csv"):
        errors.print(f"[red]不支持的输出格式：{format}（可选 json、csv）[/red]")
        raise typer.Exit(EXIT_UNREADABLE)
    records, failed = [], False
    for _, result in parse_all(files):
        if isinstance(result, OgiError):
            report_error(result)
            failed = True
        else:
            records.append(result)
    if format == "json":
        data = [r.contract() for r in records]
        out = data[0] if len(data) == 1 and len(files) == 1 and files[0] != "." else data
        sys.stdout.write(json.dumps(out, ensure_ascii=False, indent=1) + "\n")
    else:
        print_csv(CSV_FIELDS, cell_rows(records))
    raise typer.Exit(EXIT_UNREADABLE if failed else EXIT_OK)


@app.command("check")
def check_command(
    files: list[str] = typer.Argument(..., help="报告文件、文件夹，或 - 表示标准输入"),
    tables: bool = typer.Option(True, "--tables/--no-tables", help="是否按官方格式显示三张统计表"),
) -> None:
    """审核报告：逐份显示机关、年度、格式、三张表和审核发现；有错误时退出码为 1，无法读取为 2。"""
    status = EXIT_OK
    for _, result in parse_all(files):
        if isinstance(result, OgiError):
            report_error(result)
            status |= EXIT_UNREADABLE
            continue
        show_record(console, result, tables=tables)
        if any(f.severity is Severity.error for f in result.findings):
            status |= EXIT_FINDINGS
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
