"""bytes → Document: the plug-in point for input formats (architecture: one ``read(data, name)`` per kind).

The kind of file is sniffed from its content, never from its name (issue #3). A reader raises a
``ReadError`` subclass naming the file and the problem; nothing else escapes.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import stat
import zipfile
from collections.abc import Callable
from importlib import import_module
from io import BytesIO
from pathlib import Path

from .. import budget
from ..model import CorruptFile, Document, EmptyFile, Line, OgiError, ReadError, TooLarge, UnsupportedFormat
from . import text

MAX_BYTES = budget.BYTES  # a real report is under 20 MB; anything bigger is refused, not parsed
# Set (to 1) by the test suite: an exception raised in ogi's own code propagates instead of becoming a
# ReadError, so a bug fails its test rather than looking like a damaged file.
STRICT_ENV = "OGI_STRICT_READERS"
log = logging.getLogger(__name__)

Reader = Callable[[bytes, str], Document]


def _lazy(module: str, function: str = "read") -> Reader:
    """A reader imported on first use: reading text never pays for lxml, pdfium or python-docx."""

    def reader(data: bytes, name: str) -> Document:
        return getattr(import_module(f".{module}", __name__), function)(data, name)

    reader.__qualname__ = f"{module}.{function}"
    return reader


READERS: dict[str, Reader] = {
    "text": text.read,
    "html": _lazy("html"),
    "mht": _lazy("html", "read_mht"),
    "docx": _lazy("docx"),
    "xlsx": _lazy("xlsx"),
    "pdf": _lazy("pdf"),
    "doc": _lazy("office"),  # .doc/.wps/.xls/.rtf/.odt through LibreOffice headless
    "odf": _lazy("office"),
    "image": _lazy("ocr"),
}

_IMAGE_MAGIC = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"II*\x00", b"MM\x00*", b"GIF87a", b"GIF89a", b"BM")


def sniff(data: bytes) -> str:
    """The kind of a file from its content: text, html, mht, docx, xlsx, odf, pdf, doc, image, zip or binary."""
    head = data[:2048]
    if b"%PDF-" in head[:1024]:
        return "pdf"  # the PDF header may follow up to 1 KB of junk
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return _sniff_zip(data)
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        return "doc"  # OLE2: .doc / .wps / .xls, and encrypted OOXML
    if head.startswith(b"{\\rtf"):
        return "doc"
    if head.startswith(_IMAGE_MAGIC) or (head[:4] == b"RIFF" and head[8:12] == b"WEBP"):
        return "image"
    lowered = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if (
        lowered.startswith((b"mime-version:", b"content-type: multipart/related"))
        or b"multipart/related" in lowered[:600]
    ):
        return "mht"  # Word's "single file web page"
    if lowered.startswith(
        (b"<!doctype html", b"<html", b"<?xml", b"<head", b"<meta", b"<body", b"<div", b"<table", b"<p")
    ):
        return "html"
    window = data[:200000].lower()
    if b"<table" in window and b"</t" in window:
        return "html"
    if _looks_binary(head):
        return "binary"
    return "text"


def _sniff_zip(data: bytes) -> str:
    try:
        names = zipfile.ZipFile(BytesIO(data)).namelist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError):
        # Truncated archives lose their central directory (and a damaged one names a "zip file version
        # 24.0"): fall back to the local headers.
        if b"word/" in data[:65536]:
            return "docx"
        return "xlsx" if b"xl/" in data[:65536] else "zip"
    if "word/document.xml" in names or any(n.startswith("word/") for n in names):
        return "docx"
    if "xl/workbook.xml" in names or any(n.startswith("xl/") for n in names):
        return "xlsx"
    if "content.xml" in names and "mimetype" in names:
        return "odf"
    return "zip"


_CONTROL = bytes([*range(0, 9), *range(14, 32)])


def _looks_binary(head: bytes) -> bool:
    # A stray NUL or two is a flipped bit in a text (issue #15 item 15); binary formats are full of them.
    if head.count(b"\x00") > 2 and not (head.startswith((b"\xff\xfe", b"\xfe\xff"))):
        return True
    control = len(head) - len(head.translate(None, _CONTROL))
    return control > max(8, len(head) // 20)


def read(source: str | Path | bytes, name: str = "") -> Document:
    """Read a file (path or bytes) into a Document; raise a ReadError that names the file."""
    if isinstance(source, (str, Path)):
        name = name or str(source)
        data = read_file(source, name)
    else:
        data = source
    return read_bytes(data, name or "<bytes>")


def read_file(path: str | Path, name: str = "") -> bytes:
    """A regular file's bytes, at most MAX_BYTES of them counted as read (``stat`` lies for /dev/zero and
    /proc files); a FIFO, device or socket is refused before it is opened (opening a FIFO would block)."""
    name = name or str(path)
    try:
        # Opened without blocking (a FIFO would wait for a writer), then asked what it is: one lookup, no race.
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        with open(fd, "rb") as f:
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                raise ReadError(name, "不是普通文件（管道、设备或套接字），不予读取 (not a regular file)")
            data = f.read(MAX_BYTES + 1)
    except OSError as exc:
        raise ReadError(name, f"无法读取文件 (cannot read: {exc.strerror or exc})") from None
    if len(data) > MAX_BYTES:
        raise TooLarge(name, f"文件过大 (> {MAX_BYTES // 2**20} MB)")
    return data


def read_stream(stream, name: str) -> bytes:
    """Standard input or another stream, read up to MAX_BYTES (more is refused, not read to the end)."""
    data = stream.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise TooLarge(name, f"输入过大 (> {MAX_BYTES // 2**20} MB)")
    return data


def read_bytes(data: bytes, name: str) -> Document:
    if len(data) > MAX_BYTES:
        raise TooLarge(name, f"文件过大 ({len(data) / 1e6:.0f} MB)")
    if not data.strip():
        raise EmptyFile(name, "文件为空 (empty file)")
    kind = sniff(data)
    reader = READERS.get(kind)
    if reader is None:
        raise UnsupportedFormat(name, _unsupported_message(kind))
    clock = budget.start(name)
    try:
        document = reader(data, name)
    except OgiError:
        raise
    except Exception as exc:  # the safety net at the reader boundary (issue #15 item 6)
        raise _unexpected(exc, kind, name) from exc
    finally:
        budget.stop(clock)
    _bound_digit_runs(document)
    document.source = name
    document.sha256 = hashlib.sha256(data).hexdigest()
    document.kind = document.kind or kind
    return document


# A run of digits longer than any number or flattened table row (budget.DIGIT_RUN). Every later stage
# reads digit runs (values, the run-together solver), and 30 MB of digits took 6.2 GB and 116 s there
# (issue #15 item 7): such a run is marked unreadable here, once, for every kind of file.
_LONG_DIGITS = re.compile(rf"\d{{{budget.DIGIT_RUN + 1},}}")
UNREADABLE_RUN = "\ufffd"


def _bound_digit_runs(document: Document) -> None:
    if document.text is not None:
        if _LONG_DIGITS.search(document.text) is None:
            return
        document.text = _LONG_DIGITS.sub(UNREADABLE_RUN, document.text)
    for block in document.blocks:
        if isinstance(block, Line):
            if _LONG_DIGITS.search(block.text):
                block.text = _LONG_DIGITS.sub(UNREADABLE_RUN, block.text)
        else:
            for row in block.rows:
                for token in row:
                    if len(token.text) > budget.DIGIT_RUN and _LONG_DIGITS.search(token.text):
                        token.text = _LONG_DIGITS.sub(UNREADABLE_RUN, token.text)


_OGI_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _unexpected(exc: Exception, kind: str, name: str) -> ReadError:
    """An exception a reader did not map: a third-party parser's becomes CorruptFile naming the file; one
    raised in ogi's own code is ogi's failure, never the organ's, so it is a ReadError saying so (and
    re-raised as it is when STRICT_ENV is set, as in the tests)."""
    if isinstance(exc, MemoryError):  # whoever raised it, the file asked for more than the machine has
        return TooLarge(name, f"读取时内存不足，文件过于复杂 (out of memory reading {kind})")
    frames = _frames(exc.__traceback__)
    # A library's own exception class (lxml, pdfium, zipfile …), or any exception whose innermost frame is
    # in a library, comes from the file; a built-in exception raised in ogi's code is a bug of ogi's.
    foreign_type = type(exc).__module__ not in ("builtins",) and not type(exc).__module__.startswith("ogi")
    ours = not foreign_type and bool(frames) and frames[-1].startswith(_OGI_DIR)
    if ours and os.environ.get(STRICT_ENV):
        raise exc
    log.log(logging.ERROR if ours else logging.DEBUG, "reading %s failed", name, exc_info=exc)
    detail = f"{type(exc).__name__}: {str(exc)[:200]}"
    if ours:
        return ReadError(name, f"ogi 读取此文件时出错（程序缺陷，不是文件的问题，请报告） (ogi failed: {detail})")
    library = type(exc).__module__.split(".")[0] if foreign_type else _library(frames[-1]) if frames else kind
    return CorruptFile(name, f"文件已损坏，{library} 无法解析 (corrupt {kind} file: {detail})")


def _library(path: str) -> str:
    """The top-level package a file belongs to ("…/site-packages/openpyxl/reader/excel.py" → "openpyxl")."""
    parts = path.split(os.sep)
    if "site-packages" in parts[:-1]:
        return parts[parts.index("site-packages") + 1]
    return os.path.splitext(os.path.basename(path))[0]  # the standard library: "zipfile"


def _frames(tb) -> list[str]:
    """The file of each frame of a traceback, innermost last."""
    files = []
    while tb is not None:
        files.append(os.path.abspath(tb.tb_frame.f_code.co_filename))
        tb = tb.tb_next
    return files


def _unsupported_message(kind: str) -> str:
    return {
        "binary": "不是文本或可识别的文档格式 (binary data, not a report)",
        "zip": "压缩包不是 Word 或 Excel 文档 (zip archive that is not DOCX/XLSX)",
    }.get(kind, f"暂不支持此文件类型: {kind} (no reader for {kind} files installed)")
