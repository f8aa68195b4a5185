"""What a report being written holds before it becomes a workbook or a record: the ``Draft`` a template
starts from, the six sections' text boxes and the marker that names ogi's own workbook.

Kept apart from ``template`` (which builds the workbook with openpyxl) so that the parser can recognise a
filled template, and the web form can lay out its text boxes, without importing openpyxl.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .. import forms
from .. import grid as g
from ..model import Meta, Record, Section, Template
from .prefill import Prefill

MARKER = "ogi-template"  # A1 of the hidden sheet: how a workbook is known as ours
VERSION = "1"
MAP_SHEET = "ogi"
_NUMERALS = "一二三四五六"
# The 2021 format's 总体情况 has five sub-parts (国办公开办函〔2021〕30号); the 2019 one has none.
SUBPARTS_2021 = ("(一)主动公开", "(二)依申请公开", "(三)政府信息管理", "(四)平台建设", "(五)监督保障")


@dataclass
class Draft:
    """What a template starts from: the format, the report's meta, prefilled cells and section texts."""

    template: Template
    meta: Meta
    prefills: dict[str, Prefill] = field(default_factory=dict)
    texts: dict[str, str] = field(default_factory=dict)  # text key (s1, s1.1 … s6) → text
    cells: Mapping[str, Any] = field(default_factory=dict)  # decides table 3's rows (forms.t3_rows)


def text_slots(template: Template) -> list[tuple[str, str]]:
    """(key, heading) of every text box of 正文: the six sections, and the 2021 sub-parts of 总体情况."""
    slots = []
    for d in forms.SECTIONS:
        slots.append((f"s{d.number}", f"{_NUMERALS[d.number - 1]}、{d.title}"))
        if d.number == 1 and template == "2021":
            slots += [(f"s1.{i}", part.translate(g.FULLWIDTH)) for i, part in enumerate(SUBPARTS_2021, 1)]
    return slots


def texts_of(record: Record) -> dict[str, str]:
    """A record's section texts under the keys of ``text_slots`` (the whole of 总体情况 goes in s1)."""
    return {f"s{s.number}": s.text for s in record.sections if s.text}


def sections_of(template: Template, texts: Mapping[str, str]) -> list[Section]:
    """The six sections from the texts of 正文; 总体情况's sub-parts follow its lead paragraph under their heads."""
    sections = []
    for d in forms.SECTIONS:
        parts = [texts.get(f"s{d.number}", "").strip()]
        if d.number == 1 and template == "2021":
            for i, head in enumerate(SUBPARTS_2021, 1):
                if body := texts.get(f"s1.{i}", "").strip():
                    parts += [head.translate(g.FULLWIDTH), body]
        heading = f"{_NUMERALS[d.number - 1]}、{d.title}"
        sections.append(Section(number=d.number, heading=heading, text="\n".join(p for p in parts if p)))
    return sections
