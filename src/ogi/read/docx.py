"""DOCX → Document: paragraphs and tables in body order (spec §7; issue #3 item 2).

python-docx opens the package (after a zip-bomb check); the body XML is then walked directly, because
merged cells need the raw ``w:gridSpan`` / ``w:vMerge`` / ``w:gridBefore`` properties: a merged cell
yields ONE token at its origin grid column, never a repeat. Word's automatic numbering ("一、",
"（一）", "1.") is not in the text runs, so it is rebuilt from numbering.xml: section headings depend on it.
"""

from __future__ import annotations

from io import BytesIO

from .. import budget
from ..model import CorruptFile, Document, EmptyFile, Line
from .common import GridBuilder, cell_text, join_cjk, open_zip

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_MC_FALLBACK = "{http://schemas.openxmlformats.org/markup-compatibility/2006}Fallback"
_VAL = f"{_W}val"
_P, _TBL, _TR, _TC, _SDT, _SDT_CONTENT, _CUSTOM = (
    f"{_W}{t}" for t in ("p", "tbl", "tr", "tc", "sdt", "sdtContent", "customXml")
)
_T, _TAB, _BR, _CR = (f"{_W}{t}" for t in ("t", "tab", "br", "cr"))
_TEXT_TAGS = (_T, _TAB, _BR, _CR)


def read(data: bytes, name: str) -> Document:
    open_zip(data, name, "Word")  # refuses zip bombs and encrypted members before python-docx inflates
    import docx  # python-docx: imported here so text-only batches never load it

    try:
        package = docx.Document(BytesIO(data))
    except Exception as exc:  # python-docx raises KeyError/ValueError/lxml errors on damaged packages
        raise CorruptFile(
            name, f"Word 文件已损坏或不是有效的 DOCX (corrupt DOCX: {type(exc).__name__}: {exc})"
        ) from None
    body = package.element.body
    for fallback in list(body.iter(_MC_FALLBACK)):
        fallback.getparent().remove(fallback)  # the Fallback copy of a text box would double its text
    walker = _Walker(_Numbering(package))
    walker.walk(body)
    if not walker.blocks:
        raise EmptyFile(name, "Word 文件没有正文内容 (DOCX without any text)")
    hints = {}
    title = (package.core_properties.title or "").strip()
    if "报告" in title or "報告" in title:
        hints["title"] = join_cjk(title)
    return Document(walker.blocks, source=name, kind="docx", hints=hints)


class _Walker:
    __slots__ = ("blocks", "numbering", "paragraphs", "tables")

    def __init__(self, numbering: _Numbering):
        self.blocks: list = []
        self.numbering = numbering
        self.paragraphs = 0  # paragraph ordinal in the body: Line.number
        self.tables = 0

    def walk(self, container) -> None:
        for child in container:
            tag = child.tag
            if tag == _P:
                self.paragraph(child)
            elif tag == _TBL:
                self.table(child)
            elif tag in (_SDT, _SDT_CONTENT, _CUSTOM):
                self.walk(
                    child if tag != _SDT else (child.find(_SDT_CONTENT) if child.find(_SDT_CONTENT) is not None else ())
                )

    def paragraph(self, p) -> None:
        self.paragraphs += 1
        prefix = self.numbering.label(p)
        for piece in (prefix + _paragraph_text(p, breaks="\n")).split("\n"):
            text = "\t".join(join_cjk(part) for part in piece.split("\t")).strip()
            if text:
                self.blocks.append(Line(text, self.paragraphs))

    def table(self, tbl) -> None:
        budget.check(f"reading table {self.tables + 1}")
        builder = GridBuilder(self.tables)
        for tr in _rows(tbl):
            builder.new_row()
            # gridBefore/gridSpan count grid columns: a table has tens; 300,000,000 is hostile (issue #15).
            col = min(_int(tr.find(f"{_W}trPr/{_W}gridBefore"), 0), budget.COLSPAN)
            for tc in _cells(tr):
                props = tc.find(f"{_W}tcPr")
                span = min(_int(props.find(f"{_W}gridSpan") if props is not None else None, 1), budget.COLSPAN)
                if not _continues_merge(props):
                    builder.add(cell_text(self._cell_paragraphs(tc)), at=col)
                col += span
        table = builder.table()
        if table is not None:
            self.tables += 1
            self.blocks.append(table)

    def _cell_paragraphs(self, tc) -> list[str]:
        # Nested tables are rare in reports; their text joins the cell's.
        return [self.numbering.label(p) + _paragraph_text(p, breaks="") for p in tc.iter(_P)]


def _rows(tbl):
    for child in tbl:
        if child.tag == _TR:
            yield child
        elif child.tag in (_SDT, _CUSTOM):
            yield from (tr for tr in child.iter(_TR) if _owner_table(tr) is tbl)


def _cells(tr):
    for child in tr:
        if child.tag == _TC:
            yield child
        elif child.tag in (_SDT, _CUSTOM):
            yield from (tc for tc in child.iter(_TC) if tc.getparent().tag != _TR or tc.getparent() is tr)


def _owner_table(el):
    for ancestor in el.iterancestors(_TBL):
        return ancestor
    return None


def _continues_merge(props) -> bool:
    """A vertically merged cell below its origin (``w:vMerge`` without restart) or a legacy hMerge."""
    if props is None:
        return False
    for tag in (f"{_W}vMerge", f"{_W}hMerge"):
        merge = props.find(tag)
        if merge is not None and merge.get(_VAL, "continue") != "restart":
            return True
    return False


def _int(el, default: int) -> int:
    if el is None:
        return default
    try:
        return max(0, int(el.get(_VAL, default)))
    except ValueError:
        return default


def _paragraph_text(p, breaks: str) -> str:
    parts = []
    for el in p.iter(_TEXT_TAGS):
        tag = el.tag
        if tag == _T:
            parts.append(el.text or "")
        elif tag == _TAB:
            parts.append("\t" if breaks else "")
        else:
            parts.append(breaks)
    return "".join(parts)


_CN_DIGITS = "零一二三四五六七八九"


def _chinese(n: int) -> str:
    if n <= 10:
        return "十" if n == 10 else _CN_DIGITS[n]
    if n < 20:
        return "十" + _CN_DIGITS[n - 10]
    if n < 100:
        return _CN_DIGITS[n // 10] + "十" + (_CN_DIGITS[n % 10] if n % 10 else "")
    return str(n)


def _format(n: int, fmt: str) -> str:
    if fmt in (
        "chineseCounting",
        "chineseCountingThousand",
        "japaneseCounting",
        "ideographDigital",
        "taiwaneseCounting",
    ):
        return _chinese(n)
    if fmt == "ideographTraditional":
        return "甲乙丙丁戊己庚辛壬癸"[(n - 1) % 10]
    if fmt == "decimalEnclosedCircle" or fmt == "decimalEnclosedCircleChinese":
        return chr(0x2460 + n - 1) if 1 <= n <= 20 else str(n)
    if fmt == "decimalFullWidth":
        return "".join(chr(0xFF10 + int(d)) for d in str(n))
    if fmt in ("lowerLetter", "upperLetter"):
        letter = chr(ord("a") + (n - 1) % 26)
        return letter.upper() if fmt == "upperLetter" else letter
    if fmt in ("lowerRoman", "upperRoman"):
        roman = _roman(n)
        return roman if fmt == "upperRoman" else roman.lower()
    if fmt in ("bullet", "none"):
        return ""
    return str(n)


def _roman(n: int) -> str:
    out = ""
    for value, letters in (
        (1000, "M"),
        (900, "CM"),
        (500, "D"),
        (400, "CD"),
        (100, "C"),
        (90, "XC"),
        (50, "L"),
        (40, "XL"),
        (10, "X"),
        (9, "IX"),
        (5, "V"),
        (4, "IV"),
        (1, "I"),
    ):
        while n >= value:
            out += letters
            n -= value
    return out


class _Numbering:
    """Rebuilds the text of Word's automatic list numbers, counting per list as Word does."""

    def __init__(self, package):
        self.levels: dict[str, dict[int, tuple[int, str, str]]] = {}  # numId → ilvl → (start, fmt, lvlText)
        self.counters: dict[str, list[int]] = {}
        self.style_num: dict[str, tuple[str, int]] = {}
        try:
            numbering = package.part.numbering_part.element
        except (KeyError, NotImplementedError, AttributeError):
            return
        abstract = {}
        for an in numbering.iter(f"{_W}abstractNum"):
            levels = {}
            for lvl in an.iter(f"{_W}lvl"):
                levels[_int_attr(lvl, f"{_W}ilvl", 0)] = (
                    _int(lvl.find(f"{_W}start"), 1),
                    (
                        lvl.find(f"{_W}numFmt").get(_VAL, "decimal")
                        if lvl.find(f"{_W}numFmt") is not None
                        else "decimal"
                    ),
                    (lvl.find(f"{_W}lvlText").get(_VAL, "") if lvl.find(f"{_W}lvlText") is not None else ""),
                )
            abstract[an.get(f"{_W}abstractNumId")] = levels
        for num in numbering.iter(f"{_W}num"):
            ref = num.find(f"{_W}abstractNumId")
            if ref is not None:
                self.levels[num.get(f"{_W}numId")] = abstract.get(ref.get(_VAL), {})
        try:
            styles = package.styles.element
        except (KeyError, NotImplementedError, AttributeError):
            return
        for style in styles.iter(f"{_W}style"):
            num_pr = style.find(f"{_W}pPr/{_W}numPr")
            if num_pr is not None and num_pr.find(f"{_W}numId") is not None:
                ilvl = _int(num_pr.find(f"{_W}ilvl"), 0)
                self.style_num[style.get(f"{_W}styleId")] = (num_pr.find(f"{_W}numId").get(_VAL), ilvl)

    def label(self, p) -> str:
        if not self.levels:
            return ""
        num_pr = p.find(f"{_W}pPr/{_W}numPr")
        if num_pr is not None and num_pr.find(f"{_W}numId") is not None:
            num_id, ilvl = num_pr.find(f"{_W}numId").get(_VAL), _int(num_pr.find(f"{_W}ilvl"), 0)
        else:
            style = p.find(f"{_W}pPr/{_W}pStyle")
            found = self.style_num.get(style.get(_VAL)) if style is not None else None
            if found is None:
                return ""
            num_id, ilvl = found
        levels = self.levels.get(num_id)
        if not levels or ilvl not in levels:
            return ""  # numId 0 switches numbering off
        counters = self.counters.setdefault(num_id, [0] * 9)
        if not 0 <= ilvl < 9:
            return ""
        counters[ilvl] = counters[ilvl] + 1 if counters[ilvl] else levels[ilvl][0]
        for deeper in range(ilvl + 1, 9):
            counters[deeper] = 0
        text = levels[ilvl][2]
        for level in range(ilvl, -1, -1):
            start, fmt, _ = levels.get(level, (1, "decimal", ""))
            text = text.replace(f"%{level + 1}", _format(counters[level] or start, fmt))
        return text


def _int_attr(el, attr: str, default: int) -> int:
    try:
        return int(el.get(attr, default))
    except ValueError:
        return default
