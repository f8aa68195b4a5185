"""The data model every stage of ogi shares (spec §4, §5, §8).

Reader output (internal, cheap): ``Document`` made of ``Line`` and ``Table`` blocks; a ``Table`` is rows of
``Token`` (one source cell each). Everything that crosses a boundary (CLI JSON, store, API, exports) is
pydantic: ``Record`` = ``Meta`` + section texts + ``Cell`` per canonical key + ``Finding`` list.

The error tree (batch code catches ``OgiError``, never ``Exception``)::

    OgiError
    ├── ReadError            the bytes cannot be turned into a Document
    │   ├── EmptyFile
    │   ├── UnsupportedFormat   binary junk, unknown container, missing converter
    │   ├── CorruptFile         broken zip/xref, encrypted, password-protected
    │   ├── TooLarge
    │   └── UndecodableText
    ├── NotAReport           readable, but none of the statutory tables or sections is there
    ├── NotFound             no such report, finding, organ or account (the web app answers 404)
    ├── InvalidInput         a value a user gave is not acceptable (the web app answers 422)
    └── StoreError           the corpus could not read or record something (a database failure)
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from enum import Enum
from functools import lru_cache
from typing import Literal

from pydantic import BaseModel, Field, TypeAdapter, computed_field

Template = Literal["2019", "2021"]


class State(str, Enum):
    """What the source shows in a cell's place (spec §5)."""

    number = "number"  # a number was read
    blank = "blank"  # empty, &nbsp;, "—", "-", "/" : the organ wrote nothing
    not_applicable = "not_applicable"  # "无", "不适用", "/" in a column that does not apply
    missing = "missing"  # the row or column is not in the source at all
    unreadable = "unreadable"  # something is there, but not a number we can trust (e.g. "3件多")


class Origin(str, Enum):
    """How a cell's value was obtained; anything other than ``source`` deserves a reviewer's look."""

    source = "source"  # read directly from a cell of the source
    inferred = "inferred"  # recovered with the tables' identities (damaged text, spec §7)
    ocr = "ocr"  # read by OCR from an image
    corrected = "corrected"  # changed by a reviewer


class Severity(str, Enum):
    error = "error"
    warning = "warning"
    info = "info"


SEVERITY_ZH = {Severity.error: "错误", Severity.warning: "警告", Severity.info: "提示"}
# A reviewer's verdict on a finding; the page, the API and every export use these words. A finding the reviewer
# rejects "不成立" (reviewers say 退回 of a whole report sent back, never of a finding).
REVIEW_STATUSES = ("open", "confirmed", "dismissed")
REVIEW_STATUS_ZH = {"open": "待审核", "confirmed": "已确认", "dismissed": "不成立"}
# A verdict whose finding a correction (or a new reading) made go away: kept, and said so.
RESOLVED_ZH = "已因更正而解决"
# Where a whole report stands in the review campaign: 待审 → 审核中 → 退回整改 / 通过.
REPORT_STATUSES = ("pending", "reviewing", "returned", "passed")
REPORT_STATUS_ZH = {"pending": "待审", "reviewing": "审核中", "returned": "退回整改", "passed": "通过"}
STATE_ZH = {
    State.number: "数字",
    State.blank: "空白",
    State.not_applicable: "不适用",
    State.missing: "缺失",
    State.unreadable: "无法识别",
}


# A plain dataclass rather than a pydantic model: readers make one per source cell, tens of thousands
# per second in a batch; pydantic still validates and serialises it inside ``Record``. Not frozen: a
# frozen dataclass is three times slower to build.
@dataclass(slots=True)
class Where:
    """Where a value came from: lines for text, page and box for PDF, table row/column for grids."""

    line: int | None = None  # 1-based line of the original input
    page: int | None = None  # 1-based page (PDF)
    table: int | None = None  # 0-based index of the source table (HTML/DOCX/PDF grid)
    row: int | None = None  # 0-based row in that table, or in the pipe row
    col: int | None = None  # 0-based column (logical, after expanding spans)
    box: tuple[float, float, float, float] | None = None  # x0, top, x1, bottom on the page


# A slotted dataclass rather than a pydantic model: extraction builds about 200 per report, and
# pydantic's per-instance validation was a fifth of the whole parse. Pydantic still validates,
# serialises and describes it as a field of ``Record``; ``Cell.validate`` / ``cell.dump`` do the same
# for a single cell.
@dataclass(slots=True)
class Cell:
    """One statutory cell under its canonical key (spec §4)."""

    key: str
    value: int | Decimal | None = None
    state: State = State.missing
    unit: str | None = None  # as written in the cell ("元", "万元"); never converted silently
    raw: str = ""  # the text of the source cell, after normalisation
    where: Where | None = None
    origin: Origin = Origin.source
    candidates: list[int | Decimal] = field(
        default_factory=list
    )  # readings a damaged source allows, best first; never a value

    @classmethod
    def validate(cls, data: dict) -> Cell:
        """A cell from JSON-like data, with pydantic's checks and coercions ("number" → State.number)."""
        return _cell_adapter().validate_python(data)

    def dump(self, mode: str = "python") -> dict:
        return _cell_adapter().dump_python(self, mode=mode)


@lru_cache(maxsize=1)
def _cell_adapter() -> TypeAdapter[Cell]:
    return TypeAdapter(Cell)


class Meta(BaseModel):
    organ: str | None = None  # 发布机构 / the organ whose report this is
    year: int | None = None  # the year reported on
    template: Template | None = None  # format detected from the content, never from the year
    published: dt.date | None = None  # 发文日期 / signature date
    index_no: str | None = None  # 索引号
    title: str | None = None
    is_government: bool = False  # a 人民政府's own report: deadline 3月31日 instead of 1月31日
    source: str = ""  # path or name of the input
    sha256: str = ""
    kind: str = "text"  # what the reader read: text, html, docx, pdf, xlsx, ocr
    traditional: bool = False  # the source was written in traditional characters
    pinyin_removed: int = 0  # injected pinyin annotations removed by normalisation


class Section(BaseModel):
    """One of the six sections: the heading as written and the text under it."""

    number: int  # 1..6
    heading: str = ""
    text: str = ""
    line: int | None = None
    standard: bool = True  # heading wording is the official one or an accepted variant


# What a finding is about: the report's own error ("审核发现"), or what ogi could not read ("读取问题",
# for the reviewer to check against the source; never counted as the organ's error, issue #10).
FindingKind = Literal["finding", "reading"]
KIND_ZH = {"finding": "审核发现", "reading": "读取问题"}


class Finding(BaseModel):
    rule: str
    severity: Severity
    kind: FindingKind = "finding"
    keys: list[str] = Field(default_factory=list)
    expected: str | None = None
    found: str | None = None
    message: str  # Chinese, for reviewers
    message_en: str = ""

    @computed_field  # type: ignore[prop-decorator]
    @property
    def cells(self) -> list[str]:
        """The cells the finding is about, under the name the output contract gives them (spec §8): ``keys``."""
        return self.keys


class Extra(BaseModel):
    """A row or column in the source that the official format does not have (FORMAT-COMPLETE)."""

    table: int
    label: str
    values: list[str] = Field(default_factory=list)
    where: Where | None = None


class Record(BaseModel):
    """The canonical record of one report: what every later stage (audit, store, serve) reads."""

    meta: Meta = Field(default_factory=Meta)
    sections: list[Section] = Field(default_factory=list)
    cells: dict[str, Cell] = Field(default_factory=dict)
    extras: list[Extra] = Field(default_factory=list)
    problems: list[Finding] = Field(default_factory=list)  # 读取问题: what ogi could not read (kind "reading")
    findings: list[Finding] = Field(default_factory=list)  # 审核发现: what the report gets wrong (kind "finding")
    parser_version: str = ""

    def value(self, key: str) -> int | Decimal | None:
        cell = self.cells.get(key)
        return cell.value if cell is not None else None

    def section(self, number: int) -> Section | None:
        return next((s for s in self.sections if s.number == number), None)

    @classmethod
    def from_contract(cls, data: object, name: str) -> Record:
        """The JSON of ``ogi parse --format json`` (spec §8), or a dumped Record, back into a Record."""
        if isinstance(data, list):
            if len(data) != 1:
                raise InvalidInput(name, f"包含 {len(data)} 份记录，请每次渲染一份")
            data = data[0]
        if not isinstance(data, dict) or not isinstance(data.get("cells"), dict):
            raise InvalidInput(name, "不是 ogi parse --format json 输出的报告记录（缺少 cells）")
        raw_meta = dict(data.get("meta") or {})
        raw_meta.setdefault("organ", raw_meta.get("agency"))
        try:
            meta = Meta.model_validate({k: v for k, v in raw_meta.items() if k in Meta.model_fields})
            detail = data.get("detail") or {}
            cells = {}
            for key, value in data["cells"].items():
                if isinstance(value, dict):  # a dumped Record: cells are full objects
                    cells[key] = Cell.validate({**value, "key": key})
                elif key in detail:
                    cells[key] = Cell.validate({**detail[key], "key": key})
                else:
                    cells[key] = Cell(key=key, value=value, state=State.number if value is not None else State.blank)
            sections = [Section.model_validate(s) for s in data.get("sections") or []]
        except ValueError as exc:  # pydantic.ValidationError is a ValueError
            raise InvalidInput(name, f"记录内容不合规：{exc}") from None
        if meta.template is None:
            meta.template = "2021" if "t2.rules.issued" in cells else "2019" if "t2.rules.made" in cells else None
        if meta.template is None:
            raise InvalidInput(name, "无法确定报告格式（2019 或 2021 版）")
        return cls(meta=meta, cells=cells, sections=sections)

    def contract(self) -> dict:
        """The command line's JSON output contract (spec §8), with per-cell detail beside it."""
        # The cells by hand: pydantic's dump of 200 dataclass cells cost more than the parse (bench_parse_stream).
        data = self.model_dump(mode="json", exclude={"cells"})
        values = {}
        for key, cell in self.cells.items():
            v = cell.value
            values[key] = None if v is None else (int(v) if isinstance(v, int) else float(v))
        return {
            "source": self.meta.source,
            "meta": data["meta"] | {"agency": self.meta.organ},
            "cells": values,
            "findings": data["findings"],
            "problems": data["problems"],
            "detail": {k: _cell_detail(c) for k, c in self.cells.items()},
            "sections": data["sections"],
            "extras": data["extras"],
            "parser_version": self.parser_version,
        }


def _cell_detail(cell: Cell) -> dict:
    """A cell as pydantic's JSON dump writes it, without its key (``Record.contract``'s ``detail``)."""
    v, w = cell.value, cell.where
    return {
        "value": v if v is None or isinstance(v, int) else str(v),
        "state": cell.state.value,
        "unit": cell.unit,
        "raw": cell.raw,
        "where": None
        if w is None
        else {
            "line": w.line,
            "page": w.page,
            "table": w.table,
            "row": w.row,
            "col": w.col,
            "box": None if w.box is None else list(w.box),
        },
        "origin": cell.origin.value,
        "candidates": [c if isinstance(c, int) else str(c) for c in cell.candidates],
    }


# Reader output: slotted dataclasses, not pydantic and not frozen, because a batch builds millions.
# Treat them as immutable all the same.


@dataclass(slots=True)
class Token:
    """One source cell (or, in text, one piece between separators) with its place."""

    text: str
    where: Where


@dataclass(slots=True)
class Line:
    """One line of running text; ``number`` is the line in the original input (1-based)."""

    text: str
    number: int
    page: int | None = None


@dataclass(frozen=True, slots=True)
class Table:
    """A grid read from a structured source (HTML/DOCX/PDF/XLSX): rows of tokens, spans expanded once."""

    rows: tuple[tuple[Token, ...], ...]
    index: int = 0
    page: int | None = None


Block = Line | Table


@dataclass(slots=True)
class Document:
    """What a reader produces: the blocks in reading order plus what it learnt about the file."""

    blocks: list[Block]
    source: str = ""
    sha256: str = ""
    kind: str = "text"
    hints: dict[str, str] = field(default_factory=dict)  # e.g. <title>, <meta> publication date
    traditional: bool = False
    pinyin_removed: int = 0
    # All of the text when the document is nothing but lines (none holding a line break): their texts
    # joined by "\n". The text reader and normalise set it, having it at hand, so later stages scan it
    # instead of joining the lines again; None when unknown or when there are tables. Not an __init__
    # argument, so a Document built or copied (dataclasses.replace) with other blocks starts without
    # it and never carries a stale one.
    text: str | None = field(default=None, init=False, repr=False, compare=False)


class OgiError(Exception):
    """Base of every error ogi raises on purpose; the message names the file and the problem."""

    def __init__(self, source: str, problem: str):
        self.source = source
        self.problem = problem
        super().__init__(f"{source}: {problem}")


class ReadError(OgiError):
    pass


class EmptyFile(ReadError):
    pass


class UnsupportedFormat(ReadError):
    pass


class CorruptFile(ReadError):
    pass


class TooLarge(ReadError):
    pass


class UndecodableText(ReadError):
    pass


class NotAReport(OgiError):
    pass


class NotFound(OgiError):
    pass


class InvalidInput(OgiError):
    pass


class StoreError(OgiError):
    pass


def now() -> dt.datetime:
    """The one clock of ogi: UTC without a zone, as the corpus stores every timestamp."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)
