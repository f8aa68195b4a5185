"""Document → Layout: where the six sections and the three tables are, and which format (spec §2, §3).

Sections are found by numbered headings whose wording contains a section's core words (fuzzy, so
"三、依申请公开办理情况情况" is still section 三, marked non-standard). Table regions are the blocks of
sections 二/三/四; where headings are missing, content anchors stand in. The format is detected from
the content (table-2 headers, table-3 row set), never from the year.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .forms import SECTIONS
from .model import Document, Line, Table, Template

_NUMERALS = "一二三四五六七八九十"
_HEADING = re.compile(r"^\s*(?:第?([一二三四五六七八九十])(?:部分)?\s*[、.,:．]|([1-6])\s*[、．]|([1-6])\.(?!\d))\s*(.*)$")
_STRIP = re.compile(r"[\s\"'“”‘’()\[\]《》<>、,.:;!?·\-—|]+|(?:20\d\d|19\d\d)年度?|年度")


def heading_key(text: str) -> str:
    """A heading without numbering, years, punctuation and spaces, for comparing wordings."""
    return _STRIP.sub("", text)


@dataclass(slots=True)
class Heading:
    number: int
    text: str  # as written, numbering included
    block: int  # index into Document.blocks
    line: int
    standard: bool


@dataclass(slots=True)
class Layout:
    document: Document
    headings: list[Heading] = field(default_factory=list)
    template: Template | None = None
    template_evidence: dict[str, int] = field(default_factory=dict)
    t3_other_single: bool = False  # table 3 has the 2019 single （六）其他处理 row

    def section_span(self, number: int) -> tuple[int, int] | None:
        """Block range [start, end) of a section's body, or None when its heading is missing."""
        for i, h in enumerate(self.headings):
            if h.number == number:
                end = self.headings[i + 1].block if i + 1 < len(self.headings) else len(self.document.blocks)
                return h.block + 1, end
        return None

    def table_span(self, table: int) -> tuple[int, int]:
        """Blocks where table 2/3/4 should be: its section, else between the neighbouring headings."""
        span = self.section_span(table)
        if span is not None:
            return span
        before = [h.block + 1 for h in self.headings if h.number < table]
        after = [h.block for h in self.headings if h.number > table]
        return (max(before) if before else 0), (min(after) if after else len(self.document.blocks))


def locate(document: Document) -> Layout:
    layout = Layout(document)
    layout.headings = _headings(document)
    layout.template, layout.template_evidence, layout.t3_other_single = detect_template(document)
    return layout


def _section_of(text: str) -> tuple[int, bool] | None:
    """(section number, standard wording) if a line is a section heading."""
    if len(text) > 60 or "|" in text:
        return None
    m = _HEADING.match(text)
    if m is None:
        return None
    numeral = m.group(1)
    number = _NUMERALS.index(numeral) + 1 if numeral else int(m.group(2) or m.group(3))
    if not 1 <= number <= 6:
        return None
    body = m.group(4)
    definition = SECTIONS[number - 1]
    if not any(core in body for core in definition.cores):
        return None
    if body.rstrip().endswith(("。", ";")) or re.search(r"\d", heading_key(body)):
        return None  # a sentence or a table row ("一、本年新收…申请数量 | 3"), not a heading
    key = heading_key(body)
    return number, key in {heading_key(a) for a in definition.accepted}


def _headings(document: Document) -> list[Heading]:
    """Numbered section headings in document order, keeping the longest increasing run."""
    found: list[Heading] = []
    for index, block in enumerate(document.blocks):
        if not isinstance(block, Line):
            continue
        hit = _section_of(block.text.strip())
        if hit is not None:
            found.append(Heading(hit[0], block.text.strip(), index, block.number, hit[1]))
    return _increasing(found)


def _increasing(found: list[Heading]) -> list[Heading]:
    """Longest strictly increasing subsequence by section number: drops stray repeats (e.g. a table-3
    row "四、结转下年度…" can never pass as section 四 after 四 was seen)."""
    best: list[list[Heading]] = []
    for h in found:
        candidates = [run for run in best if run[-1].number < h.number]
        run = max(candidates, key=len, default=[]) + [h]
        best.append(run)
    return max(best, key=len, default=[])


_EVIDENCE = {
    "2021": ("制发件数", "本年制发", "废止件数", "现行有效", "逾期不补正", "缴纳费用", "收费金额", "本年发件"),
    "2019": ("新制作数量", "本年新公开", "上一年项目", "本年增/减", "采购项目", "采购总金额", "对外公开总数", "其他对外管理服务"),
}


def detect_template(document: Document) -> tuple[Template | None, dict[str, int], bool]:
    """Format from the content: table-2 headers and the table-3 row set vote (spec §3)."""
    text = "\n".join(_texts(document))
    score = {t: sum(text.count(w) > 0 for w in words) for t, words in _EVIDENCE.items()}
    single_other = "其他处理" in text and "不补正" not in text and "缴纳费用" not in text
    if single_other:
        score["2019"] += 1
    if score["2019"] == score["2021"] == 0:
        return None, score, single_other
    template: Template = "2021" if score["2021"] >= score["2019"] else "2019"
    return template, score, single_other


def _texts(document: Document):
    for block in document.blocks:
        if isinstance(block, Line):
            yield block.text
        elif isinstance(block, Table):
            for row in block.rows:
                for token in row:
                    yield token.text
