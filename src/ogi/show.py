"""Record → a Rich summary for the terminal, in Chinese: who, which year, which format, the three
tables in their official shape (blanks shown as blanks, missing cells marked, wrong cells in red), and
the findings by severity."""

from __future__ import annotations

from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from . import grid
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
        if cell.candidates:  # the readings a damaged source allows: none is a value until a reviewer picks
            return Text("?" + "/".join(map(_number, cell.candidates)), style="red")
        return Text(cell.raw or "?", style="red")
    value = cell.value
    text = (format(value, "f") if not isinstance(value, int) else str(value)) + (cell.unit or "")
    style = "bold red" if flagged else ("magenta" if cell.origin.value != "source" else "")
    return Text(text, style=style)


def _number(value) -> str:
    return format(value, "f") if not isinstance(value, int) else str(value)


def _flagged(record: Record) -> set[str]:
    return {k for f in record.findings if f.severity is Severity.error for k in f.keys}


def _values(record: Record, keys: tuple[str, ...], flagged: set[str]) -> list[Text]:
    return [cell_text(record.cells.get(k), k in flagged) for k in keys]


def table2(record: Record) -> Table:
    """Table 2 row by row as the grid has it: each block's heads in bold, then its rows."""
    flagged = _flagged(record)
    rows = grid.of_record(record)[2].rows
    width = max(len(row) for row in rows)
    t = Table(title="二、主动公开政府信息情况", show_header=False, show_lines=False, title_justify="left")
    for row in rows:
        shown = [
            Text(grid.one_line(c.text), style="bold")
            if c.header
            else cell_text(record.cells.get(c.key), c.key in flagged)
            if c.key is not None
            else c.text
            for c in row
        ]
        t.add_row(*shown, *[""] * (width - len(row)))
    return t


def table3(record: Record) -> Table:
    """Table 3 one official row a line; a group (三)…(六) as a bold line over its indented rows."""
    flagged = _flagged(record)
    lines = grid.lines(grid.of_record(record)[3])
    t = Table(title="三、收到和处理政府信息公开申请情况", title_justify="left", show_lines=False)
    t.add_column(lines[0].heads[0])
    for column in lines[0].columns:
        t.add_column(grid.one_line(column), justify="right")
    shown_group = ""
    for line in lines:
        group = line.labels[1] if len(line.labels) == 3 else ""  # (三)… between 三、本年度办理结果 and the row
        if group and group != shown_group:
            t.add_row(Text(group, style="bold"), *[""] * len(line.keys))
        shown_group = group
        t.add_row(("  " if group else "") + grid.brief(line.labels[-1]), *_values(record, line.keys, flagged))
    return t


def table4(record: Record) -> Table:
    """Table 4 one line per proceeding (行政复议, and 行政诉讼 of either kind), its five results across."""
    flagged = _flagged(record)
    lines = grid.lines(grid.of_record(record)[4])
    t = Table(title="四、政府信息公开行政复议、行政诉讼情况", title_justify="left")
    t.add_column("")
    for column in lines[0].columns:
        t.add_column(grid.one_line(column), justify="right")
    for line in lines:
        t.add_row("·".join(line.heads), *_values(record, line.keys, flagged))
    return t


def findings_panel(record: Record) -> Panel:
    if not record.findings:
        return Panel(Text("未发现问题", style="green"), title="审核发现", title_align="left")
    lines = []
    for f in record.findings:
        line = Text()
        line.append(f"[{SEVERITY_ZH[f.severity]}] ", style=_STYLE[f.severity])
        line.append(f"{f.rule} ", style="bold")
        line.append(f.message)
        lines.append(line)
    counts = {s: sum(1 for f in record.findings if f.severity is s) for s in Severity}
    title = "审核发现：" + "，".join(f"{SEVERITY_ZH[s]} {n}" for s, n in counts.items() if n)
    return Panel(Group(*lines), title=title, title_align="left")


def problems_panel(record: Record) -> Panel | None:
    """读取问题: what ogi could not read, apart from the findings: the reviewer checks them against the source."""
    if not record.problems:
        return None
    lines = []
    for f in record.problems:
        line = Text()
        line.append(f"{f.rule} ", style="bold")
        line.append(f.message)
        lines.append(line)
    title = f"读取问题（请对照原文核对，不计入报告错误）：{len(record.problems)} 条"
    return Panel(Group(*lines), title=title, title_align="left", border_style="dim")


def header(record: Record) -> Text:
    m = record.meta
    text = Text()
    text.append(f"{m.source}\n", style="bold")
    text.append(
        f"机关：{m.organ or '（未识别）'}    年度：{m.year or '（未识别）'}    格式：{m.template or '（未识别）'}版"
    )
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
    if (problems := problems_panel(record)) is not None:
        console.print(problems)
    console.print(findings_panel(record))
