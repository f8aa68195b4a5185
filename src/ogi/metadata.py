"""Layout → Meta: organ, year, publication date, 索引号, and the format the layout found (issue #2 item 4).

Sources, strongest first: reader hints (HTML <title>/<meta>), the title line, a metadata block
(索引号 / 发布机构 / 发文日期, possibly as a pipe table), the statistical-period sentence, the
signature and date at the end.
"""

from __future__ import annotations

import datetime as dt
import re
from itertools import islice

from .divisions import from_domain, region_prefix
from .locate import Layout
from .model import Document, Line, Meta, Table

_CN_DIGITS = {
    "〇": 0,
    "零": 0,
    "○": 0,
    "O": 0,
    "一": 1,
    "二": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
_TITLE = re.compile(r"^(?P<organ>.{2,40}?)(?:关于)?(?:(?P<year>20\d\d)年度?)(?:本级)?政府信息公开(?:工作)?年度?报告")
_TITLE_NO_YEAR = re.compile(r"^(?P<organ>.{2,40}?)(?:关于)?政府信息公开(?:工作)?年度?报告[(\[]?(?P<year>20\d\d)")
# "2019年上海市人民政府办公厅政府信息公开工作年度报告": the year before the organ.
_TITLE_YEAR_FIRST = re.compile(r"^(?P<year>20\d\d)年度?(?P<organ>.{2,40}?)(?:本级)?政府信息公开(?:工作)?年度?报告")
# "2019年政府信息公开工作年度报告" (or "政府信息公开工作年度报告") alone: the organ is on the line above.
_TITLE_NO_ORGAN = re.compile(r"^(?:(?P<year>20\d\d)年度?)?(?:本级)?政府信息公开(?:工作)?年度?报告")
# What a crawler or a page puts before a title or name: "标题:", "# ", "**…**".
_LABEL = re.compile(r"^(?:[#*>\s]+|(?:标题|文章标题|题目|名称)\s*[:|]\s*\|?\s*)+")
_YEAR_REPORT = re.compile(r"(20\d\d)\s*年度?(?:本级)?政府信息公开(?:工作)?年度?报告")
_PERIOD = re.compile(r"统计(?:期限|时限|时间|区间|范围|期间)[^。\n]{0,12}?(20\d\d)\s*年\s*1\s*月\s*1\s*日")
_DATE = re.compile(r"(20\d\d)\s*[-年./]\s*(\d{1,2})\s*[-月./]\s*(\d{1,2})\s*日?")
_CN_DATE = re.compile(
    r"(二[〇零○O][一二三四五六七八九〇零○O]{2})年([一二三四五六七八九十]{1,2})月([一二三四五六七八九十]{1,3})日"
)
_INDEX = re.compile(r"索\s*引\s*号\s*[:|]?\s*\|?\s*([A-Za-z0-9][A-Za-z0-9/\-_.]*)")
_PUBLISHER = re.compile(
    r"(?:发布机构|发文机关|发布单位|来源|信息来源)\s*[:|]\s*\|?\s*([^|:\s]{2,40}?)(?:\s*\||\s{2,}|$|栏目|作者|日期|发文|索引|部门|分类)"
)
_DEPARTMENT = re.compile(r"部门\s*[:|]\s*\|?\s*([^|:\s]{2,40}?)(?:\s*\||\s{2,}|$|栏目|作者|日期|发文|索引|来源|分类)")
_PUB_DATE = re.compile(
    r"(?:发文日期|发布日期|成文日期|日期|发布时间|公开日期)\s*[:|]\s*\|?\s*(20\d\d\s*[-年./]\s*\d{1,2}\s*[-月./]\s*\d{1,2})"
)
_ORGAN_SUFFIX = re.compile(
    r"(?:局|委|委员会|办|办公室|厅|部|院|署|中心|政府|管委会|管理委员会|街道办事处|街道|镇|乡|处|所|站|队|会|区|县|市)$"
)
# Compiled once here rather than looked up in re's cache at every call.
_LEADING_GUANYU = re.compile(r"^(?:关于印发|关于公布|关于发布|关于)")
_TRAILING_GUANYU = re.compile(r"(?:关于)$")
_DATE_ONLY = re.compile(r"[\d\s年月日./\-〇零○O一二三四五六七八九十]+")
_SENTENCE_MARK = re.compile(r"[。,:!?]")
# An organ's name as OCR may give it: Chinese characters (brackets allowed) ending as organs' names end.
_OCR_ORGAN = re.compile(r"[\u4e00-\u9fff()]{2,30}" + _ORGAN_SUFFIX.pattern.rstrip("$"))
_YEAR_MENTION = re.compile(r"(20\d\d)\s*年")
# Only the 本级政府's own report is due 3月31日; its 办公室/办公厅 is a department (1月31日), 第四十九条.
_GOVERNMENT = re.compile(r"人民政府$")


def _date(y: str, m: str, d: str) -> dt.date | None:
    try:
        return dt.date(int(y), int(m), int(d))
    except ValueError:
        return None


def _cn_number(text: str) -> int:
    if len(text) == 4:
        return int("".join(str(_CN_DIGITS[c]) for c in text))
    if text.startswith("十"):
        return 10 + (_CN_DIGITS[text[1]] if len(text) > 1 else 0)
    if len(text) >= 2 and text[1] == "十":
        return _CN_DIGITS[text[0]] * 10 + (_CN_DIGITS[text[2]] if len(text) > 2 else 0)
    return _CN_DIGITS[text]


def parse_date(text: str) -> dt.date | None:
    m = _DATE.search(text)
    if m:
        return _date(*m.groups())
    m = _CN_DATE.search(text)
    if m:
        try:
            return dt.date(_cn_number(m[1]), _cn_number(m[2]), _cn_number(m[3]))
        except (KeyError, ValueError):
            return None
    return None


def _entries(blocks):
    """What metadata reads, in order: every non-empty line, stripped, and the rows of small tables
    (metadata grids), cells joined by " | "."""
    for block in blocks:
        if isinstance(block, Line):
            if text := block.text.strip():
                yield text
        elif isinstance(block, Table) and len(block.rows) <= 4:
            for row in block.rows:
                if text := " | ".join(t.text for t in row):
                    yield text


def _entries_backwards(blocks):
    """_entries from the end: the signature and date are in the last few."""
    for block in reversed(blocks):
        if isinstance(block, Line):
            if text := block.text.strip():
                yield text
        elif isinstance(block, Table) and len(block.rows) <= 4:
            for row in reversed(block.rows):
                if text := " | ".join(t.text for t in row):
                    yield text


def _all_entries(document: Document) -> list[str]:
    if document.text is not None:  # nothing but lines: the same entries, split and stripped in C
        return list(filter(None, map(str.strip, document.text.split("\n"))))
    return list(_entries(document.blocks))


def metadata(layout: Layout) -> Meta:
    """The metadata of a located report; ``template`` is the format its content shows (None when unclear)."""
    document, template = layout.document, layout.template
    # Only the first 12 and the last 4 entries are read, unless the year is still unknown at the end:
    # taking just those spares walking every line of the report.
    head = list(islice(_entries(document.blocks), 12))
    tail = list(islice(_entries_backwards(document.blocks), 4))[::-1]
    hints = document.hints
    title = organ = year = index_no = None
    lines = [h for h in head if len(h) <= 60 and not h.startswith(("根据", "依据", "按照"))]
    for i, candidate in enumerate([hints.get("title", ""), *lines]):  # the title is usually the first line
        compact = _LABEL.sub("", candidate.replace(" ", "")).rstrip("*#")
        if "政府信息公开" not in compact:  # words both title patterns need: a cheap test before them
            continue
        if m := _TITLE.match(compact) or _TITLE_NO_YEAR.match(compact) or _TITLE_YEAR_FIRST.match(compact):
            title, organ, year = _LABEL.sub("", candidate.strip()), _clean_organ(m["organ"]), int(m["year"])
            break
        if (m := _TITLE_NO_ORGAN.match(compact)) and i > 1 and (above := _organ_line(lines[i - 2])):
            title, organ, year = f"{above}{compact}", above, int(m["year"]) if m["year"] else None
            break
    head_text = "\n".join(head)
    if m := _INDEX.search(head_text):
        index_no = m[1]
    if not organ:
        for line in head:  # line by line: "$" ends the name at the end of its own line
            if m := _PUBLISHER.search(line if "|" in line else line.replace(" ", "")):
                organ = _clean_organ(m[1].replace(" ", ""))
                break
    if not organ:  # "部门:工业和信息化局" often lacks the region: the weakest source
        for line in head:
            if m := _DEPARTMENT.search(line if "|" in line else line.replace(" ", "")):
                organ = _clean_organ(m[1].replace(" ", ""))
                break
    organ = organ or _clean_organ(hints.get("organ") or "") or _signature_organ(tail)
    if organ and document.kind == "ocr" and not _OCR_ORGAN.fullmatch(organ):
        # OCR noise in the title: the signature's name if it reads clean, else the organ stays unread
        # rather than an invented one (issue #10).
        named = (_clean_organ(hints.get("organ") or ""), _signature_organ(tail))
        organ = next((o for o in named if o and _OCR_ORGAN.fullmatch(o)), None)
    # "教育局" published on www.huining.gov.cn is 会宁县's: the site names the place the name leaves out.
    if organ and hints.get("url") and not region_prefix(organ) and (place := from_domain(hints["url"])):
        organ = organ if place[:2] in organ else place + organ
    published = _published(hints, head_text, tail)
    year = year or _year(_all_entries(document), published)
    # Built once at the end: setting the fields of a pydantic model one by one costs more.
    return Meta(
        source=document.source,
        sha256=document.sha256,
        kind=document.kind,
        template=template,
        traditional=document.traditional,
        pinyin_removed=document.pinyin_removed,
        title=title,
        organ=organ,
        year=year,
        index_no=index_no,
        published=published,
        is_government=bool(organ and _GOVERNMENT.search(organ)),
    )


def _organ_line(line: str) -> str | None:
    """A line that is nothing but an organ's name (the line above a title that names no organ)."""
    name = _LABEL.sub("", line.replace(" ", "")).strip("*#:|,、")
    if 2 < len(name) <= 30 and _ORGAN_SUFFIX.search(name) and not _SENTENCE_MARK.search(name):
        return name
    return None


def _clean_organ(organ: str) -> str | None:
    organ = _LABEL.sub("", organ).strip(" :|,、*#")
    organ = _LEADING_GUANYU.sub("", organ)
    organ = _TRAILING_GUANYU.sub("", organ)
    return organ or None


def _published(hints: dict[str, str], head_text: str, tail: list[str]) -> dt.date | None:
    if hints.get("published") and (date := parse_date(hints["published"])):
        return date
    compact = head_text.replace(" ", "")
    if (m := _PUB_DATE.search(compact)) and (date := parse_date(m[1])):
        return date
    for line in reversed(tail):
        if len(line) <= 20 and (date := parse_date(line)) and _DATE_ONLY.fullmatch(line):
            return date
    return None


def _signature_organ(tail: list[str]) -> str | None:
    """The organ signing at the end (``tail``: the last four entries): a short name line just before
    the closing date."""
    for i in range(len(tail) - 1, 0, -1):
        if parse_date(tail[i]) and len(tail[i]) <= 20:
            name = tail[i - 1].strip()
            if 2 < len(name) <= 30 and _ORGAN_SUFFIX.search(name) and not _SENTENCE_MARK.search(name):
                return name
    return None


def _year(lines: list[str], published: dt.date | None) -> int | None:
    text = "\n".join(lines)
    if m := _PERIOD.search(text):
        return int(m[1])
    if m := _YEAR_REPORT.search(text):
        return int(m[1])
    if published is not None:
        return published.year - 1 if published.month <= 6 else published.year
    years = _YEAR_MENTION.findall(text[:3000])
    if years:
        return int(max(set(years), key=years.count))
    return None
