"""Record → report documents: the generator of test reports and the authoring side of ogi.

``sample.make_record`` invents a consistent report (every cell of a format, meta, six sections),
``sample.inject`` breaks exactly one audit rule, and the renderers write a record the ways real
reports are published (spec §7): text layouts (``text``), Word-pasted or clean HTML (``html``),
DOCX with merged cells (``docx``), PDF and scanned PDF (``pdf``). ``RENDERERS`` names them all:
target name → a function writing the record as bytes under ``RenderOptions``. With ``official`` the
html, docx and pdf targets write the report an organ publishes instead (``official``: 党政机关公文格式).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ..model import Record
from .docx import render_docx
from .html import render_html
from .official import official_docx, official_html, official_pdf
from .pdf import render_pdf, render_scan
from .sample import INJECTABLE, inject, make_record, random_record
from .text import LAYOUTS, render_text


@dataclass(frozen=True, slots=True)
class RenderOptions:
    """How to write a report; each renderer reads the options that concern it and ignores the rest."""

    layout: str = "pipe"  # text: one of LAYOUTS
    traditional: bool = False  # text: in traditional characters (OpenCC s2t)
    pinyin: bool = False  # text: pinyin after the characters, as some mirror sites show
    word_pasted: bool = True  # html: a Word-pasted page rather than the clean official one
    misaligned: bool = False  # html: data rows' merged cells out of line with the header
    encoding: str = "utf-8"  # html: utf-8, gbk, gb2312 or gb18030
    seed: int | None = None  # the layout details drawn at random; None: derived from the record
    official: bool = False  # html/docx/pdf: the one official document (render/official.py), not an imitation
    draft: bool = False  # official: marked 草稿 (its tables may not add up yet)


@dataclass(frozen=True, slots=True)
class Renderer:
    write: Callable[[Record, RenderOptions], bytes]
    binary: bool  # goes to a file, never to a terminal


def _text(record: Record, o: RenderOptions) -> bytes:
    return render_text(record, o.layout, traditional=o.traditional, pinyin=o.pinyin, seed=o.seed).encode("utf-8")


def _html(record: Record, o: RenderOptions) -> bytes:
    if o.official:
        return official_html(record, draft=o.draft).encode("utf-8")
    return render_html(record, word_pasted=o.word_pasted, misaligned=o.misaligned, encoding=o.encoding, seed=o.seed)


def _docx(record: Record, o: RenderOptions) -> bytes:
    if o.official:
        return official_docx(record, draft=o.draft)
    return render_docx(record, seed=o.seed)


def _pdf(record: Record, o: RenderOptions) -> bytes:
    return official_pdf(record, draft=o.draft) if o.official else render_pdf(record)


def _scan(record: Record, _: RenderOptions) -> bytes:
    return render_scan(record)


RENDERERS: dict[str, Renderer] = {
    "text": Renderer(_text, binary=False),
    "html": Renderer(_html, binary=False),
    "docx": Renderer(_docx, binary=True),
    "pdf": Renderer(_pdf, binary=True),
    "scan": Renderer(_scan, binary=True),
}

__all__ = [
    "INJECTABLE",
    "LAYOUTS",
    "RENDERERS",
    "RenderOptions",
    "Renderer",
    "inject",
    "make_record",
    "random_record",
    "render_text",
]
