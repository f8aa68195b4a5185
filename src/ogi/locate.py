"""Document → Layout: where the six sections and the three tables are, and which format (spec §2, §3).

Sections are found by numbered headings whose wording contains a section's core words (fuzzy, so
"三、依申请公开办理情况情况" is still section 三, marked non-standard). Table regions are the blocks of
sections 二/三/四; where headings are missing, content anchors stand in. The format is detected from
the content (table-2 headers, table-3 row set), never from the year.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache, lru_cache
from itertools import pairwise

from .forms import SECTIONS
from .model import Document, Line, Table, Template

_NUMERALS = "一二三四五六七八九十"
_HEADING = re.compile(
    r"^\s*(?:#{1,6}\s*)?(?:第?([一二三四五六七八九十])(?:部分)?\s*[、.,:．]|([1-6])\s*[、．]|([1-6])\.(?!\d))\s*(.*)$"
)
# A line that may be a numbered heading: _HEADING's numbering at its start and no "|" on it. One pass
# over the joined text (each line after a "\n") lets through the few lines worth _section_of's full
# look. The lookahead turns most lines away at their first character; [^\S\n] is \s kept on its line.
_HEADING_START = re.compile(
    r"\n[^\S\n]*+(?:#{1,6}[^\S\n]*)?(?=[第一二三四五六七八九十1-6])"  # "## 四、…": a converter's markdown
    r"(?:第?[一二三四五六七八九十](?:部分)?[^\S\n]*[、.,:．]|[1-6][^\S\n]*[、．]|[1-6]\.(?!\d))[^|\n]*+(?![^\n])"
)
_DIGIT = re.compile(r"\d")
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
    blocks = document.blocks
    if document.text is not None:  # nothing but lines (none holding a line break), joined already
        text = "\n" + document.text  # every line, the first too, after a "\n"
        found = _headings_in(text, blocks, range(len(blocks)))
        whole = text
    else:
        where = [i for i, block in enumerate(blocks) if isinstance(block, Line)]  # block index of each line
        text = "\n".join(["", *(blocks[i].text for i in where)])
        # A line holding a line break: look at every line.
        found = _headings_in(text, blocks, where) if text.count("\n") == len(where) else _headings_of(blocks, where)
        whole = text if len(where) == len(blocks) else None  # lines only: all the text there is
    layout.headings = _increasing(found)
    if len(layout.headings) < len(SECTIONS):
        layout.headings = _real_pdf_headings(blocks, layout.headings)
    layout.template, layout.template_evidence = detect_template(document, whole)
    return layout


@lru_cache(maxsize=4096)  # the same heading wordings come back report after report
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
    if not any(core in body for core in SECTIONS[number - 1].cores):
        body = body.replace(" ", "").replace("\u3000", "")  # "一 、总 体 情 况": spaces between characters
        if not any(core in body for core in SECTIONS[number - 1].cores):
            return None
    key = heading_key(body)
    if body.rstrip().endswith(("。", ";")) or _DIGIT.search(key):
        return None  # a sentence or a table row ("一、本年新收…申请数量 | 3"), not a heading
    return number, key in _accepted_keys(number)


@cache
def _accepted_keys(number: int) -> frozenset[str]:
    return frozenset(heading_key(a) for a in SECTIONS[number - 1].accepted)


def _headings_in(text: str, blocks: list, where: Sequence[int]) -> list[Heading]:
    """Numbered section headings, in document order, of the lines joined in ``text`` (each after a
    "\n"); ``where[i]`` is the block index of line i."""
    found: list[Heading] = []
    line, counted = -1, 0
    for m in _HEADING_START.finditer(text):  # a match is a whole line, with the "\n" before it
        heading = m[0].strip().lstrip("#").lstrip()
        hit = _section_of(heading)
        if hit is not None:
            line += text.count("\n", counted, m.start() + 1)
            counted = m.start() + 1
            index = where[line]
            found.append(Heading(hit[0], heading, index, blocks[index].number, hit[1]))
    return found


def _headings_of(blocks: list, where: Sequence[int]) -> list[Heading]:
    """The same, line by line."""
    found: list[Heading] = []
    for index in where:
        block = blocks[index]
        text = block.text.strip().lstrip("#").lstrip()
        hit = _section_of(text)
        if hit is not None:
            found.append(Heading(hit[0], text, index, block.number, hit[1]))
    return found


# Numbering real PDFs use for the six headings besides "一、": "（一）", "(一)", "第一部分".
_LOOSE_NUMBER = re.compile(r"^\s*[(（]\s*([一二三四五六])\s*[)）]\s*(?=\S)")


def _real_pdf_headings(blocks: list, found: list[Heading]) -> list[Heading]:
    """Headings as real PDFs leave them (damaged-reports §4), looked for only when some are missing: a
    heading split over two lines ("五、存在的主要" + "问题及改进情况") and a heading numbered "（五）".
    Taken when they give more sections than the usual look did, in increasing order."""
    lines = [(i, b) for i, b in enumerate(blocks) if isinstance(b, Line)]
    more: list[Heading] = []
    for k, (index, block) in enumerate(lines):
        text = block.text.strip()
        if len(text) > 30 or not text:
            continue
        loose = _LOOSE_NUMBER.match(text)
        candidate = f"{_NUMERALS[_NUMERALS.index(loose[1])]}、{text[loose.end() :]}" if loose else text
        hit = _section_of(candidate)
        if hit is None and k + 1 < len(lines) and lines[k + 1][0] == index + 1:
            following = lines[k + 1][1].text.strip()
            if following and len(candidate) + len(following) <= 40 and _HEADING.match(candidate):
                hit = _section_of(candidate + following)
                text = text + following if hit else text
        if hit is not None:
            more.append(Heading(hit[0], text, index, block.number, hit[1]))
    widened = _increasing(more)
    return widened if len(widened) > len(found) else found


def _increasing(found: list[Heading]) -> list[Heading]:
    """Longest strictly increasing subsequence by section number: drops stray repeats (e.g. a table-3
    row "四、结转下年度…" can never pass as section 四 after 四 was seen). Of equally long runs, the
    earliest wins, at every step and at the end."""
    if all(a.number < b.number for a, b in pairwise(found)):
        return found  # the usual case: already increasing, so the longest run is all of it
    # The best run ending at heading i is the best run ending at a smaller number, plus heading i.
    # Section numbers are 1..6, so the earliest run of each (last number, length) is all there is to
    # keep: linear, where comparing with every earlier run made a file full of headings quadratic.
    before: list[int] = []  # index of the heading before heading i in its run, -1 if none
    length: list[int] = []  # length of the best run ending at heading i
    earliest: dict[tuple[int, int], int] = {}  # (last number, length) -> first heading ending such a run
    for i, h in enumerate(found):
        best, size = -1, 0
        for (number, n), j in earliest.items():
            if number < h.number and (n > size or (n == size and j < best)):
                best, size = j, n
        before.append(best)
        length.append(size + 1)
        earliest.setdefault((h.number, size + 1), i)
    i = max(range(len(found)), key=length.__getitem__)  # the first of the longest
    run = []
    while i != -1:
        run.append(found[i])
        i = before[i]
    return run[::-1]


_EVIDENCE = {
    "2021": ("制发件数", "本年制发", "废止件数", "现行有效", "逾期不补正", "缴纳费用", "收费金额", "本年发件"),
    "2019": (
        "新制作数量",
        "本年新公开",
        "上一年项目",
        "本年增/减",
        "采购项目",
        "采购总金额",
        "对外公开总数",
        "其他对外管理服务",
    ),
}


def detect_template(document: Document, text: str | None = None) -> tuple[Template | None, dict[str, int]]:
    """Format from the content: table-2 headers and the table-3 row set vote (spec §3). ``text``: all
    the document's texts joined, when the caller has it already."""
    if text is None:
        text = "\n".join(_texts(document))
    score = {t: sum(w in text for w in words) for t, words in _EVIDENCE.items()}  # `in` stops at the first hit
    if "其他处理" in text and "不补正" not in text and "缴纳费用" not in text:  # the 2019 single （六） row
        score["2019"] += 1
    if score["2019"] == score["2021"] == 0:
        return None, score
    template: Template = "2021" if score["2021"] >= score["2019"] else "2019"
    return template, score


def _texts(document: Document):
    for block in document.blocks:
        if isinstance(block, Line):
            yield block.text
        elif isinstance(block, Table):
            for row in block.rows:
                for token in row:
                    yield token.text
