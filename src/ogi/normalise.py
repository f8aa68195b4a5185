"""Document → Document: one spelling for everything the later stages match on (issue #2 item 3).

NFKC (full-width digits and brackets), pinyin injected by mirror sites ("根據(jù)" → "根據"),
traditional → simplified (OpenCC t2s), one kind of quote and bracket, and site boilerplate dropped.
Every kept line keeps its original line number, so provenance survives.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import replace
from functools import lru_cache

from .model import Document, Line, Table, Token

_TONED = "āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜńňǹḿ"
_CJK = r"[\u3400-\u9fff\uf900-\ufaff]"
# A tone-marked syllable in brackets straight after a CJK character: the mirror-site annotation.
_PINYIN_TONED = re.compile(rf"(?<={_CJK})\((?=[a-zü{_TONED}]*[{_TONED}])[a-zü{_TONED}]{{1,7}}\)")
# Neutral-tone syllables carry no mark; removed only in documents that already had toned ones.
_PINYIN_PLAIN = re.compile(rf"(?<={_CJK})\((?:[bpmfdtnlgkhjqxrzcsyw]|[zcs]h)?[aeiouü][a-z]{{0,4}}\)")

_REPLACEMENTS = {
        "「": "“", "」": "”", "『": "“", "』": "”", "〝": "“", "〞": "”", "＂": "“",
        "〔": "[", "〕": "]", "【": "[", "】": "]", "〖": "[", "〗": "]",
        "\u200b": "", "\u200c": "", "\u200d": "", "\ufeff": "", "\u00ad": "",
        "\u2002": " ", "\u2003": " ", "\u2009": " ",
}
# A regex finds the rare characters to replace much faster than str.translate walks the whole text.
_REPLACE = re.compile("[" + re.escape("".join(_REPLACEMENTS)) + "]")

# Site furniture seen around scraped reports (spec §7); a line is dropped when it is only this.
_BOILERPLATE = re.compile(
    r"^\s*(?:我要收藏|收藏本页|公共资源调用站点|文章分享|分享到[::]?.*|打印本页|打印|关闭窗口|关闭|返回顶部|"
    r"文件下载[::]?|附件下载[::]?|关联文件[::]?|相关附件[::]?|扫一扫.*|字体[::]?\s*\[?大\s*中\s*小\]?|"
    r"\[?\s*字号\s*.*\]?|【?\s*打印\s*】?|来源[::]\s*$|浏览次数[::]?.*|访问量[::]?.*|"
    r"您访问的链接即将离开.*|您即将离开.*|.*是否继续[??]?\s*$|上一篇[::].*|下一篇[::].*)\s*$"
)

# Frequent characters that exist only in traditional writing: if none occurs, OpenCC is skipped.
_TRADITIONAL_HINT = frozenset(
    "開國與為報請處關數內機資區會於說這時門們長經發條規訊據計進產業務體過當區應見東車書義總單辦際"
    "讓護權實現認識議論變樣點極審對複項維糾計結轉屬補現齊費採購稅強許決務網頁號發構類監歸檔"
)


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
    if not unicodedata.is_normalized("NFKC", text):  # the check is much cheaper than the rewrite
        text = unicodedata.normalize("NFKC", text)
    text = _REPLACE.sub(lambda m: _REPLACEMENTS[m.group()], text)
    text, removed = _PINYIN_TONED.subn("", text)
    if removed >= 3:
        text, plain = _PINYIN_PLAIN.subn("", text)
        removed += plain
    return text, removed


def normalise(document: Document) -> Document:
    """Normalise every line and table cell; drop boilerplate lines; keep original line numbers."""
    lines = [b for b in document.blocks if isinstance(b, Line)]
    joined, removed = clean("\n".join(b.text for b in lines))
    traditional = bool(_TRADITIONAL_HINT.intersection(joined))
    if traditional:
        joined = _converter().convert(joined)
    texts = iter(joined.split("\n"))
    blocks = []
    for block in document.blocks:
        if isinstance(block, Line):
            text = next(texts)
            if len(text) > 80 or not _BOILERPLATE.match(text):  # furniture lines are short
                blocks.append(block if text == block.text else Line(text, block.number, block.page))
        else:
            table, n, trad = _normalise_table(block)
            removed += n
            traditional = traditional or trad
            blocks.append(table)
    hints = {k: to_simplified(clean(v)[0]) for k, v in document.hints.items()}
    return replace(document, blocks=blocks, hints=hints, traditional=traditional, pinyin_removed=removed)


@lru_cache(maxsize=32768)  # cell texts repeat across rows and reports ("0", "自然人", row labels)
def _clean_cell(text: str) -> tuple[str, int, bool]:
    """One table cell: (normalised text, pinyin annotations removed, was traditional)."""
    cleaned, removed = clean(text)
    if _TRADITIONAL_HINT.intersection(cleaned):
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
