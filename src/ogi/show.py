"""Record → a Rich summary for the terminal, in Chinese: who, which year, which format, the three
tables in their official shape (blanks shown as blanks, missing cells marked, wrong cells in red), and
the findings by severity."""

from __future__ import annotations

from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from . import forms
from .model import SEVERITY_ZH, Cell, Record, Severity, State

_STYLE = {Severity.error: "bold red", Severity.warning: "yellow", Severity.info: "cyan"}


def cell_text(cell: Cell | None, flagged: bool = False) -> Text:
    if cell is None or cell.state is State.missing:
        return Text("缺", style="red dim")
    if cell.state is State.blank:
        return Text("（空）", style="dim")
    if cell.state is State.not_applicable:
        return Text(cell.raw or "无", style="dim")
    if cell.state is State.unreadable:
        return Text(cell.raw or "?", style="red")
    value = cell.value
    text = (format(value, "f") if not isinstance(value, int) else str(value)) + (cell.unit or "")
    style = "bold red" if flagged else ("magenta" if cell.origin.value != "source" else "")
    return Text(text, style=style)


def _flagged(record: Record) -> set[str]:
    return {k for f in record.findings if f.severity is Severity.error for k in f.keys}


def table2(record: Record) -> Table:
    template = record.meta.template or "2021"
    flagged = _flagged(record)
    width = max(len(b.columns) for b in forms.t2_blocks(template))
    t = Table(title="二、主动公开政府信息情况", show_header=False, show_lines=False, title_justify="left")
    for b in forms.t2_blocks(template):
        t.add_row(Text(f"第二十条第{b.item}项", style="bold"), *[""] * width)
        t.add_row(Text("信息内容", style="bold"), *[Text(c.label, style="bold") for c in b.columns],
                  *[""] * (width - len(b.columns)))
        for r in b.rows:
            keys = [f"t2.{r.key}.{c.key}" for c in b.columns]
            t.add_row(r.label, *[cell_text(record.cells.get(k), k in flagged) for k in keys], *[""] * (width - len(keys)))
    return t


def table3(record: Record) -> Table:
    template = record.meta.template or "2021"
    flagged = _flagged(record)
    t = Table(title="三、收到和处理政府信息公开申请情况", title_justify="left", show_lines=False)
    t.add_column("申请人情况")
    for c in forms.T3_COLUMNS:
        t.add_column(c.label, justify="right")
    rows = list(forms.T3_ROWS[template])
    if template == "2021" and "t3.other.natural" in record.cells:  # the 2019 single row kept in 2021
        rows = [r for r in rows if not r.key.startswith("other.")]
        rows.insert(-2, forms.ROW_OTHER_2019)
    group = ""
    for r in rows:
        label = r.label.split("(区分")[0]
        if r.group and r.group != group and r.group != "三、本年度办理结果":
            t.add_row(Text(r.group, style="bold"), *[""] * 7)
        group = r.group
        indent = "  " if r.group and r.group != "三、本年度办理结果" else ""
        t.add_row(indent + label, *[cell_text(record.cells.get(f"t3.{r.key}.{c.key}"), f"t3.{r.key}.{c.key}" in flagged)
                                    for c in forms.T3_COLUMNS])
    return t


def table4(record: Record) -> Table:
    flagged = _flagged(record)
    t = Table(title="四、政府信息公开行政复议、行政诉讼情况", title_justify="left")
    t.add_column("")
    for c in forms.T4_COLUMNS:
        t.add_column(c.label, justify="right")
    for g in forms.T4_GROUPS:
        t.add_row(g.label, *[cell_text(record.cells.get(f"t4.{g.key}.{c.key}"), f"t4.{g.key}.{c.key}" in flagged)
                             for c in forms.T4_COLUMNS])
    return t


def findings_panel(record: Record) -> Panel:
    if not record.findings:
        return Panel(Text("未发现问题", style="green"), title="审核结果", title_align="left")
    lines = []
    for f in record.findings:
        line = Text()
        line.append(f"[{SEVERITY_ZH[f.severity]}] ", style=_STYLE[f.severity])
        line.append(f"{f.rule} ", style="bold")
        line.append(f.message)
        lines.append(line)
    counts = {s: sum(1 for f in record.findings if f.severity is s) for s in Severity}
    title = "审核结果：" + "，".join(f"{SEVERITY_ZH[s]} {n}" for s, n in counts.items() if n)
    return Panel(Group(*lines), title=title, title_align="left")


def header(record: Record) -> Text:
    m = record.meta
    text = Text()
    text.append(f"{m.source}\n", style="bold")
    text.append(f"机关：{m.organ or '（未识别）'}    年度：{m.year or '（未识别）'}    格式：{m.template or '（未识别）'}版")
    text.append(f"    发布日期：{m.published.isoformat() if m.published else '（未注明）'}")
    if m.index_no:
        text.append(f"    索引号：{m.index_no}")
    if m.traditional:
        text.append("    [繁体]", style="dim")
    return text


def show_record(console: Console, record: Record, tables: bool = True) -> None:
    console.rule()
    console.print(header(record))
    if tables:
        console.print(table2(record))
        console.print(table3(record))
        console.print(table4(record))
    console.print(findings_panel(record))
