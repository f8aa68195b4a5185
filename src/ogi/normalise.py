"""Document → Document: one spelling for everything the later stages match on (issue #2 item 3).

NFKC (full-width digits and brackets), pinyin injected by mirror sites ("根據(jù)" → "根據"),
traditional → simplified (OpenCC t2s), one kind of quote and bracket, and site boilerplate dropped.
Every kept line keeps its original line number, so provenance survives.

Speed (1,000 reports a second per core): the lines are cleaned as one joined text, with a few passes
over it in C instead of a regex per line, and only the lines whose text changed get a new Line object.
The cleaned text is kept on the Document (``Document.text``) for the next stages.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import replace
from functools import lru_cache
from itertools import compress, count
from operator import attrgetter, ne

from .model import Document, Line, Table, Token

_TONED = "āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜńňǹḿ"
_CJK = r"[\u3400-\u9fff\uf900-\ufaff]"
# A tone-marked syllable in brackets straight after a CJK character: the mirror-site annotation.
# Both patterns start with the "(" itself and look back at the character before it from there: a
# literal first character lets the regex engine skip through the text instead of trying every position.
_PINYIN_TONED = re.compile(rf"\((?<={_CJK}\()(?=[a-zü{_TONED}]*[{_TONED}])[a-zü{_TONED}]{{1,7}}\)")
# Neutral-tone syllables carry no mark; removed only in documents that already had toned ones.
_PINYIN_PLAIN = re.compile(rf"\((?<={_CJK}\()(?:[bpmfdtnlgkhjqxrzcsyw]|[zcs]h)?[aeiouü][a-z]{{0,4}}\)")

_REPLACEMENTS = {
    "「": "“",
    "」": "”",
    "『": "“",
    "』": "”",
    "〝": "“",
    "〞": "”",
    "＂": "“",
    "〔": "[",
    "〕": "]",
    "【": "[",
    "】": "]",
    "〖": "[",
    "〗": "]",
    "\u200b": "",
    "\u200c": "",
    "\u200d": "",
    "\ufeff": "",
    "\u00ad": "",
    "\u2002": " ",
    "\u2003": " ",
    "\u2009": " ",
}

# The characters NFKC rewrites in nearly every report: full-width ASCII ("，", "（", "１") and wide
# spaces, each with its compatibility decomposition. Replacing a character by its NFKD form never
# changes the NFKC of the whole text (NFKC starts by decomposing every character), so after these
# replacements a normalisation check says whether anything else is left to do; usually nothing is.
_WIDE_FORMS = {
    char: unicodedata.normalize("NFKD", char)
    for char in map(chr, [*range(0xFF01, 0xFF5F), 0x3000, 0x00A0, *range(0x2000, 0x200B)])
}

# Site furniture seen around scraped reports (spec §7); a line is dropped when it is only this.
# Keyed by a word every such line contains: one search for the words finds the few lines worth
# matching, instead of matching every line of the report.
_FURNITURE = {
    "收藏": r"我要收藏|收藏本页",
    "站点": r"公共资源调用站点",
    "分享": r"文章分享|分享到[::]?.*",
    "打印": r"打印本页|打印|【?\s*打印\s*】?",
    "关闭": r"关闭窗口|关闭",
    "返回顶部": r"返回顶部",
    "下载": r"文件下载[::]?|附件下载[::]?",
    "关联文件": r"关联文件[::]?",
    "相关附件": r"相关附件[::]?",
    "扫一扫": r"扫一扫.*",
    "字体": r"字体[::]?\s*\[?大\s*中\s*小\]?",
    "字号": r"\[?\s*字号\s*.*\]?",
    "来源": r"来源[::]\s*$",
    "浏览次数": r"浏览次数[::]?.*",
    "访问量": r"访问量[::]?.*",
    "离开": r"您访问的链接即将离开.*|您即将离开.*",
    "是否继续": r"[^。]*是否继续[??]?\s*$",  # not after a sentence: a flattened page's last section ends so
    "一篇": r"上一篇[::].*|下一篇[::].*",
}
_BOILERPLATE = re.compile(r"^\s*(?:" + "|".join(_FURNITURE.values()) + r")\s*$")
_FURNITURE_WORD = re.compile("|".join(_FURNITURE))
_BOILERPLATE_MAX = 80  # furniture lines are short: a longer line is text, whatever it starts with

# Frequent characters that exist only in traditional writing: if none occurs, OpenCC is skipped.
_TRADITIONAL_HINT = frozenset(
    "開國與為報請處關數內機資區會於說這時門們長經發條規訊據計進產業務體過當區應見東車書義總單辦際"
    "讓護權實現認識議論變樣點極審對複項維糾計結轉屬補現齊費採購稅強許決務網頁號發構類監歸檔"
)

# Every character cleaning rewrites by table or looks for (full-width forms, replacements, tone marks,
# traditional hints). One regex pass lists those present: much cheaper than a substring search per
# table entry, and most reports hold only a dozen of them.
_NOTABLE = re.compile(
    "[" + re.escape("".join(sorted({*_WIDE_FORMS, *_REPLACEMENTS, *_TONED, *_TRADITIONAL_HINT}))) + "]"
)
# None of the replacements writes a notable character, so replacing keeps the census true.
assert not _NOTABLE.search("".join(_WIDE_FORMS.values()) + "".join(_REPLACEMENTS.values()))


@lru_cache(maxsize=1)
def _converter():
    import opencc  # imported on first use: a simplified-only batch never pays for it

    return opencc.OpenCC("t2s")


def to_simplified(text: str) -> str:
    """Traditional → simplified for one string (names, queries). Short strings always go through
    OpenCC (縉雲縣 has none of the hint characters); long ones only when they show traditional writing."""
    if len(text) > 200 and not _TRADITIONAL_HINT.intersection(text):
        return text
    return _converter().convert(text)


def clean(text: str) -> tuple[str, int]:
    """NFKC + pinyin removal + quotes/brackets; returns the text and how many annotations went."""
    text, removed, _ = _clean(text)
    return text, removed


def _clean(text: str) -> tuple[str, int, set[str]]:
    """clean(), plus the notable characters (_NOTABLE) of the cleaned text; the tone marks among them
    may be stale (pinyin removal drops some), the traditional hints are exact."""
    notable = _notable_in(text)
    if not unicodedata.is_normalized("NFKC", text):  # the check is much cheaper than the rewrite
        for char in notable.intersection(_WIDE_FORMS):
            text = text.replace(char, _WIDE_FORMS[char])
        notable.difference_update(_WIDE_FORMS)
        if not unicodedata.is_normalized("NFKC", text):  # something rarer: the full rewrite
            text = unicodedata.normalize("NFKC", text)
            notable = _notable_in(text)
    for char in notable.intersection(_REPLACEMENTS):  # no replacement yields another key: order is free
        text = text.replace(char, _REPLACEMENTS[char])
    notable.difference_update(_REPLACEMENTS)
    removed = 0
    if not notable.isdisjoint(_TONED):  # no tone mark, no annotation to remove
        text, removed = _PINYIN_TONED.subn("", text)
        if removed >= 3:
            text, plain = _PINYIN_PLAIN.subn("", text)
            removed += plain
    return text, removed, notable


def _notable_in(text: str) -> set[str]:
    """The _NOTABLE characters in a text, listed a slice at a time: a hostile file of nothing but
    full-width characters must not become a list of millions of strings."""
    found: set[str] = set()
    for start in range(0, len(text), _CENSUS_SLICE):
        found.update(_NOTABLE.findall(text, start, start + _CENSUS_SLICE))
    return found


_CENSUS_SLICE = 1 << 16


def normalise(document: Document) -> Document:
    """Normalise every line and table cell; drop boilerplate lines; keep original line numbers."""
    blocks = document.blocks
    if document.text is not None:  # the text reader's: nothing but lines, joined already
        plain, lines, original = True, blocks, document.text
    else:
        lines = [b for b in blocks if isinstance(b, Line)]
        plain = len(lines) == len(blocks)  # plain text all the same
        original = "\n".join([line.text for line in lines])
    joined, removed, notable = _clean(original)
    traditional = not notable.isdisjoint(_TRADITIONAL_HINT)
    texts = joined.split("\n")  # piece i is the i-th line's text, as long as no line held a line break
    if traditional:
        texts = _simplified_lines(texts)
        joined = "\n".join(texts)
    if joined != original or len(texts) != len(lines):
        lines = _renewed(lines, texts)
    furniture = _furniture(joined)
    text = None
    if plain:
        kept = _without(lines, furniture)
        if len(texts) == len(lines):
            text = "\n".join(_without(texts, furniture)) if furniture else joined
        else:
            text = "\n".join([line.text for line in kept])
    else:
        kept = []
        line_index = 0
        for block in blocks:
            if isinstance(block, Line):
                if line_index not in furniture:
                    kept.append(lines[line_index])
                line_index += 1
            else:
                table, n, trad = _normalise_table(block)
                removed += n
                traditional = traditional or trad
                kept.append(table)
    hints = {k: _normalise_hint(v) for k, v in document.hints.items()}
    normalised = replace(document, blocks=kept, hints=hints, traditional=traditional, pinyin_removed=removed)
    normalised.text = text
    return normalised


# Simplified forms of lines seen in traditional reports. Reports repeat most of their lines (labels,
# headings, set phrases) and OpenCC is the dearest step of all, so only unseen lines go through it.
# Converting lines apart is converting the text: OpenCC's dictionaries are files of one entry a line,
# so no phrase it matches spans a line break. Entries are never removed (safe under threads); the
# cache takes lines up to _SIMPLIFIED_LINE characters (the ones that repeat) and stops growing when full.
_SIMPLIFIED: dict[str, str] = {}
_SIMPLIFIED_MAX = 20_000  # lines: a few megabytes at most
_SIMPLIFIED_LINE = 200


def _simplified_lines(lines: list[str]) -> list[str]:
    """OpenCC t2s of each line, one call for all the lines not converted before."""
    found = list(map(_SIMPLIFIED.get, lines))
    if None not in found:
        return found
    missing = list(dict.fromkeys(line for line, simple in zip(lines, found) if simple is None))
    converted = _converter().convert("\n".join(missing)).split("\n")
    if len(converted) != len(missing):  # not expected (see above); if so, the text in one piece as before
        return _converter().convert("\n".join(lines)).split("\n")
    fresh = dict(zip(missing, converted))
    if len(_SIMPLIFIED) + len(fresh) <= _SIMPLIFIED_MAX:
        _SIMPLIFIED.update(item for item in fresh.items() if len(item[0]) <= _SIMPLIFIED_LINE)
    return [fresh[line] if simple is None else simple for line, simple in zip(lines, found)]


def _renewed(lines: list[Line], texts: list[str]) -> list[Line]:
    """The lines with their cleaned texts; a new Line only where the text changed (compared in C)."""
    renewed = lines[:]
    for i in compress(count(), map(ne, texts, map(_TEXT, lines))):
        line = lines[i]
        renewed[i] = Line(texts[i], line.number, line.page)
    return renewed


_TEXT = attrgetter("text")


def _without(items: list, dropped: set[int]) -> list:
    """A copy of ``items`` without the few at the ``dropped`` indices, copied in slices."""
    kept, start = [], 0
    for index in sorted(dropped):
        kept.extend(items[start:index])
        start = index + 1
    kept.extend(items[start:])
    return kept


def _furniture(joined: str) -> set[int]:
    """Indices of the lines of the joined text that are only site furniture."""
    pieces = set()
    line, counted, end = 0, 0, 0
    for word in _FURNITURE_WORD.finditer(joined):
        if word.start() < end:
            continue  # its line was looked at already
        start = joined.rfind("\n", 0, word.start()) + 1
        end = joined.find("\n", word.end())
        end = len(joined) if end == -1 else end
        if end - start <= _BOILERPLATE_MAX and _BOILERPLATE.match(joined[start:end]):
            line += joined.count("\n", counted, start)  # counted on from the last one: linear in the text
            counted = start
            pieces.add(line)
    return pieces


@lru_cache(maxsize=4096)  # organ names and dates come back page after page
def _normalise_hint(text: str) -> str:
    cleaned = clean(text)[0]
    return cleaned if cleaned.isascii() else to_simplified(cleaned)  # OpenCC leaves ASCII as it is


@lru_cache(maxsize=32768)  # cell texts repeat across rows and reports ("0", "自然人", row labels)
def _clean_cell(text: str) -> tuple[str, int, bool]:
    """One table cell: (normalised text, pinyin annotations removed, was traditional)."""
    cleaned, removed, notable = _clean(text)
    if not notable.isdisjoint(_TRADITIONAL_HINT):
        return _converter().convert(cleaned), removed, True
    return cleaned, removed, False


def _normalise_table(table: Table) -> tuple[Table, int, bool]:
    removed = 0
    traditional = False
    rows = []
    for row in table.rows:
        tokens = []
        for token in row:
            text, n, trad = _clean_cell(token.text)
            removed += n
            traditional = traditional or trad
            tokens.append(token if text == token.text else Token(text, token.where))
        rows.append(tuple(tokens))
    return Table(tuple(rows), table.index, table.page), removed, traditional
