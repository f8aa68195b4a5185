"""Record → PDF (WeasyPrint from the clean HTML) and a scanned PDF of page images (issue #3 item 3).

WeasyPrint needs Debian's pango libraries and a CJK font (fonts-wqy-zenhei, see .ci/apt-test.txt); it is
lighter than LibreOffice and renders the tables' spans faithfully, letting table 3 run over a page
break as real PDFs do. ``render_scan`` rasterises those pages with pypdfium2 and wraps the images
in a PDF without a text layer, the input OCR has to read.
"""

from __future__ import annotations

import io
import subprocess
from functools import lru_cache

from ..model import OgiError, Record
from .html import clean_html

FONT_PACKAGE = "fonts-wqy-zenhei"


class RenderUnavailable(OgiError):
    """A library or font the renderer needs is not installed; the message says what to install."""


@lru_cache(maxsize=1)
def _cjk_font_missing() -> bool:
    """Without a CJK font WeasyPrint draws empty boxes, silently: look before rendering."""
    try:
        listed = subprocess.run(["fc-list", ":lang=zh", "family"], capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.SubprocessError):
        return False  # no fontconfig tools: cannot tell, let WeasyPrint try
    return listed.returncode == 0 and not listed.stdout.strip()


def render_pdf(record: Record) -> bytes:
    return pdf_from_html(clean_html(record))


def pdf_from_html(html: str) -> bytes:
    """Any page of ogi's (a report, a review letter) as PDF; a Chinese message naming what is missing."""
    try:
        import weasyprint
    except (ImportError, OSError) as exc:  # OSError: pango missing from the system
        raise RenderUnavailable(
            "PDF", f"无法生成 PDF：需要 weasyprint 及系统库 libpango-1.0-0、libpangoft2-1.0-0 ({exc})"
        ) from None
    if _cjk_font_missing():
        raise RenderUnavailable(
            "PDF", f"无法生成 PDF：系统没有中文字体，请安装 {FONT_PACKAGE}（apt-get install {FONT_PACKAGE}）"
        )
    return weasyprint.HTML(string=html).write_pdf()


def render_scan(record: Record, *, dpi: int = 150, pdf: bytes | None = None) -> bytes:
    """A PDF whose pages are images of the rendered report (grey, no text layer)."""
    import pypdfium2 as pdfium

    source = pdfium.PdfDocument(pdf if pdf is not None else render_pdf(record))
    try:
        images = [page.render(scale=dpi / 72, grayscale=True).to_pil().convert("L") for page in source]
    finally:
        source.close()
    out = io.BytesIO()
    images[0].save(out, format="PDF", save_all=True, append_images=images[1:], resolution=float(dpi))
    return out.getvalue()


def pdf_text(data: bytes) -> str:
    """The text layer of a PDF (pypdfium2), for checks and tests."""
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(data)
    try:
        return "\n".join(page.get_textpage().get_text_range() for page in document)
    finally:
        document.close()
