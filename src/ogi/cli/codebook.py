"""``ogi keys``: the codebook — every cell key with its Chinese label, unit and formats, the harmonised
variables and the derived figures (ogi.codebook; docs/codebook.md is its Markdown)."""

from __future__ import annotations

import json
import sys

import typer
from rich.table import Table

from .. import codebook
from .app import EXIT_UNREADABLE, app, console, errors, print_csv

_FORMATS = ("table", "csv", "json")


@app.command("keys")
def keys_command(
    fmt: str = typer.Option("table", "--format", "-f", help="输出：table、csv 或 json"),
    harmonised: bool = typer.Option(False, "--harmonised", help="列出两版格式的统一变量"),
    figures: bool = typer.Option(False, "--figures", help="列出派生指标及其公式"),
    template: str | None = typer.Option(None, "--template", help="只列出一版格式的键：2019 或 2021"),
    markdown: bool = typer.Option(False, "--markdown", help="输出完整代码本的 Markdown（即 docs/codebook.md）"),
) -> None:
    """代码本：单元格键、表、行、列、中文名称、单位、所属格式与统一变量；统一变量；派生指标公式。"""
    if fmt not in _FORMATS:
        errors.print(f"[red]✗ --format[/red]：不支持的输出 {fmt}（可用：table、csv、json）")
        raise typer.Exit(EXIT_UNREADABLE)
    if template not in (None, "2019", "2021"):
        errors.print(f"[red]✗ --template[/red]：未知的格式 {template}（可用：2019、2021）")
        raise typer.Exit(EXIT_UNREADABLE)
    if markdown:
        sys.stdout.write(codebook.markdown())
        return
    heads: tuple[str, ...]
    if harmonised:
        rows, title, heads = codebook.harmonised(), "统一变量", ("统一变量", "中文名称", "关系", "2019 版", "2021 版")
    elif figures:
        rows, title, heads = codebook.measures(), "派生指标", ("指标", "中文名称", "公式")
    else:
        rows = [r for r in codebook.as_rows() if template is None or template in r["formats"].split()]
        title, heads = "单元格键（完整各列：--format csv 或 json）", ("键", "中文名称", "单位", "格式", "统一变量")
    if fmt == "json":
        console.print_json(json.dumps(rows, ensure_ascii=False))
        return
    columns = list(rows[0]) if rows else []
    if fmt == "csv":
        print_csv(columns, ([r[c] for c in columns] for r in rows))
        return
    table = Table(title=title, box=None, padding=(0, 1), header_style="bold")
    for i, head in enumerate(heads):
        table.add_column(head, overflow="fold", no_wrap=i == 0)  # a key is read whole
    for r in rows:
        if "key" in r:  # the terminal's width: the five columns a reader looks a key up by
            same = r["harmonised"] == r["key"]
            formats = "两版" if len(r["formats"].split()) == 2 else r["formats"]
            unit = r["unit"].split("（")[0].replace("表头未注明", "未注明")
            table.add_row(r["key"], r["label"], unit, formats, "同键" if same else r["harmonised"])
        else:
            table.add_row(*(codebook.RELATION_ZH.get(v, v) if c == "relation" else v for c, v in r.items()))
    console.print(table)
