"""The three statutory tables as logical grids with spans, shared by the text, HTML and DOCX renderers.

A grid is rows of origin cells (``G``) with rowspan/colspan as in the official Word forms
(国办公开办函〔2019〕60号 / 〔2021〕30号): in table 3 the "三、本年度办理结果" cell spans 20 (2019) or
22 (2021) rows, the group cells （三）…（六） span their sub-rows. Header texts carry "\\n" where Word wraps
them ("商业\\n企业"), so a layout can keep, join or drop the break as the seeds do. Value cells carry
their canonical key; ``value_text`` writes a cell the way organs write numbers (spec §5).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from decimal import Decimal

from .. import forms
from ..model import Cell, Record, Section, State

T2_WIDTH, T3_WIDTH, T4_WIDTH = 4, 10, 15
# The official forms use full-width brackets and punctuation; forms.py keeps the NFKC (half-width) spelling.
FULLWIDTH = str.maketrans({"(": "（", ")": "）", ":": "：", ",": "，"})
T3_NOTE = "(本列数据的勾稽关系为:第一项加第二项之和,等于第三项加第四项之和)"
# Where Word wraps narrow header cells (seed 003: "商业/企业", "结果/纠正").
_WRAPS = {
    "商业企业": "商业\n企业", "科研机构": "科研\n机构", "社会公益组织": "社会公益\n组织", "法律服务机构": "法律服务\n机构",
    "结果维持": "结果\n维持", "结果纠正": "结果\n纠正", "其他结果": "其他\n结果", "尚未审结": "尚未\n审结",
    "本年新制作数量": "本年新\n制作数量", "本年新公开数量": "本年新\n公开数量", "对外公开总数量": "对外公开\n总数量",
    "上一年项目数量": "上一年\n项目数量", "处理决定数量": "处理决定\n数量",
}


@dataclass(slots=True)
class G:
    """One origin cell of a grid."""

    text: str
    rowspan: int = 1
    colspan: int = 1
    key: str | None = None  # canonical key of a value cell
    role: str = "label"  # head | label | value


@dataclass(slots=True)
class Grid:
    number: int  # 2, 3 or 4
    width: int
    rows: list[list[G]] = field(default_factory=list)
    head_rows: int = 0  # table 3/4: leading header rows; table 2 has headers per block


def sections(record: Record) -> list[Section]:
    """The six sections in order; one the record lacks gets its standard heading, so its table is
    still printed (a parsed record may miss a heading)."""
    have = {s.number: s for s in record.sections}
    numerals = "一二三四五六"
    return [have.get(d.number) or Section(number=d.number, heading=f"{numerals[d.number - 1]}、{d.title}")
            for d in forms.SECTIONS]


def paragraphs(section: Section) -> list[str]:
    """The prose of a section. In sections 二–四 a parsed record's text also holds the table as read
    from the source; only sentences are kept there, since the table is printed from the cells."""
    lines = [p for p in section.text.split("\n") if p.strip()]
    if section.number in (2, 3, 4):
        lines = [p for p in lines if p.rstrip().endswith(("。", "；", ";"))]
    return lines


def wrap(text: str) -> str:
    return _WRAPS.get(text, text)


def _present(record: Record, keys) -> bool:
    """A row is printed unless every one of its cells is missing from the source (FORMAT-COMPLETE)."""
    return any(record.cells.get(k) is not None and record.cells[k].state is not State.missing for k in keys)


def table2(record: Record) -> Grid:
    grid = Grid(2, T2_WIDTH)
    for block in forms.t2_blocks(record.meta.template):
        grid.rows.append([G(f"第二十条第{block.item}项", colspan=T2_WIDTH, role="head")])
        spans = _t2_spans(len(block.columns))
        head = [G("信息内容", role="head")]
        head += [G(wrap(c.label), colspan=s, role="head") for c, s in zip(block.columns, spans, strict=True)]
        grid.rows.append(head)
        for row in block.rows:
            keys = [f"t2.{row.key}.{c.key}" for c in block.columns]
            if not _present(record, keys):
                continue
            grid.rows.append([G(row.label)] + [G("", colspan=s, key=k, role="value") for k, s in zip(keys, spans, strict=True)])
    return grid


def _t2_spans(n: int) -> list[int]:
    """Value columns of a table-2 block over the 3 value columns of the form: the last one stretches."""
    return [1] * (n - 1) + [T2_WIDTH - n]


def table3(record: Record) -> Grid:
    template = record.meta.template
    grid = Grid(3, T3_WIDTH, head_rows=3)
    grid.rows.append([G(T3_NOTE, rowspan=3, colspan=3, role="head"), G("申请人情况", colspan=7, role="head")])
    grid.rows.append(
        [G("自然人", rowspan=2, role="head"), G("法人或其他组织", colspan=5, role="head"), G("总计", rowspan=2, role="head")]
    )
    grid.rows.append([G(wrap(c.label), role="head") for c in forms.T3_COLUMNS[1:6]])
    rows = [r for r in forms.T3_ROWS[template] if _present(record, [f"t3.{r.key}.{c.key}" for c in forms.T3_COLUMNS])]
    group_sizes: dict[str, int] = {}
    for r in rows:
        if r.group:
            group_sizes[r.group] = group_sizes.get(r.group, 0) + 1
    in_results = sum(1 for r in rows if r.group)  # every row under 三、本年度办理结果
    seen: set[str] = set()
    for r in rows:
        values = [G("", key=f"t3.{r.key}.{c.key}", role="value") for c in forms.T3_COLUMNS]
        label = r.label
        if not r.group:
            cells = [G(label, colspan=3)]
        elif r.group == "三、本年度办理结果":
            cells = [G(label, colspan=2)]
        else:
            cells = [G(label)]
            if r.group not in seen:
                cells.insert(0, G(r.group, rowspan=group_sizes[r.group]))
        if r.group and "三、本年度办理结果" not in seen:
            cells.insert(0, G("三、本年度办理结果", rowspan=in_results))
            seen.add("三、本年度办理结果")
        if r.group:
            seen.add(r.group)
        grid.rows.append(cells + values)
    return grid


def table4(record: Record) -> Grid:
    grid = Grid(4, T4_WIDTH, head_rows=3)
    grid.rows.append([G("行政复议", colspan=5, role="head"), G("行政诉讼", colspan=10, role="head")])
    grid.rows.append(
        [G(wrap(c.label), rowspan=2, role="head") for c in forms.T4_COLUMNS]
        + [G("未经复议直接起诉", colspan=5, role="head"), G("复议后起诉", colspan=5, role="head")]
    )
    grid.rows.append([G(wrap(c.label), role="head") for _ in range(2) for c in forms.T4_COLUMNS])
    grid.rows.append([G("", key=k, role="value") for k in forms.T4_KEYS])
    return grid


def tables(record: Record) -> dict[int, Grid]:
    return {2: table2(record), 3: table3(record), 4: table4(record)}


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
