"""Document → Meta: organ, year, publication date, 索引号 (issue #2 item 4).

Sources, strongest first: reader hints (HTML <title>/<meta>), the title line, a metadata block
(索引号 / 发布机构 / 发文日期, possibly as a pipe table), the statistical-period sentence, the
signature and date at the end.
"""

from __future__ import annotations

import datetime as dt
import re

from .model import Document, Line, Meta, Table, Template

_CN_DIGITS = {"〇": 0, "零": 0, "○": 0, "O": 0, "一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_TITLE = re.compile(r"^(?P<organ>.{2,40}?)(?:关于)?(?:(?P<year>20\d\d)年度?)(?:本级)?政府信息公开(?:工作)?年度?报告")
_TITLE_NO_YEAR = re.compile(r"^(?P<organ>.{2,40}?)(?:关于)?政府信息公开(?:工作)?年度?报告[(\[]?(?P<year>20\d\d)")
_YEAR_REPORT = re.compile(r"(20\d\d)\s*年度?(?:本级)?政府信息公开(?:工作)?年度?报告")
_PERIOD = re.compile(r"统计(?:期限|时限|时间|区间|范围|期间)[^。\n]{0,12}?(20\d\d)\s*年\s*1\s*月\s*1\s*日")
_DATE = re.compile(r"(20\d\d)\s*[-年./]\s*(\d{1,2})\s*[-月./]\s*(\d{1,2})\s*日?")
_CN_DATE = re.compile(r"(二[〇零○O][一二三四五六七八九〇零○O]{2})年([一二三四五六七八九十]{1,2})月([一二三四五六七八九十]{1,3})日")
_INDEX = re.compile(r"索\s*引\s*号\s*[:|]?\s*\|?\s*([A-Za-z0-9][A-Za-z0-9/\-_.]*)")
_PUBLISHER = re.compile(
    r"(?:发布机构|发文机关|发布单位|来源|信息来源)\s*[:|]\s*\|?\s*([^|:\s]{2,40}?)(?:\s*\||\s{2,}|$|栏目|作者|日期|发文|索引|部门|分类)"
)
_DEPARTMENT = re.compile(r"部门\s*[:|]\s*\|?\s*([^|:\s]{2,40}?)(?:\s*\||\s{2,}|$|栏目|作者|日期|发文|索引|来源|分类)")
_PUB_DATE = re.compile(r"(?:发文日期|发布日期|成文日期|日期|发布时间|公开日期)\s*[:|]\s*\|?\s*(20\d\d\s*[-年./]\s*\d{1,2}\s*[-月./]\s*\d{1,2})")
_ORGAN_SUFFIX = re.compile(r"(?:局|委|委员会|办|办公室|厅|部|院|署|中心|政府|管委会|管理委员会|街道办事处|街道|镇|乡|处|所|站|队|会|区|县|市)$")
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


def _lines(document: Document) -> list[str]:
    out = []
    for block in document.blocks:
        if isinstance(block, Line):
            out.append(block.text.strip())
        elif isinstance(block, Table) and len(block.rows) <= 4:
            out.extend(" | ".join(t.text for t in row) for row in block.rows)  # metadata grids
    return [t for t in out if t]


def extract_meta(document: Document, template: Template | None) -> Meta:
    meta = Meta(source=document.source, sha256=document.sha256, kind=document.kind, template=template)
    meta.traditional = document.traditional
    meta.pinyin_removed = document.pinyin_removed
    lines = _lines(document)
    head = lines[:12]
    hints = document.hints
    title = hints.get("title", "")
    for candidate in [title] + [h for h in head if len(h) <= 60 and not h.startswith(("根据", "依据", "按照"))]:
        m = _TITLE.match(candidate.replace(" ", "")) or _TITLE_NO_YEAR.match(candidate.replace(" ", ""))
        if m:
            meta.title = candidate
            meta.organ = _clean_organ(m["organ"])
            meta.year = int(m["year"])
            break
    head_text = "\n".join(head)
    if m := _INDEX.search(head_text):
        meta.index_no = m[1]
    if not meta.organ:
        for line in head:  # line by line: "$" ends the name at the end of its own line
            if m := _PUBLISHER.search(line if "|" in line else line.replace(" ", "")):
                meta.organ = _clean_organ(m[1].replace(" ", ""))
                break
    if not meta.organ:  # "部门:工业和信息化局" often lacks the region: the weakest source
        for line in head:
            if m := _DEPARTMENT.search(line if "|" in line else line.replace(" ", "")):
                meta.organ = _clean_organ(m[1].replace(" ", ""))
                break
    meta.organ = meta.organ or hints.get("organ") or _signature_organ(lines)
    meta.published = _published(hints, head_text, lines)
    meta.year = meta.year or _year(lines, meta.published)
    if meta.organ:
        meta.is_government = bool(_GOVERNMENT.search(meta.organ))
    return meta


def _clean_organ(organ: str) -> str | None:
    organ = organ.strip(" :|,、")
    organ = re.sub(r"^(?:关于印发|关于公布|关于发布|关于)", "", organ)
    organ = re.sub(r"(?:关于)$", "", organ)
    return organ or None


def _published(hints: dict[str, str], head_text: str, lines: list[str]) -> dt.date | None:
    if hints.get("published"):
        if date := parse_date(hints["published"]):
            return date
    compact = head_text.replace(" ", "")
    if m := _PUB_DATE.search(compact):
        if date := parse_date(m[1]):
            return date
    for line in reversed(lines[-4:]):
        if len(line) <= 20 and (date := parse_date(line)) and re.fullmatch(r"[\d\s年月日./\-〇零○O一二三四五六七八九十]+", line):
            return date
    return None


def _signature_organ(lines: list[str]) -> str | None:
    """The organ signing at the end: a short name line just before the closing date."""
    tail = lines[-4:]
    for i in range(len(tail) - 1, 0, -1):
        if parse_date(tail[i]) and len(tail[i]) <= 20:
            name = tail[i - 1].strip()
            if 2 < len(name) <= 30 and _ORGAN_SUFFIX.search(name) and not re.search(r"[。,:!?]", name):
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
    years = re.findall(r"(20\d\d)\s*年", text[:3000])
    if years:
        return int(max(set(years), key=years.count))
    return None
