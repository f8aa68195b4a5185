"""Record → markdown as PDF-to-markdown converters leave a report (damaged-reports §3, issue #10).

``render_markdown(record, pattern)`` writes the headings as ``##`` lines and every table as markdown
tables, damaged the way converters damage them:

    split      table 3 cut into small tables at page breaks, each under the official header again
    generic    the same, under generic headers ("| 项目 | 数据1 | 数据2 …")
    detached   table 3's labels in one table, then its value rows in another, in order
    t4_groups  table 4 as three small tables, each under its own ``###`` heading, five outcome columns
    all        split with generic headers, and table 4 under ``###`` headings

The cells written are the record's, so a test knows every value the reader must find.
"""

from __future__ import annotations

import random
import re

from .. import forms
from .. import grid as g
from ..model import Record
from .text import render_text, stable_seed, value_text

PATTERNS = ("split", "generic", "detached", "t4_groups", "all")
_HEADING = re.compile(r"^\s*[一二三四五六]、[^|]*$")
_T4_HEADINGS = {
    "review": "### 行政复议",
    "suit_direct": "### 行政诉讼（未经复议直接起诉）",
    "suit_after": "### 行政诉讼（复议后起诉）",
}
_T3_HEADER = ("申请人情况", "自然人", "商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他", "总计")


def render_markdown(record: Record, pattern: str = "all", *, seed: int | None = None) -> str:
    """The report as a converter's markdown, damaged by ``pattern`` (one of PATTERNS)."""
    if pattern not in PATTERNS:
        raise ValueError(f"unknown markdown pattern {pattern!r} (one of {', '.join(PATTERNS)})")
    rng = random.Random(stable_seed(record, "markdown") if seed is None else seed)
    lines = render_text(record, "pipe", seed=rng.randrange(1 << 30)).split("\n")
    t3_start = next(i for i, line in enumerate(lines) if "勾稽" in line or "申请人情况" in line)
    t4_heading = next(i for i in range(t3_start, len(lines)) if _HEADING.match(lines[i]))
    t5_heading = next(i for i in range(t4_heading + 1, len(lines)) if _HEADING.match(lines[i]))
    t3 = _table3(record, pattern, rng)
    t4 = _table4(record, rng) if pattern in ("t4_groups", "all") else _markdown(lines[t4_heading + 1 : t5_heading])
    out = _markdown(lines[:t3_start]) + [""] + t3 + [""] + [lines[t4_heading]] + t4 + _markdown(lines[t5_heading:])
    return "\n".join("## " + line.strip() if _HEADING.match(line) else line for line in out) + "\n"


def _markdown(lines: list[str]) -> list[str]:
    """Pipe rows as markdown table rows, a separator under the first row of each run of them."""
    out: list[str] = []
    previous_row = False
    for line in lines:
        if "|" not in line:
            out.append(line)
            previous_row = False
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        while cells and not cells[-1]:
            cells.pop()
        if not previous_row:
            out += ["", "| " + " | ".join(cells) + " |", "|" + "---|" * len(cells)]
        else:
            out.append("| " + " | ".join(cells) + " |")
        previous_row = True
    return out


def _t3_lines(record: Record) -> list[g.Line]:
    return g.lines(g.of_record(record, skip_absent=True)[3])


def _label_cells(lines: list[g.Line]) -> list[list[str]]:
    """Each row's label cells as a converter leaves merged cells: a group label on its first row only."""
    out, seen = [], set()
    for line in lines:
        labels = [g.one_line(x) for x in line.labels]
        cells = [x if (x not in seen or x == labels[-1]) else "" for x in labels]
        seen.update(labels)
        out.append(cells + [""] * (3 - len(cells)) if len(cells) < 3 else cells)
    return out


def _table3(record: Record, pattern: str, rng: random.Random) -> list[str]:
    lines = _t3_lines(record)
    labels = _label_cells(lines)
    values = [[value_text(record.cells.get(k), rng, ("", "—")) for k in line.keys] for line in lines]
    generic = pattern in ("generic", "all")
    if pattern == "detached":
        apart = ["| 项目 | | | 数据1 |", "|---|---|---|---|"]
        apart += ["| " + " | ".join(cells) + " | |" for cells in labels]
        apart += ["", "| " + " | ".join(f"数据{i}" for i in range(1, 8)) + " |", "|" + "---|" * 7]
        return apart + ["| " + " | ".join(row) + " |" for row in values]
    cuts = sorted(rng.sample(range(3, len(lines) - 2), 2)) if pattern != "t4_groups" else []
    out: list[str] = []
    for i, (cells, row) in enumerate(zip(labels, values)):
        if i == 0 or i in cuts:
            header = ("项目", "", "", *(f"数据{k}" for k in range(1, 8))) if generic else _header_cells()
            if i:
                out += ["", f"<!-- 第 {cuts.index(i) + 2} 页 -->", ""]
            out += ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        out.append("| " + " | ".join(cells + row) + " |")
    return out


def _header_cells() -> tuple[str, ...]:
    return (_T3_HEADER[0], "", "", *_T3_HEADER[1:])


def _table4(record: Record, rng: random.Random) -> list[str]:
    out: list[str] = []
    for group in forms.T4_GROUPS:
        out += ["", _T4_HEADINGS[group.key], ""]
        out += ["| " + " | ".join(c.label for c in forms.T4_COLUMNS) + " |", "|" + "---|" * len(forms.T4_COLUMNS)]
        cells = [record.cells.get(f"t4.{group.key}.{c.key}") for c in forms.T4_COLUMNS]
        out.append("| " + " | ".join(value_text(c, rng, ("", "—")) for c in cells) + " |")
    return out + [""]
