"""PDF → Document: each page's characters with boxes and its ruled grids, laid out by page.py; OCR for scans.

pypdfium2 gives characters with boxes and the vector paths (an order of magnitude faster than a pure-Python
PDF interpreter, which matters for corpus batches). Ruled tables are rebuilt from the paths by pdfgrid.py as
pdfplumber does: edges → intersections → cells → tables; a merged cell is one cell of the grid, so it yields
one token at its origin. A page with no text layer and an image is a scan: ocr.py reads its characters and
rules instead, and ``hints["ocr_pages"]`` lists it (issue #3 item 3).
"""

from __future__ import annotations

import re
import zlib

from .. import budget
from ..model import CorruptFile, Document, EmptyFile, TooLarge
from . import ocr
from .common import join_cjk
from .page import PageBlocks
from .pdfgrid import find_tables, page_edges

MAX_PAGES = budget.PAGES
_SKIP = frozenset((0, 0x20, 0x0D, 0x0A, 0xA0, 0x3000, 0xFFFE, 0xFEFF, 0x2002, 0x2003))


def read(data: bytes, name: str) -> Document:
    import pypdfium2 as pdfium  # imported here so text/HTML batches never load the PDF engine

    _check_streams(data, name)
    pdf = _open(pdfium, data, name)
    try:
        if len(pdf) > MAX_PAGES:
            raise TooLarge(name, f"PDF 页数过多 ({len(pdf)} 页), 不是年度报告 (too many pages)")
        pages = PageBlocks()
        scans = ocr.Scans(name)
        ocr_pages = [number for number in range(1, len(pdf) + 1) if _read_page(pdf, number, pages, scans)]
        hints = _hints(pdf)
    finally:
        pdf.close()
    blocks = pages.finish()
    if not blocks:
        raise EmptyFile(name, "PDF 没有可读的文字 (PDF without any text)")
    if ocr_pages:
        hints["ocr_pages"] = ",".join(str(p) for p in ocr_pages)
    return Document(blocks, source=name, kind="ocr" if ocr_pages else "pdf", hints=hints)


def _read_page(pdf, number: int, pages: PageBlocks, scans: ocr.Scans) -> bool:
    """Lay out page ``number`` (1-based) into ``pages``; True when it was a scan read by OCR."""
    import pypdfium2 as pdfium
    import pypdfium2.raw as raw

    budget.check(f"reading page {number}")
    try:
        page = pdf[number - 1]
    except pdfium.PdfiumError as exc:  # a damaged page object, a page tree that contains itself
        raise CorruptFile(
            scans.name, f"PDF 第 {number} 页已损坏，无法载入 (cannot load page {number}: {exc})"
        ) from None
    try:
        width, height = page.get_size()
        chars = _chars(page, raw, height)
        scanned = len(chars) < 8 and _has_image(page, raw)  # no text layer, one big image
        if scanned:
            if scans.pages == 0:  # the first scan: are there more than OCR can afford? Say so now, not after
                scans.expect(_count_scans(pdf, raw, number))
            chars, grids = scans.read_page(page, number)
        else:
            grids = find_tables(page_edges(page, raw, height))
        pages.add_page(chars, grids, number, height)
        return scanned
    finally:
        page.close()


_STREAM = re.compile(rb"(?<!end)stream\r?\n")
_NOT_DRAWING = re.compile(rb"/Subtype|/Length[123]|/Type\s*/XRef")  # images, fonts, the xref: not drawn


def _check_streams(data: bytes, name: str) -> None:
    """Refuse a PDF whose drawing operators inflate past budget.CONTENT_STREAM (or any stream past
    budget.INFLATED_STREAM) before pdfium expands them into objects: 55 KB of deflated "m l S" became
    2,000,000 paths, and more took over 10 GB (issue #15 item 7). Only deflated streams can explode."""
    view = memoryview(data)
    for match in _STREAM.finditer(data):
        head = data[max(0, match.start() - 400) : match.start()]
        head = head[head.rfind(b"<<") :]  # the stream's dictionary
        if b"/FlateDecode" not in head:
            continue
        cap = budget.INFLATED_STREAM if _NOT_DRAWING.search(head) else budget.CONTENT_STREAM
        end = data.find(b"endstream", match.end())
        inflater = zlib.decompressobj()
        try:
            size = len(inflater.decompress(view[match.end() : end if end > 0 else len(data)], cap + 1))
            while size <= cap and inflater.unconsumed_tail:
                size += len(inflater.decompress(inflater.unconsumed_tail, cap + 1 - size))
        except zlib.error:
            continue  # pdfium decides what a damaged stream is worth
        if size > cap:
            raise TooLarge(name, f"PDF 内容解压后过大 (> {cap >> 20} MB), 疑似恶意文件 (a stream inflates too far)")


def _count_scans(pdf, raw, first: int) -> int:
    """Pages from ``first`` on without a text layer and with an image (cheap: no characters read)."""
    import pypdfium2 as pdfium

    count = 0
    for number in range(first, len(pdf) + 1):
        try:
            page = pdf[number - 1]
        except pdfium.PdfiumError:
            continue  # a damaged page is reported when it is read, in order
        try:
            textpage = page.get_textpage()
            count += raw.FPDFText_CountChars(textpage.raw) < 8 and _has_image(page, raw)
            textpage.close()
        finally:
            page.close()
    return count


def _open(pdfium, data: bytes, name: str):
    try:
        return pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        text = str(exc)
        if "password" in text.lower():
            raise CorruptFile(name, "PDF 文件有密码保护, 无法读取 (password-protected or encrypted PDF)") from None
        if "security" in text.lower():
            raise CorruptFile(name, "PDF 文件使用了不支持的加密方式 (unsupported PDF encryption)") from None
        raise CorruptFile(name, f"PDF 文件已损坏或不完整 (corrupt or truncated PDF: {text})") from None


def _hints(pdf) -> dict[str, str]:
    try:
        title = (pdf.get_metadata_dict().get("Title") or "").strip()
    except Exception:  # damaged Info dictionaries must not cost the report its text
        return {}
    return {"title": join_cjk(title)} if ("报告" in title or "報告" in title) else {}


def _chars(page, raw, height: float) -> list[tuple[float, float, float, float, str, float]]:
    """(x0, top, x1, bottom, char, size) of every drawn character; whitespace is left to geometry."""
    textpage = page.get_textpage()
    try:
        n = raw.FPDFText_CountChars(textpage.raw)
        out = []
        for i in range(n):
            code = raw.FPDFText_GetUnicode(textpage.raw, i)
            if code in _SKIP:
                continue  # pdfium's generated characters are only spaces and line breaks
            if not raw.FPDFText_GetLooseCharBox(textpage.raw, i, _FS_RECT_BUF):
                continue
            x0, y1, x1, y0 = _FS_RECT_BUF.left, _FS_RECT_BUF.top, _FS_RECT_BUF.right, _FS_RECT_BUF.bottom
            out.append((x0, height - y1, x1, height - y0, chr(code), (y1 - y0) * 0.85))
        return out
    finally:
        textpage.close()


def _make_rect():
    import pypdfium2.raw as raw

    return raw.FS_RECTF()


_FS_RECT_BUF = _make_rect()


def _has_image(page, raw) -> bool:
    if raw.FPDFPage_CountObjects(page.raw) > budget.PAGE_OBJECTS:
        return False  # a scan is one image and a few objects; walking 400,000 paths took seconds
    return any(True for _ in page.get_objects(filter=(raw.FPDF_PAGEOBJ_IMAGE,), max_depth=2))
