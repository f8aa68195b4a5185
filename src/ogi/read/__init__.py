"""bytes → Document: the plug-in point for input formats (architecture: one ``read(data, name)`` per kind).

The kind of file is sniffed from its content, never from its name (issue #3). A reader raises a
``ReadError`` subclass naming the file and the problem; nothing else escapes.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path

from ..model import Document, EmptyFile, ReadError, TooLarge, UnsupportedFormat
from . import text

MAX_BYTES = 64 * 1024 * 1024  # a real report is under 20 MB; anything bigger is refused, not parsed

Reader = Callable[[bytes, str], Document]
READERS: dict[str, Reader] = {"text": text.read}


def sniff(data: bytes) -> str:
    """The kind of a file from its first bytes: text, html, docx, xlsx, pdf, doc, image or binary."""
    head = data[:2048]
    if head.startswith(b"%PDF"):
        return "pdf"
    if head.startswith(b"PK\x03\x04"):
        if b"word/" in data[:65536] or b"[Content_Types].xml" in head and b"word" in data[:65536]:
            return "docx"
        if b"xl/" in data[:65536]:
            return "xlsx"
        return "zip"
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        return "doc"  # OLE2: .doc / .wps / .xls
    if head[:8] in (b"\x89PNG\r\n\x1a\n",) or head[:3] == b"\xff\xd8\xff" or head[:4] in (b"II*\x00", b"MM\x00*"):
        return "image"
    lowered = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if lowered.startswith((b"<!doctype html", b"<html", b"<?xml", b"<head", b"<meta", b"<body", b"<div", b"<table", b"<p")):
        return "html"
    if b"<table" in data[:200000].lower() and b"</t" in data[:200000].lower():
        return "html"
    if _looks_binary(head):
        return "binary"
    return "text"


def _looks_binary(head: bytes) -> bool:
    if b"\x00" in head and not (head.startswith((b"\xff\xfe", b"\xfe\xff"))):
        return True
    control = sum(1 for b in head if b < 9 or 13 < b < 32)
    return control > max(8, len(head) // 20)


def read(source: str | Path | bytes, name: str = "") -> Document:
    """Read a file (path or bytes) into a Document; raise a ReadError that names the file."""
    if isinstance(source, (str, Path)):
        path = Path(source)
        name = name or str(path)
        try:
            size = path.stat().st_size
        except OSError as exc:
            raise ReadError(name, f"无法打开文件 (cannot open: {exc.strerror or exc})") from None
        if size > MAX_BYTES:
            raise TooLarge(name, f"文件过大 ({size / 1e6:.0f} MB > {MAX_BYTES // 2**20} MB)")
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise ReadError(name, f"无法读取文件 (cannot read: {exc.strerror or exc})") from None
    else:
        data = source
    return read_bytes(data, name or "<bytes>")


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
