""".doc / .wps / .xls / .rtf / .odt / .ods → DOCX or XLSX with LibreOffice headless, then read (issue #3 item 2).

Old binary Office files (OLE2) and WPS files are converted in a private temporary profile, so parallel
conversions never share LibreOffice's lock; the result goes through docx.py / xlsx.py. Without
LibreOffice the message says what to install. Encrypted OOXML (an OLE2 file holding "EncryptedPackage")
is refused at once: no converter can open it without the password.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

from ..model import CorruptFile, Document, UnsupportedFormat

TIMEOUT = 120  # seconds; a report converts in 1–3 s, a hang (password dialog, broken file) must not stop a batch


def _stream(name: str) -> bytes:
    return name.encode("utf-16-le")


def kind_of(data: bytes) -> str:
    """doc, xls, encrypted, ppt, rtf, odt or ods, from the OLE2 directory names or the container."""
    if data.startswith(b"{\\rtf"):
        return "rtf"
    if data.startswith(b"PK"):
        head = data[:200]
        return "ods" if b"opendocument.spreadsheet" in head else "odt"
    window = data[: 4 * 1024 * 1024]
    if _stream("EncryptedPackage") in window:
        return "encrypted"
    if _stream("WordDocument") in window:
        return "doc"
    if _stream("Workbook") in window or _stream("Book") in window:
        return "xls"
    if _stream("PowerPoint Document") in window:
        return "ppt"
    return "doc"


def soffice() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


def read(data: bytes, name: str) -> Document:
    kind = kind_of(data)
    if kind == "encrypted":
        raise CorruptFile(name, "Office 文件已加密或有密码保护, 无法读取 (encrypted / password-protected Office file)")
    if kind == "ppt":
        raise UnsupportedFormat(name, "不支持演示文稿 (PowerPoint files are not reports)")
    binary = soffice()
    if binary is None:
        raise UnsupportedFormat(
            name,
            "读取 .doc/.wps/.xls 文件需要 LibreOffice, 请安装 libreoffice-writer-nogui 和 libreoffice-calc-nogui, "
            "或将文件另存为 DOCX/XLSX (LibreOffice is not installed: apt-get install libreoffice-writer-nogui libreoffice-calc-nogui)",  # noqa: E501 - one message / one line of markup
        )
    spreadsheet = kind in ("xls", "ods")
    target = "xlsx" if spreadsheet else "docx"
    converted = _convert(
        binary, data, {"rtf": "rtf", "odt": "odt", "ods": "ods", "xls": "xls"}.get(kind, "doc"), target, name
    )
    if spreadsheet:
        from .xlsx import read as read_converted  # the one reader needed, loaded on use like READERS
    else:
        from .docx import read as read_converted  # the one reader needed, loaded on use like READERS
    document = read_converted(converted, name)
    document.kind = "xls" if spreadsheet else "doc"
    return document


def _convert(binary: str, data: bytes, suffix: str, target: str, name: str) -> bytes:
    with tempfile.TemporaryDirectory(prefix="ogi-office-") as tmp:
        folder = Path(tmp)
        source = folder / f"input.{suffix}"
        source.write_bytes(data)
        command = [
            binary,
            f"-env:UserInstallation={(folder / 'profile').as_uri()}",
            "--headless",
            "--norestore",
            "--nolockcheck",
            "--convert-to",
            target,
            "--outdir",
            str(folder),
            str(source),
        ]
        try:
            subprocess.run(command, capture_output=True, timeout=TIMEOUT, stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired:
            raise CorruptFile(
                name, f"LibreOffice 转换超时 (conversion took more than {TIMEOUT} s: password-protected or damaged?)"
            ) from None
        result = folder / f"input.{target}"
        if not result.exists() or result.stat().st_size == 0:
            raise CorruptFile(
                name,
                "LibreOffice 无法转换此文件: 文件已损坏或有密码保护 (LibreOffice could not convert the file: corrupt or password-protected)",  # noqa: E501 - one message / one line of markup
            )
        return result.read_bytes()
