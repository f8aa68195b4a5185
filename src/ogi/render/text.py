"""Record → report as text, in the layouts scraped and copied reports have (spec §7, seeds 000–004).

Layouts: ``pipe`` one row per line with "|" (000/002/004: trailing empty cells, header cut to "本年新"),
``pipe_cells`` one cell per line with "|" lines between rows (001), ``blank_lines`` one cell per
paragraph with blank lines, wrapped header words and stray spaces (003), ``tabs`` and ``spaces``.
Around the tables: a title, sometimes a metadata block (索引号/发布机构/发文日期) or site furniture,
the six sections, and a signature with the date. ``traditional`` converts with OpenCC s2t and
``pinyin`` adds the mirror-site annotations of seed 002 ("根據(jù)"). Output is deterministic per record.
"""

from __future__ import annotations

import datetime as dt
import random
import zlib
from decimal import Decimal
from functools import lru_cache

from .. import forms
from .. import grid as g
from ..model import Cell, Record, Section

LAYOUTS = ("pipe", "pipe_cells", "blank_lines", "tabs", "spaces")
# Blank cells as each layout can show them: an empty cell is only visible between separators.
_BLANKS = {
    "pipe": ("", "", "—", "/", "-"),
    "tabs": ("", "—", "/"),
    "pipe_cells": ("—", "/", "-"),
    "blank_lines": ("—", "/", "\xa0"),
    "spaces": ("—", "/", "-"),
}
# Mirror sites annotate some characters with toned pinyin (seed 002); keyed by simplified character.
PINYIN = {
    "据": "jù",
    "规": "guī",
    "关": "guān",
    "结": "jié",
    "数": "shù",
    "进": "jìn",
    "统": "tǒng",
    "务": "wù",
    "责": "zé",
    "内": "nèi",
    "现": "xiàn",
    "领": "lǐng",
    "导": "dǎo",
    "协": "xié",
    "调": "diào",
    "设": "shè",
    "发": "fā",
    "网": "wǎng",
    "录": "lù",
    "当": "dāng",
    "构": "gòu",
    "业": "yè",
    "区": "qū",
    "复": "fù",
    "转": "zhuǎn",
    "执": "zhí",
    "权": "quán",
    "范": "fàn",
    "确": "què",
    "处": "chǔ",
    "单": "dān",
}
_WIDE_DIGITS = str.maketrans("0123456789.,", "０１２３４５６７８９．，")
_TOP = (("我要收藏", "公共资源调用站点", "文章分享"), ("打印本页", "关闭窗口"), ("字体:[大 中 小]",))
_TAIL = (("文件下载:", "关联文件:"), ("您访问的链接即将离开'{organ}门户网站'是否继续?",), ("上一篇:无",), ())
_CN = "〇一二三四五六七八九"


@lru_cache(maxsize=1)
def _s2t():
    import opencc

    return opencc.OpenCC("s2t")


@lru_cache(maxsize=1)
def _pinyin_table() -> dict[str, str]:
    table = dict(PINYIN)
    for ch, py in PINYIN.items():
        table.setdefault(_s2t().convert(ch), py)
    return table


def stable_seed(record: Record, salt: str = "") -> int:
    key = f"{record.meta.organ}|{record.meta.year}|{record.meta.template}|{salt}"
    return zlib.crc32(key.encode("utf-8"))


def render_text(
    record: Record, layout: str, *, traditional: bool = False, pinyin: bool = False, seed: int | None = None
) -> str:
    """The report as text in ``layout``; ``seed`` picks among the equivalent ways of writing it."""
    if layout not in LAYOUTS:
        raise ValueError(f"unknown layout {layout!r}; choose one of {', '.join(LAYOUTS)}")
    rng = random.Random(stable_seed(record, layout) if seed is None else seed)
    writer = _Writer(record, layout, rng)
    text = writer.document()
    if traditional:
        text = _s2t().convert(text)
    if pinyin:
        text = add_pinyin(text, rng)
    return text


def add_pinyin(text: str, rng: random.Random, share: float = 0.9) -> str:
    table = _pinyin_table()
    out = []
    for ch in text:
        out.append(ch)
        py = table.get(ch)
        if py is not None and rng.random() < share:
            out.append(f"({py})")
    return "".join(out)


def sections(record: Record) -> list[Section]:
    """The six sections in order; one the record lacks gets its standard heading, so its table is
    still printed (a parsed record may miss a heading)."""
    have = {s.number: s for s in record.sections}
    numerals = "一二三四五六"
    return [
        have.get(d.number) or Section(number=d.number, heading=f"{numerals[d.number - 1]}、{d.title}")
        for d in forms.SECTIONS
    ]


def paragraphs(section: Section) -> list[str]:
    """The prose of a section. In sections 二–四 a parsed record's text also holds the table as read
    from the source; only sentences are kept there, since the table is printed from the cells."""
    lines = [p for p in section.text.split("\n") if p.strip()]
    if section.number in (2, 3, 4):
        lines = [p for p in lines if p.rstrip().endswith(("。", "；", ";"))]
    return lines


def value_text(cell: Cell | None, rng: random.Random, blanks: tuple[str, ...] = ("", "—", "/")) -> str:
    """A cell as an organ writes it: "增4"/"减5"/"-10" for changes, "1,234" now and then, units kept."""
    if cell is None or cell.value is None:
        return rng.choice(blanks)
    v = cell.value
    column = forms.column_of(cell.key)
    if column.signed and v != 0:
        if v > 0:
            return rng.choice((f"增{v}", f"增{v}", str(v), f"+{v}"))
        return rng.choice((f"减{-v}", str(v)))
    if isinstance(v, Decimal):
        text = str(v)
    elif v >= 10000 and rng.random() < 0.25:
        text = f"{v:,}"
    else:
        text = str(v)
    return text + (cell.unit or "")


def format_date(date: dt.date, rng: random.Random, style: str | None = None) -> str:
    style = style or rng.choice(("iso", "iso", "cn", "cn", "cn_numerals"))
    if style == "iso":
        return date.isoformat()
    if style == "cn":
        return f"{date.year}年{date.month}月{date.day}日"
    return f"{''.join(_CN[int(d)] for d in str(date.year))}年{_cn_small(date.month)}月{_cn_small(date.day)}日"


def _cn_small(n: int) -> str:
    if n < 10:
        return _CN[n]
    return ("" if n < 20 else _CN[n // 10]) + "十" + ("" if n % 10 == 0 else _CN[n % 10])


class _Writer:
    """Writes one record; every arbitrary choice comes from ``rng`` so a seed reproduces the text."""

    def __init__(self, record: Record, layout: str, rng: random.Random):
        self.r, self.layout, self.rng = record, layout, rng
        self.fullwidth = rng.random() < 0.6
        self.cut_headers = layout == "pipe" and rng.random() < 0.4
        self.para_gap = layout == "blank_lines"
        self.wide_digits = rng.random() < 0.1  # full-width digits in the cells (spec §5)

    def fw(self, text: str) -> str:
        return text.translate(g.FULLWIDTH) if self.fullwidth else text

    def document(self) -> str:
        lines: list[str] = []
        lines += self.top()
        for section in sections(self.r):
            if section.heading:
                lines.append(
                    self.fw(section.heading) if self.rng.random() < 0.9 else "\u2002" + self.fw(section.heading)
                )
            lines += [self.fw(p) for p in paragraphs(section)]
            if section.number in (2, 3, 4):
                lines += self.table(section.number)
        lines += self.bottom()
        return ("\n\n" if self.para_gap else "\n").join(lines) + "\n"

    def top(self) -> list[str]:
        meta, rng = self.r.meta, self.rng
        lines: list[str] = []
        if self.layout == "pipe_cells" or rng.random() < 0.15:
            lines += list(rng.choice(_TOP))
        style = "run" if self.layout == "blank_lines" else rng.choice(("none", "none", "pipe", "lines"))
        with_block = meta.published is not None and style != "none"
        lines.append(self.title(with_block))
        self.dated = False
        if with_block:
            lines += self.metadata(style)
            self.dated = True
        lines.append(self.fw(self.intro()))
        return lines

    def title(self, with_block: bool) -> str:
        meta, rng = self.r.meta, self.rng
        canonical = f"{meta.organ}{meta.year}年政府信息公开工作年度报告"
        if meta.title and meta.title != canonical:
            return meta.title  # a title as the source wrote it (e.g. a parsed record): keep it
        if with_block and rng.random() < 0.08:
            return f"{meta.year}年政府信息公开工作年度报告"  # the organ only in 发布机构/来源 (spec §7)
        year = f"{meta.year}年"
        return canonical.replace(year, rng.choice((year, f"关于{meta.year}年度", f"{meta.year}年度")))

    def metadata(self, style: str) -> list[str]:
        meta = self.r.meta
        date = meta.published.isoformat()
        index = meta.index_no or ""
        organ = meta.organ or ""
        if style == "pipe":  # seed 004's metadata table, scraped as pipe rows
            return [
                f"索 引 号 | {index} | 分 类 | 部门信息公开年报 |",
                f"发布机构 | {organ} | 发文日期 | {date} |",
                "文 号 | 时 效 |",
            ]
        if style == "run":  # seed 003: fields run together, short organ name
            short = organ[3:] if len(organ) > 5 else organ
            return [f"索引号:{index}部门:{short}", f"栏目:政府信息公开年报来源:{organ}", f"作者:日期:{date}"]
        return [f"索引号:{index}", f"发布机构:{organ}", f"发文日期:{date}"]

    def intro(self) -> str:
        meta = self.r.meta
        return self.rng.choice(
            (
                f"根据《中华人民共和国政府信息公开条例》(以下简称《条例》)规定,现公布{meta.organ}{meta.year}年政府信息公开工作年度报告。"
                f"本报告所列数据的统计期限自{meta.year}年1月1日起至{meta.year}年12月31日止。",
                "本报告依据《中华人民共和国政府信息公开条例》要求编制,由总体情况、主动公开政府信息情况、收到和处理政府信息公开申请情况、"
                "政府信息公开行政复议及行政诉讼情况、存在的主要问题及改进情况、其他需要报告的事项六部分组成。",
            )
        )

    def bottom(self) -> list[str]:
        meta, rng = self.r.meta, self.rng
        lines: list[str] = []
        if meta.published is not None and (not self.dated or rng.random() < 0.4):
            lines += [meta.organ or "", format_date(meta.published, rng)]
        if self.layout == "pipe_cells" or rng.random() < 0.3:
            lines += [t.format(organ=(meta.organ or "")[:3]) for t in rng.choice(_TAIL)]
        return lines

    def table(self, number: int) -> list[str]:
        grid = g.of_record(self.r, skip_absent=True)[number]
        rows = [[self.cell(c) for c in row] for row in grid.rows]
        body = getattr(self, f"_{self.layout}")(rows, grid.width)
        if self.layout == "blank_lines":
            return ["\xa0"] + body + ["\xa0"]
        return body

    def cell(self, c: g.GridCell) -> str:
        if c.key is not None:
            text = value_text(self.r.cells.get(c.key), self.rng, _BLANKS[self.layout])
            if self.wide_digits:
                text = text.translate(_WIDE_DIGITS)
            if self.layout == "blank_lines" and text != "\xa0" and self.rng.random() < 0.03:
                text = self.rng.choice(("\u2002", "\xa0")) + text  # seed 003's stray spaces
            return text
        text = self.fw(c.text)
        if "\n" not in text:
            return text
        if self.cut_headers and text.startswith("本年新"):
            return "本年新"  # seeds 000/002 cut 本年新制作数量/本年新公开数量 short
        if self.layout == "blank_lines":
            return text
        if self.layout in ("pipe", "pipe_cells"):
            return text.replace("\n", self.rng.choice(("", " ")))
        return text.replace("\n", "")

    def _pad(self, width: int, cells: int) -> int:
        return max(0, width - cells) + (self.rng.random() < 0.2)

    def _pipe(self, rows: list[list[str]], width: int) -> list[str]:
        out = []
        for row in rows:
            # Every row ends with a separator, as in seeds 000/002/004, so a blank last cell stays visible.
            pad = self._pad(width, len(row))
            out.append(" | ".join(row) + " | " + "|" * pad)
        return out

    def _pipe_cells(self, rows: list[list[str]], width: int) -> list[str]:
        out = []
        for row in rows:
            out.append("|")
            out += [f"{c} |" for c in row[:-1]]
            pad = self._pad(width, len(row))
            out.append(f"{row[-1]} | " + "|" * (pad - 1) if pad > 1 else f"{row[-1]} |")
        return out

    def _blank_lines(self, rows: list[list[str]], width: int) -> list[str]:
        return [c for row in rows for c in row]

    def _tabs(self, rows: list[list[str]], width: int) -> list[str]:
        return ["\t".join(row) + "\t" * (self._pad(width, len(row)) if self.rng.random() < 0.5 else 0) for row in rows]

    def _spaces(self, rows: list[list[str]], width: int) -> list[str]:
        return ["".join(c + " " * self.rng.randint(2, 5) for c in row[:-1]) + row[-1] for row in rows]
