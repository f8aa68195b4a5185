"""bytes → Document: the plug-in point for input formats (architecture: one ``read(data, name)`` per kind).

The kind of file is sniffed from its content, never from its name (issue #3). A reader raises a
``ReadError`` subclass naming the file and the problem; nothing else escapes.
"""

from __future__ import annotations

import hashlib
import os
import stat
import zipfile
from collections.abc import Callable
from importlib import import_module
from io import BytesIO
from pathlib import Path

from ..model import Document, EmptyFile, ReadError, TooLarge, UnsupportedFormat
from . import text

MAX_BYTES = 64 * 1024 * 1024  # a real report is under 20 MB; anything bigger is refused, not parsed

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
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        # Truncated archives lose their central directory: fall back to the local headers.
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
    if b"\x00" in head and not (head.startswith((b"\xff\xfe", b"\xfe\xff"))):
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
    document = reader(data, name)
    document.source = name
    document.sha256 = hashlib.sha256(data).hexdigest()
    document.kind = document.kind or kind
    return document


def _unsupported_message(kind: str) -> str:
    return {
        "binary": "不是文本或可识别的文档格式 (binary data, not a report)",
        "zip": "压缩包不是 Word 或 Excel 文档 (zip archive that is not DOCX/XLSX)",
    }.get(kind, f"暂不支持此文件类型: {kind} (no reader for {kind} files installed)")
