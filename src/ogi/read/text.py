"""Plain text (and scraped text) → Document of lines. Spec §7; issue #2 item 3 (encoding)."""

from __future__ import annotations

import codecs
import functools
import re
from itertools import count

from ..model import Document, Line, UndecodableText

# GB2312 and GBK are subsets of GB18030; decoding a GB page as GB2312 loses characters (issue #2).
_GB_FAMILY = {"gb2312", "gbk", "gb18030", "hz", "cp936", "euc_cn", "big5", "big5hkscs", "cp950"}


def decode(data: bytes, name: str, declared: str | None = None) -> str:
    """Bytes → str: BOM, declared charset, UTF-8, then charset-normalizer; GB family as GB18030. A stray NUL
    (a flipped bit) is marked as undecodable, like any byte no codec reads."""
    text = _decode(data, name, declared)
    return text.replace("\x00", "\ufffd") if "\x00" in text else text


def _decode(data: bytes, name: str, declared: str | None = None) -> str:
    for bom, codec in (
        (codecs.BOM_UTF8, "utf-8"),
        (codecs.BOM_UTF16_LE, "utf-16-le"),
        (codecs.BOM_UTF16_BE, "utf-16-be"),
    ):
        if data.startswith(bom):
            return data[len(bom) :].decode(codec, errors="replace")
    if declared:
        codec = _canonical(declared)
        try:
            return data.decode(codec)
        except (LookupError, UnicodeDecodeError):
            pass
    try:
        return data.decode("utf-8")  # most reports; also the fast path
    except UnicodeDecodeError:
        pass
    decoded = _best_cjk(data)
    if decoded is not None and not _has_utf8_line(data):
        return decoded
    salvaged = _salvage(data)  # no codec decodes it all, or GB18030 did but some lines are UTF-8
    if salvaged is not None:
        return salvaged
    if decoded is not None:
        return decoded
    from charset_normalizer import from_bytes  # imported late: slow to load, rarely needed

    best = from_bytes(data[:200_000]).best()
    if best is None or best.encoding is None:
        raise UndecodableText(name, "无法识别文本编码 (unknown text encoding)")
    return data.decode(_canonical(best.encoding), errors="replace")


# Characters every report uses, in both scripts: the decoding that yields most of them is the right one.
_COMMON = frozenset("政府信息公开開年度报報告情况況申请請的工作一二三四五六处處理行复復议議诉訴讼訟局县縣市区區")


def _best_cjk(data: bytes) -> str | None:
    """GB18030 or Big5, whichever decodes strictly and reads more like a report; both accept much."""
    best, best_score = None, -1
    for codec in ("gb18030", "big5hkscs"):
        try:
            text = data.decode(codec)
        except UnicodeDecodeError:
            continue
        score = sum(1 for ch in text[:20000] if ch in _COMMON)
        if score > best_score:
            best, best_score = text, score
    return best if best_score > 0 else None


def _salvage(data: bytes) -> str | None:
    """A Chinese text that no codec decodes whole (a flipped byte, a GBK page pasted into a UTF-8 one):
    each line in UTF-8 or GB18030, whichever reads as Chinese, and what decodes in neither marked with
    U+FFFD — decode what decodes, mark the rest (issue #15 item 15). None when nothing reads as Chinese."""
    main = max(("utf-8", "gb18030"), key=lambda codec: _chinese_score(data.decode(codec, errors="replace")))
    other = "gb18030" if main == "utf-8" else "utf-8"
    out, score = [], 0
    for line in data.split(b"\n"):
        if line.isascii():
            text = line.decode("ascii")
        else:  # either codec may decode a line strictly and wrongly: the one that reads as Chinese wins
            text = max((line.decode(main, errors="replace"), line.decode(other, errors="replace")), key=_chinese_score)
            score += _chinese_score(text)
        out.append(text)
    return "\n".join(out) if score > 0 else None


def _has_utf8_line(data: bytes) -> bool:
    """Whether a line with non-ASCII bytes is valid UTF-8: in a GB file, a UTF-8 page pasted in."""
    for line in data.split(b"\n"):
        if not line.isascii():
            try:
                line.decode("utf-8")
            except UnicodeDecodeError:
                continue
            return True
    return False


def _chinese_score(text: str) -> int:
    """Common hanzi (GB2312 level 1, the 3,755 everyday characters) count for, undecodable bytes and rare
    hanzi (what mojibake is made of) against: real report text scores high, a wrong codec low."""
    score = 0
    for ch in text:
        if ch == "\ufffd":
            score -= 2
        elif "\u4e00" <= ch <= "\u9fff" or "\u3400" <= ch <= "\u4dbf":
            score += 1 if _everyday(ch) else -1
    return score


@functools.lru_cache(maxsize=8192)
def _everyday(ch: str) -> bool:
    try:
        return 0xB0 <= ch.encode("gb2312")[0] <= 0xD7
    except UnicodeEncodeError:
        return False


def _canonical(encoding: str) -> str:
    enc = encoding.lower().replace("-", "").replace("_", "")
    if enc in {e.replace("_", "") for e in _GB_FAMILY if not e.startswith("big5") and e != "cp950"}:
        return "gb18030"
    try:
        return codecs.lookup(encoding).name
    except LookupError:
        return "utf-8"


def read(data: bytes, name: str) -> Document:
    text = decode(data, name).replace("\r\n", "\n").replace("\r", "\n")
    # map() calls Line from C: a tenth cheaper than a comprehension for the ~250 lines of a report.
    document = Document(list(map(Line, text.split("\n"), count(1))), source=name, kind="text")
    document.text = text  # the lines joined: normalise starts from it instead of joining them again
    if text.startswith(_CRAWLER_FIELDS):
        document.hints = crawler_header(text)
    return document


# A crawler's own header block before the page body (damaged-reports §1): field lines, then a marker.
_CRAWLER_FIELDS = ("标题", "標題", "title")
_CRAWLER_HINTS = {
    "标题": "title",
    "標題": "title",
    "发布时间": "published",
    "發佈時間": "published",
    "发布机构": "organ",
    "發佈機構": "organ",
    "原文链接": "url",
    "原文鏈接": "url",
}
_FIELD = re.compile(r"^\s*([^:：\s]{2,6})\s*[:：]\s*(.*?)\s*$")


def crawler_header(text: str) -> dict[str, str]:
    """Hints from a crawler's header block (标题 / 发布时间 / 发布机构 / 原文链接 up to its marker line):
    the metadata stage prefers them to what it finds in the body; empty fields give nothing."""
    hints: dict[str, str] = {}
    for line in text[:3000].split("\n")[:20]:
        if line.strip().startswith(("=", "-", "*")):
            break  # the marker before the body ("===== 正文 =====")
        m = _FIELD.match(line)
        if m and m[1] in _CRAWLER_HINTS and m[2]:
            hints[_CRAWLER_HINTS[m[1]]] = m[2]
    return hints
