"""Record → PDF the way organs make them: a Word document printed to PDF by an office suite (issue #10).

Most published reports are DOCX files exported to PDF from Word or WPS, whose text layer differs from
WeasyPrint's (``pdf.py``): CRLF and odd line breaks, table cells split over lines, headings as lines of
their own. LibreOffice headless does the export here; ``office_pdfs`` converts a batch in one start.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path

from ..model import Record
from .docx import render_docx

TIMEOUT = 600  # seconds for a whole batch: a report converts in well under a second once LibreOffice runs


def soffice() -> str | None:
    """LibreOffice's command, or None when it is not installed (Debian: libreoffice-writer)."""
    return shutil.which("soffice") or shutil.which("libreoffice")


def office_pdfs(documents: Sequence[bytes]) -> list[bytes]:
    """DOCX files → PDF files, in order, by one LibreOffice run (raises RuntimeError without LibreOffice)."""
    binary = soffice()
    if binary is None:
        raise RuntimeError("LibreOffice (soffice) is not installed")
    with tempfile.TemporaryDirectory(prefix="ogi-render-office-") as tmp:
        folder = Path(tmp)
        names = []
        for i, data in enumerate(documents):
            path = folder / f"report-{i:05d}.docx"
            path.write_bytes(data)
            names.append(path)
        command = [
            binary,
            f"-env:UserInstallation={(folder / 'profile').as_uri()}",  # a private profile: no shared lock
            "--headless",
            "--norestore",
            "--convert-to",
            "pdf",
            "--outdir",
            str(folder / "pdf"),
            *map(str, names),
        ]
        subprocess.run(command, capture_output=True, timeout=TIMEOUT, stdin=subprocess.DEVNULL, check=True)
        return [(folder / "pdf" / f"{path.stem}.pdf").read_bytes() for path in names]


def render_office_pdf(record: Record, *, seed: int | None = None) -> bytes:
    """One record as an organ's PDF: its DOCX exported by LibreOffice."""
    return office_pdfs([render_docx(record, seed=seed)])[0]
