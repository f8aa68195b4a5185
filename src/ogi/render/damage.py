"""Reports damaged the way crawlers and converters damage them (spec §7), for tests and benchmarks.

``flatten``: crawler text that dropped every cell separator — labels run together, then the digits.
``detached_markdown``: table 3 as a PDF-to-markdown converter leaves it, the value rows apart from
their labels.
``crawler_page``: the whole body on one line under a crawler's header block (damaged-reports §1), in
every pattern of ``PAGE_PATTERNS``; ``break_identities`` first gives a record its own arithmetic errors
(§2), so that the expected cells stay the record's. ``flatten_page``: any report text run onto one line
(the seeds).
"""

from __future__ import annotations

import random
import re
import unicodedata

from .. import forms
from ..model import Cell, Record, State
from .sample import inject
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


# Patterns of crawler pages: how a row's numbers are separated, and what else is damaged.
PAGE_PATTERNS = (
    "glued",
    "paragraphs",
    "spaced",
    "padded",
    "some_rows",
    "nbsp",
    "typos",
    "zero_totals",
    "t4_zero_totals",
    "total_row",
)
# Patterns whose record carries its own arithmetic error (break_identities): the audit may rightly find it.
BROKEN_PATTERNS = ("zero_totals", "t4_zero_totals", "total_row")
_DEBRIS = (
    "/* Style Definitions */ table.MsoNormalTable {mso-style-name:普通表格; mso-tstyle-rowband-size:0; "
    "mso-padding-alt:0cm 5.4pt 0cm 5.4pt; font-size:10.5pt; font-family:'Times New Roman';}",
    "p.MsoNormal, li.MsoNormal {margin:0cm; text-align:justify; font-size:10.5pt;}",
)
_MENU = ("首页 > 政务公开 > 政府信息公开年报 字号：大 中 小", "当前位置：首页 > 信息公开 > 年度报告")
_FOOTER = ("主办单位：示例县人民政府办公室 备案号：示ICP备00000000号", "【打印本页】【关闭窗口】")
# Typos and variants real pages show in row labels (damaged-reports §4): (label text, damaged text).
_TYPOS = (
    ("予以公开", "子以公开"),
    ("其他法律行政法规禁止公开", "其他法律行政止公开"),
    ("属于国家秘密", "属于国家秘蜜"),
    ("本机关不掌握相关政府信息", "本机关不掌握相关政府信"),
    ("信访举报投诉类申请", "信访举报投述类申请"),
    ("重复申请", "重复申请的"),
    ("行政规范性文件", "规范性文件"),
    ("保护第三方合法权益", "保护第三方合法权"),
    ("没有现成信息需要另行制作", "没有现成信息需另行制作"),
)
_SECTION_START = re.compile(r"^[一二三四五六]、")
_VALUE_PIECE = re.compile(r"^[-+增减]?\d[\d.,]*(?:万?元)?$")


def break_identities(record: Record, pattern: str, rng: random.Random) -> tuple[Record, bool]:
    """A copy of ``record`` with the report's own error of a §2 pattern; whether anything changed."""
    r = record.model_copy(deep=True)
    if pattern == "total_row":
        return inject(r, "T3-TOTAL", rng)[0], True
    changed = False
    if pattern == "zero_totals":  # the 总计 column printed 0 on every row
        for row in forms.T3_ROWS[r.meta.template or "2021"]:
            cell = r.cells[f"t3.{row.key}.total"]
            changed |= cell.value != 0
            r.cells[cell.key] = Cell(cell.key, 0, State.number, raw="0")
    elif pattern == "t4_zero_totals":  # table-4 totals 0 beside non-zero outcomes
        if not r.value("t4.review.total"):
            r.cells["t4.review.upheld"] = Cell("t4.review.upheld", 2, State.number, raw="2")
        for g in forms.T4_GROUPS:
            cell = r.cells[f"t4.{g.key}.total"]
            changed |= cell.value != 0 or g.key == "review"
            r.cells[cell.key] = Cell(cell.key, 0, State.number, raw="0")
    return r, changed


def crawler_page(record: Record, pattern: str, seed: int = 0) -> str:
    """The report as a crawler saves it: its header block, a marker, then the body on one line with
    every line break and cell separator gone, separated as ``pattern`` says (damaged-reports §1)."""
    rng = random.Random(seed)
    meta = record.meta
    header = [
        f"标题: {meta.title or ''}",
        f"发布时间: {meta.published or ''} {rng.randint(8, 17):02d}:{rng.randint(0, 59):02d}",
        "文号:",
        f"发布机构: {meta.organ if rng.random() < 0.5 else ''}",
        "栏目: 政府信息公开年报",
        f"原文链接: https://www.example.gov.cn/zwgk/ndbg/{seed}.htm",
        "==================== 正文 ====================",
    ]
    lines = render_text(record, "pipe", seed=seed).split("\n")
    if pattern == "typos":
        lines = _typo_lines(lines, rng)
    body = [rng.choice(_MENU)] if rng.random() < 0.3 else []
    if rng.random() < 0.5:
        body.append(" ".join(_DEBRIS))
    for line in lines:
        body.append(_flat_line(line, pattern, rng) if "|" in line else line.strip())
    if rng.random() < 0.3:
        body.append(rng.choice(_FOOTER))
    joined = ""
    for piece in body:
        if not piece:
            continue
        glue = "" if "|" in piece or not joined or rng.random() < 0.5 else " "
        if pattern == "paragraphs" and joined and _SECTION_START.match(piece) and rng.random() < 0.5:
            glue = "\n"  # a page that kept a few paragraph breaks: some sections start a line
        joined += glue + piece.replace("|", "")
    return "\n".join(header) + "\n" + joined + "\n"


def _flat_line(line: str, pattern: str, rng: random.Random) -> str:
    """One table row as a crawler leaves it: labels run together, then the numbers (marked "|" for the
    caller, which drops it)."""
    pieces = [p.strip() for p in line.split("|") if p.strip()]
    labels = "".join(p for p in pieces if not _is_value(p))
    values = [p for p in pieces if _is_value(p)]
    return "|" + labels + _joined(values, pattern, rng)


def _is_value(piece: str) -> bool:
    return bool(_VALUE_PIECE.match(unicodedata.normalize("NFKC", piece)))  # full-width digits too


def _joined(values: list[str], pattern: str, rng: random.Random) -> str:
    if pattern == "spaced" or (pattern == "some_rows" and rng.random() < 0.5):
        return " ".join(values)
    if pattern == "nbsp":
        spaces = ("&nbsp;", "\u3000", "\xa0", "&nbsp;&nbsp;")
        return "".join(v + rng.choice(spaces) for v in values).rstrip("&nbsp;\u3000\xa0")
    run = "".join(values)
    if pattern == "padded" and len(run) > 1:  # spaces anywhere, inside numbers too
        cuts = sorted(rng.sample(range(1, len(run)), min(len(run) - 1, rng.randint(1, 4))))
        run = "".join(run[a:b] + " " for a, b in zip([0, *cuts], [*cuts, len(run)])).rstrip()
    return run


def _typo_lines(lines: list[str], rng: random.Random) -> list[str]:
    """Two or three row labels damaged as real pages damage them."""
    chosen = rng.sample(_TYPOS, rng.randint(2, 3))
    out = []
    for line in lines:
        if "|" in line:
            for good, bad in chosen:
                line = line.replace(good, bad, 1) if not line.startswith(bad) else line
        out.append(line)
    return out


def flatten_page(text: str) -> str:
    """Any report text with every line break and every "|" gone: the body on one line (the seeds)."""
    return "".join(line.strip() for line in text.replace("|", "").split("\n"))
