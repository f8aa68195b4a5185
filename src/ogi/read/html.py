"""HTML page → Document: the report body as lines, its tables as grids (spec §7; issue #3 item 1).

Decoding: UTF-8 when the bytes are valid UTF-8 (pages often declare gb2312 and are not), else the
declared charset, else detection; the GB family is decoded as GB18030 (read/text.py ``decode``).
Site furniture (scripts, navigation, share bars, footers) is dropped and the report body is the
smallest element that still holds most of the page's non-link text and every report table.
Tables without nested tables become grids honouring rowspan/colspan; tables holding tables are page
layout and are read as flowing text. Metadata found by structure goes to ``Document.hints``.
"""

from __future__ import annotations

import re

from lxml import etree

from .. import budget
from ..model import (
    CorruptFile,
    Document,
    EmptyFile,
    Line,
    Table,
    Token,
    TooLarge,
    Where,
)
from .common import iso_date, join_cjk
from .text import decode

MAX_HTML = budget.HTML_BYTES

# collect_ids=False: nothing looks elements up by id, and the id table costs a little on every page.
_PARSER = etree.HTMLParser(remove_comments=True, remove_pis=True, no_network=True, collect_ids=False)
_CHARSET = re.compile(rb"""<meta[^>]{0,200}?charset\s*=\s*["']?\s*([A-Za-z0-9_\-]+)""", re.I)
_XML_DECL = re.compile(r"^\s*<\?xml[^>]*\?>")
_DROP = frozenset(
    [
        "script",
        "style",
        "noscript",
        "iframe",
        "frame",
        "frameset",
        "nav",
        "aside",
        "footer",
        "select",
        "option",
        "button",
        "svg",
        "canvas",
        "template",
        "object",
        "embed",
        "input",
        "textarea",
        "map",
        "audio",
        "video",
        "head",
        "link",
        "base",
    ]
)
_BLOCK = frozenset(
    [
        "p",
        "div",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "li",
        "ul",
        "ol",
        "dl",
        "dt",
        "dd",
        "tr",
        "td",
        "th",
        "table",
        "tbody",
        "thead",
        "tfoot",
        "section",
        "article",
        "blockquote",
        "pre",
        "center",
        "form",
        "hr",
        "address",
        "header",
        "main",
        "figure",
        "figcaption",
        "caption",
        "body",
        "html",
        "br",
    ]
)
# Elements the report body can be; never a paragraph, heading or table row.
_CONTAINERS = frozenset(
    ["div", "section", "article", "main", "center", "form", "td", "th", "table", "font", "span", "blockquote", "body"]
)
_HIDDEN = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.I)
_FURNITURE_ATTR = re.compile(
    r"(?:^|[\s_\-])(?:share|bdshare|nav|navbar|menu|breadcrumb|crumbs?|footer|foot|sidebar|toolbar|print|"
    r"copyright|qrcode|ewm|login|search|related|fenxiang|dayin|guanbi)(?:$|[\s_\-\d])",
    re.I,
)
_REPORT_TABLE = ("自然人", "行政许可", "行政复议", "本年新收", "主动公开", "信息内容", "本年新制作", "本年制发")
_TITLE_SPLIT = re.compile(r"\s*[_|—]+\s*|\s+-\s+")

_PUBLISHED_META = (
    "pubdate",
    "publishdate",
    "publish_date",
    "publishtime",
    "firstpublishedtime",
    "articlepublishdate",
    "article:published_time",
    "dcterms.issued",
    "dc.date.issued",
    "dc.date",
    "maketime",
    "createdate",
)
_ORGAN_META = ("contentsource", "dc.publisher", "publisher", "source", "author")
_ORGAN = re.compile(
    r"^[\u4e00-\u9fff()（）]{2,38}(?:局|委|委员会|办|办公室|厅|部|署|院|政府|中心|所|站|队|会|处|街道|街道办事处|"
    r"镇|乡|管委会|管理委员会|馆|校|学院|大学|法院|检察院|监狱|集团|公司|分局|支队|大队|总队)$"
)
_INDEX_NO = re.compile(r"索\s*引\s*号\s*[:：]?\s*([A-Za-z0-9][A-Za-z0-9\-/_.．—]{3,60})")
_PUBLISHER = re.compile(
    r"(?:发布机构|發布機構|发文机关|发文機關|发布单位|信息来源|公开主体|来\s*源)\s*[:：]?\s*([^\s:：|]{2,40})"
)
_NEXT_LABEL = re.compile(
    r"发文日期|發文日期|成文日期|发布日期|發布日期|发布时间|發布時間|索\s*引\s*号|文\s*号|主题分类|体裁分类|组配分类|"
    r"公开方式|公开时限|公开范围|有效性|生成日期|名\s*称|关键词|来\s*源|信息来源"
)
_PAGE_DATE = re.compile(
    r"(发布日期|發布日期|发布时间|發布時間|公开日期|发文日期|發文日期|成文日期)\s*[:：]?\s*"
    r"((?:19|20)\d\d\s*[-年/.]\s*\d{1,2}\s*[-月/.]\s*\d{1,2})"
)
_DATE_RANK = {
    "发布日期": 0,
    "發布日期": 0,
    "发布时间": 0,
    "發布時間": 0,
    "公开日期": 0,
    "发文日期": 1,
    "發文日期": 1,
    "成文日期": 2,
}


def read(data: bytes, name: str) -> Document:
    if len(data) > MAX_HTML:
        raise TooLarge(name, f"网页文件过大 ({len(data) / 1e6:.0f} MB > {MAX_HTML // 2**20} MB)")
    return read_text(_decode(data, name), name)


def read_mht(data: bytes, name: str) -> Document:
    """Word's "single file web page" (.mht/.mhtml): the first text/html part of the MIME archive."""
    import email
    import email.policy

    if len(data) > MAX_HTML:
        raise TooLarge(name, f"网页文件过大 ({len(data) / 1e6:.0f} MB)")
    message = email.message_from_bytes(data, policy=email.policy.compat32)
    for part in message.walk():
        if part.get_content_type() == "text/html":
            payload = part.get_payload(decode=True) or b""
            charset = part.get_content_charset()
            return read_text(decode(payload, name, charset) if charset else _decode(payload, name), name)
    raise CorruptFile(name, "MHT 文件中没有网页内容 (MHT archive without an HTML part)")


def read_text(text: str, name: str) -> Document:
    root = _parse(text, name)
    hints = _meta_hints(root)
    source = text
    for el in list(root.iter("title", "head")):
        _remove(el)
    _drop_furniture(root, source)
    _text_hints(_head_text(root), hints)
    body = _content_root(root)
    walker = _Walker()
    heading = _outside_title(root, body)
    if heading:
        walker.buf.append(heading)
        walker.flush()
    walker.walk(body, 0)
    walker.flush()
    if not walker.blocks:
        raise EmptyFile(name, "网页没有正文内容 (HTML page without any text)")
    return Document(walker.blocks, source=name, kind="html", hints=hints)


def _decode(data: bytes, name: str) -> str:
    """Valid UTF-8 wins over a declaration (GB pages are never valid UTF-8 by accident)."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    m = _CHARSET.search(data[:8192])
    return decode(data, name, m.group(1).decode("ascii") if m else None)


def _parse(text: str, name: str):
    text = _XML_DECL.sub("", text, count=1).lstrip("\ufeff")
    if not text.strip():
        raise EmptyFile(name, "网页为空 (empty HTML page)")
    try:
        # Plain etree elements: lxml.html's element classes cost a lookup per node, a third of the time.
        root = etree.fromstring(text, _PARSER)
    except (etree.ParserError, etree.XMLSyntaxError, ValueError) as exc:
        raise CorruptFile(name, f"无法解析网页 (cannot parse HTML: {exc})") from None
    if root is None:
        raise EmptyFile(name, "网页为空 (empty HTML page)")
    return root


def _head_text(root, limit: int = 6000) -> str:
    """The first few thousand characters of the page's text, where metadata blocks sit."""
    return "\n".join(line.strip() for line in _text(root)[: limit * 4].splitlines() if line.strip())


def _remove(el) -> None:
    """Remove an element but keep its tail text, which belongs to the parent."""
    parent = el.getparent()
    if parent is None:
        return
    if el.tail and el.tail.strip():
        previous = el.getprevious()
        if previous is not None:
            previous.tail = (previous.tail or "") + el.tail
        else:
            parent.text = (parent.text or "") + el.tail
    parent.remove(el)


def _drop_furniture(root, source: str = "display") -> None:
    """Scripts, navigation, hidden blocks and share/print/footer bars."""
    doomed = list(root.iter(*_DROP))
    if "display" in source or "visibility" in source or "DISPLAY" in source:  # most pages hide nothing
        doomed += [el for el in root.iter() if (style := el.get("style")) and _HIDDEN.search(style)]
    for el in root.iter("div", "ul", "section"):  # document order, as the XPath union it replaces
        klass, ident = el.get("class"), el.get("id")
        if klass is None and ident is None:
            continue
        attrs = (klass or "") + " " + (ident or "")
        if _FURNITURE_ATTR.search(attrs) and _is_leaf(el) and _own_weight(el) < 400:
            doomed.append(el)
    for el in doomed:
        _remove(el)


def _is_leaf(el) -> bool:
    """No table below ``el`` (``el.find(".//table") is None`` without ElementPath's Python layer)."""
    for _ in el.iterdescendants("table"):
        return False
    return True


def _text(el) -> str:
    """An element's text without its tail, serialised by libxml2 (C speed)."""
    return etree.tostring(el, method="text", encoding=str, with_tail=False)


def _own_weight(el) -> int:
    return len("".join(_text(el).split()))


def _weight(el) -> int:
    """Visible characters outside links: navigation is mostly links, a report body is not."""
    links = sum(_own_weight(a) for a in el.iter("a"))
    return _own_weight(el) - links


def _content_root(root):
    """The smallest element holding ≥75% of the page's non-link text, widened to its report tables."""
    body = root.find("body")
    if body is None:
        body = root
    node, node_weight = body, _weight(body)
    while node_weight > 0:
        children = [c for c in node if isinstance(c.tag, str)]
        if not children:
            break
        weights = [_weight(c) if c.tag in _CONTAINERS else 0 for c in children]
        best_weight = max(weights)
        best = children[weights.index(best_weight)]
        if best_weight < 0.75 * node_weight:
            break
        if best.tag == "table" and _is_leaf(best) and len(children) > 1:
            break  # a data table is part of the body, never the whole of it
        node, node_weight = best, best_weight
    for table in body.iter("table"):
        if _is_leaf(table) and _is_report_table(table):
            node = _common_ancestor(node, table)
    return node


def _is_report_table(table) -> bool:
    text = _text(table)
    return any(word in text for word in _REPORT_TABLE)


def _common_ancestor(a, b):
    lineage = {a, *a.iterancestors()}
    for el in (b, *b.iterancestors()):
        if el in lineage:
            return el
    return a


def _outside_title(root, body) -> str:
    """A report title in an <h1>/<h2> above the chosen body: keep it as the first line."""
    for el in root.iter("h1", "h2", "h3"):
        if el is not body and body not in set(el.iterancestors()):
            text = join_cjk("".join(el.itertext()))
            if "报告" in text or "報告" in text:
                return text
    return ""


class _Walker:
    """Flows the body into Line blocks and leaf tables into Table blocks, in document order."""

    __slots__ = ("blocks", "buf", "number", "tables")

    def __init__(self):
        self.blocks: list = []
        self.buf: list[str] = []
        self.number = 0  # paragraph ordinal in the page: the Line.number of an HTML line
        self.tables = 0

    def flush(self) -> None:
        if self.buf:
            text = join_cjk("".join(self.buf))
            self.buf = []
            if text:
                self.number += 1
                self.blocks.append(Line(text, self.number))

    def walk(self, el, depth: int) -> None:
        tag = el.tag
        block = tag in _BLOCK
        if block:
            self.flush()
        if tag == "table" and _is_leaf(el):
            self.table(el)
        elif depth > 150:  # hostile nesting: read what is left as text, never recurse without bound
            self.buf.append("".join(el.itertext()))
        else:
            if el.text:
                self.buf.append(el.text)
            for child in el:
                if isinstance(child.tag, str):
                    self.walk(child, depth + 1)
                if child.tail:
                    self.buf.append(child.tail)
        if block:
            self.flush()

    def table(self, el) -> None:
        caption = el.find("caption")
        if caption is not None:
            self.buf.append("".join(caption.itertext()))
            self.flush()
        budget.check(f"reading table {self.tables + 1}")
        table = _grid(el, self.tables)
        if table is not None:
            self.tables += 1
            self.blocks.append(table)


def _grid(el, index: int) -> Table | None:
    """common.GridBuilder's placement, inlined: the cells of a page are most of the reader's work.

    One token per origin cell at the first logical column not covered by a rowspan from above, after
    the previous cell's span; spans within budget.ROWSPAN, COLSPAN and SPAN_CELLS as in GridBuilder."""
    rows = []
    below: dict[int, set[int]] = {}  # row → logical columns covered by rowspans from rows above
    spanned = 0
    r = -1
    for tr in el.iter("tr"):
        r += 1
        covered = below.pop(r, None)
        row = []
        col = 0
        for td in tr.iterchildren("td", "th"):
            if covered:
                while col in covered:
                    col += 1
            rowspan = td.get("rowspan")
            rowspan = 1 if rowspan is None else int(rowspan) if rowspan.isdecimal() else _span(rowspan)
            colspan = td.get("colspan")
            colspan = 1 if colspan is None else int(colspan) if colspan.isdecimal() else _span(colspan)
            colspan = 1 if colspan < 1 else min(colspan, budget.COLSPAN)
            if rowspan > 1 and spanned <= budget.SPAN_CELLS:
                rowspan = min(rowspan, budget.ROWSPAN)
                spanned += rowspan * colspan  # past the budget, rowspans cover nothing more
                for dr in range(1, rowspan):
                    below.setdefault(r + dr, set()).update(range(col, col + colspan))
            text = _text(td)
            if not text.isalnum():  # "自然人", "0": no whitespace to collapse, skip the regex
                text = join_cjk(text)
            row.append(Token(text, Where(None, None, index, r, col)))  # table, row, col
            col += colspan
        if row:
            rows.append(tuple(row))
    return Table(rows=tuple(rows), index=index) if rows else None


def _span(value: str | None) -> int:
    if not value:
        return 1
    digits = re.match(r"\s*(\d+)", value)
    return max(1, int(digits.group(1))) if digits else 1


def _meta_hints(root) -> dict[str, str]:
    hints: dict[str, str] = {}
    title = root.find(".//title")
    metas = {}
    for meta in root.iter("meta"):
        key = (meta.get("name") or meta.get("property") or meta.get("itemprop") or "").strip().lower()
        content = (meta.get("content") or "").strip()
        if key and content and key not in metas:
            metas[key] = content
    candidates = [metas.get("articletitle", ""), "".join(title.itertext()) if title is not None else ""]
    for candidate in candidates:
        if candidate.strip():
            hints["title"] = _title(candidate)
            if "报告" in hints["title"] or "報告" in hints["title"]:
                break
    for key in _PUBLISHED_META:
        if key in metas and (date := iso_date(metas[key])):
            hints["published"] = date
            break
    for key in _ORGAN_META:
        organ = join_cjk(metas.get(key, ""))
        if _ORGAN.match(organ):
            hints["organ"] = organ
            break
    if "sitename" in metas:
        hints["site"] = join_cjk(metas["sitename"])
    return hints


def _title(text: str) -> str:
    """The part of "报告标题_栏目_网站名" that names the report."""
    text = join_cjk(text)
    parts = [p for p in _TITLE_SPLIT.split(text) if p]
    for part in parts:
        if "报告" in part or "報告" in part:
            return part
    return parts[0] if parts else text


def _text_hints(text: str, hints: dict[str, str]) -> None:
    """索引号 / 发布机构 / 发布日期 blocks, wherever the page put them (often outside the body)."""
    head = text[:6000]
    if "index_no" not in hints and (m := _INDEX_NO.search(head)):
        hints["index_no"] = m.group(1)
    if "organ" not in hints:
        for m in _PUBLISHER.finditer(head):
            organ = _NEXT_LABEL.split(join_cjk(m.group(1)), maxsplit=1)[0]  # cells may run together
            if _ORGAN.match(organ):
                hints["organ"] = organ
                break
    if "published" not in hints:
        found = sorted((_DATE_RANK[m.group(1)], m.start(), m.group(2)) for m in _PAGE_DATE.finditer(head))
        for _, _, raw in found:
            if date := iso_date(raw):
                hints["published"] = date
                break
