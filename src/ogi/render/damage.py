"""Reports damaged the way crawlers and converters damage them (spec §7), for tests and benchmarks.

``flatten``: crawler text that dropped every cell separator — labels run together, then the digits.
``detached_markdown``: table 3 as a PDF-to-markdown converter leaves it, the value rows apart from
their labels.
"""

from __future__ import annotations

import re

from .. import forms
from ..model import Record
from .text import render_text

_VALUE = re.compile(r"^[-\d.]*$")


def flatten(text: str) -> str:
    """Drop the separators of every table row: labels run together, then the digits."""
    out = []
    for line in text.split("\n"):
        if "|" not in line:
            out.append(line)
            continue
        pieces = [p.strip() for p in line.split("|") if p.strip()]
        if not any(_VALUE.match(p) for p in pieces):
            out.append(" ".join(pieces))
            continue
        labels = "".join(p for p in pieces if not _VALUE.match(p))
        out.append(labels + "".join(p for p in pieces if _VALUE.match(p)))
    return "\n".join(out)


def detached_markdown(record: Record) -> str:
    """Table 3 as a PDF-to-markdown converter leaves it: a table of labels with generic column names,
    then a separate table of the value rows."""
    lines = render_text(record, "pipe", seed=1).split("\n")
    first = next(i for i, line in enumerate(lines) if "申请人情况" in line or "勾稽" in line)
    last = next(i for i in range(first, len(lines)) if re.match(r"^\s*四、[^|]*$", lines[i]))
    rows = forms.t3_rows(record.meta.template, record.cells)
    labels = ["| 项目 | 数据1 |", "|---|---|"] + [f"| {r.label} | |" for r in rows]
    values = ["", "| 数据1 | 数据2 | 数据3 | 数据4 | 数据5 | 数据6 | 数据7 |", "|---|---|---|---|---|---|---|"]
    for r in rows:
        cells = [record.cells[f"t3.{r.key}.{c.key}"] for c in forms.T3_COLUMNS]
        values.append("| " + " | ".join(str(c.value) for c in cells) + " |")
    return "\n".join(lines[:first] + labels + values + lines[last:])
