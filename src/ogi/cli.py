"""The ``ogi`` command: a thin face over the library (each command is one library call plus printing).

    ogi parse FILE... [--format json|csv]   the canonical record (spec §8)
    ogi check FILE...                       a Chinese summary per report; exit status 1 = errors found,
                                            2 = a file could not be read, 3 = both
Other modules add their commands to ``app`` (corpus, render, serve).
"""

from __future__ import annotations

import csv
import io
import json
import sys
from collections.abc import Iterator
from pathlib import Path

import typer
from rich.console import Console

from .model import OgiError, Record, Severity
from .pipeline import batch_mode, parse

app = typer.Typer(
    name="ogi",
    help="政府信息公开工作年度报告：读取、审核、入库、展示与编制 (open-government-information annual reports)",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console(highlight=False)
errors = Console(stderr=True, highlight=False)

EXIT_FINDINGS = 1
EXIT_UNREADABLE = 2


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


def _report_error(exc: OgiError) -> None:
    errors.print(f"[red]✗ {exc.source}[/red]：{exc.problem}")


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
            _report_error(result)
            failed = True
        else:
            records.append(result)
    if format == "json":
        data = [r.contract() for r in records]
        out = data[0] if len(data) == 1 and len(files) == 1 and files[0] != "." else data
        sys.stdout.write(json.dumps(out, ensure_ascii=False, indent=1) + "\n")
    else:
        sys.stdout.write(records_to_csv(records))
    raise typer.Exit(EXIT_UNREADABLE if failed else 0)


CSV_FIELDS = ("source", "sha256", "organ", "year", "template", "key", "label", "value", "state", "unit", "raw",
              "origin", "line", "page", "table", "row", "col")


def records_to_csv(records: list[Record]) -> str:
    """Long form: one row per cell, with its provenance."""
    from .forms import label_of

    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_FIELDS)
    for r in records:
        for key, cell in r.cells.items():
            w = cell.where
            writer.writerow([
                r.meta.source, r.meta.sha256, r.meta.organ or "", r.meta.year or "", r.meta.template or "", key,
                label_of(key), "" if cell.value is None else cell.value, cell.state.value, cell.unit or "", cell.raw,
                cell.origin.value, *(("" if w is None or getattr(w, f) is None else getattr(w, f))
                                     for f in ("line", "page", "table", "row", "col")),
            ])
    return buffer.getvalue()


@app.command("check")
def check_command(
    files: list[str] = typer.Argument(..., help="报告文件、文件夹，或 - 表示标准输入"),
    tables: bool = typer.Option(True, "--tables/--no-tables", help="是否按官方格式显示三张统计表"),
) -> None:
    """审核报告：逐份显示机关、年度、格式、三张表和审核发现；有错误时退出码为 1，无法读取为 2。"""
    from .show import show_record

    status = 0
    for _, result in parse_all(files):
        if isinstance(result, OgiError):
            _report_error(result)
            status |= EXIT_UNREADABLE
            continue
        show_record(console, result, tables=tables)
        if any(f.severity is Severity.error for f in result.findings):
            status |= EXIT_FINDINGS
    raise typer.Exit(status)


@app.command("schema")
def schema_command(output: Path | None = typer.Option(None, "--output", "-o", help="写入文件（默认输出到屏幕）")) -> None:
    """输出规范化记录（Record）的 JSON Schema，供其他系统对接。"""
    text = json.dumps(Record.model_json_schema(mode="serialization"), ensure_ascii=False, indent=1) + "\n"
    if output is None:
        sys.stdout.write(text)
    else:
        output.write_text(text, encoding="utf-8")


@app.command("rules")
def rules_command(markdown: bool = typer.Option(False, "--markdown", help="以 Markdown 表格输出")) -> None:
    """列出全部审核规则（编号、级别、说明）。"""
    from rich.table import Table as RichTable

    from .model import SEVERITY_ZH
    from .rules import RULES, rules_markdown

    if markdown:
        sys.stdout.write(rules_markdown())
        return
    table = RichTable(title="审核规则")
    for column in ("规则", "级别", "名称", "检查内容"):
        table.add_column(column)
    for r in RULES:
        table.add_row(r.id, SEVERITY_ZH[r.severity], r.title, r.description)
    console.print(table)


@app.command("demo")
def demo_command(
    folder: Path = typer.Option(Path("samples"), "--folder", help="样例报告写入的文件夹"),
    count: int = typer.Option(24, "--count", help="生成的样例报告份数"),
    db: str | None = typer.Option(None, "--db", envvar="OGI_DB", help="语料库（默认 ./ogi.db）"),
) -> None:
    """演示：生成样例报告（并加入 ../shared/seeds 的真实报告），逐份审核并汇总结果。"""
    from .demo import run

    raise typer.Exit(run(console, folder, db, count))


def main() -> None:  # pragma: no cover - console entry point
    app()


from . import cli_render  # noqa: E402,F401  registers `ogi render` (src/ogi/render/)
from . import cli_corpus  # noqa: E402,F401
from . import cli_serve  # noqa: E402,F401
