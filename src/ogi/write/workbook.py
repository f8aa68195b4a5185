"""A filled template (``template.build_template``) → its Record, cell by cell from the hidden key map.

The generic XLSX reader (``read/xlsx.py``) reads tables by their labels, as it must for an organ's own
spreadsheet; the template says where each key lives, so it is read exactly: a number is a number, an
empty input is ``blank`` (never 0), and text typed into a number cell is read as ``values.parse_value``
reads any cell ("增4", "—"), or kept as ``unreadable``. The result is audited like any parsed report.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import zipfile
from decimal import Decimal
from io import BytesIO

from ..audit import audit
from ..forms import template_for
from ..model import Cell, CorruptFile, Meta, Origin, Record, State, Template, Where
from ..values import parse_value
from .draft import MAP_SHEET, MARKER, sections_of


def is_template(data: bytes) -> bool:
    """Whether ``data`` is an XLSX written by ``build_template``: its workbook names the hidden key-map
    sheet. Only the small workbook part is looked at, so every XLSX and DOCX that ``ogi parse`` meets
    can be asked cheaply; ``read_workbook`` then checks the marker itself."""
    if not data.startswith(b"PK"):
        return False
    try:
        with zipfile.ZipFile(BytesIO(data)) as archive:
            part = archive.getinfo("xl/workbook.xml")
            if part.file_size > 1 << 20:  # a workbook part is a few KB; never inflate a bomb to ask
                return False
            xml = archive.read(part)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, NotImplementedError, RuntimeError):
        return False
    return f'name="{MAP_SHEET}"'.encode() in xml


def _open(data: bytes, name: str):
    import openpyxl

    try:
        return openpyxl.load_workbook(BytesIO(data), data_only=True)
    except Exception as exc:  # openpyxl raises many kinds on a damaged file
        raise CorruptFile(name, f"Excel 文件已损坏或不是有效的 XLSX（{type(exc).__name__}）") from None


def read_workbook(data: bytes, name: str) -> Record:
    """The record a filled template holds, audited; ``CorruptFile`` when it is not an ogi template."""
    book = _open(data, name)
    try:
        if MAP_SHEET not in book.sheetnames or book[MAP_SHEET]["A1"].value != MARKER:
            raise CorruptFile(name, "不是 ogi 生成的年报模板（缺少隐藏的“ogi”工作表）")
        places = book[MAP_SHEET]
        template_cell = places["B2"].value
        cells: dict[str, Cell] = {}
        raw_meta: dict[str, object] = {}
        texts: dict[str, str] = {}
        for key, sheet, coordinate in places.iter_rows(min_row=3, max_col=3, values_only=True):
            if not key or sheet not in book.sheetnames:
                continue
            target = book[sheet][coordinate]
            if key.startswith("meta."):
                raw_meta[key[5:]] = target.value
            elif key.startswith("t"):
                cells[key] = _cell(
                    key,
                    target.value,
                    Where(table=book.sheetnames.index(sheet), row=target.row - 1, col=target.column - 1),
                )
            else:
                texts[key] = "" if target.value is None else str(target.value)
    finally:
        book.close()
    meta = _meta(raw_meta, template_cell, name, data)
    record = Record(meta=meta, cells=cells, sections=sections_of(meta.template or "2021", texts))
    record.findings = audit(record)
    return record


def _cell(key: str, value: object, where: Where) -> Cell:
    if value is None or value == "":
        return Cell(key=key, value=None, state=State.blank, where=where)
    if isinstance(value, bool):
        return Cell(key=key, value=None, state=State.unreadable, raw=str(value), where=where)
    if isinstance(value, int):
        return Cell(key=key, value=value, state=State.number, raw=str(value), where=where)
    if isinstance(value, float | Decimal):
        exact = Decimal(repr(value)) if isinstance(value, float) else value
        number = int(exact) if exact == exact.to_integral_value() else exact.normalize()
        return Cell(key=key, value=number, state=State.number, raw=str(number), where=where)
    text = str(value)
    parsed, state, unit = parse_value(text)
    return Cell(key=key, value=parsed, state=state, unit=unit, raw=text, where=where, origin=Origin.source)


def _meta(raw: dict[str, object], template: object, name: str, data: bytes) -> Meta:
    year = _year(raw.get("year"))
    published = raw.get("published")
    if isinstance(published, dt.datetime):
        published = published.date()
    elif isinstance(published, str):
        try:
            published = dt.date.fromisoformat(published.strip())
        except ValueError:
            published = None
    elif not isinstance(published, dt.date):
        published = None
    fmt: Template = "2019" if template == "2019" else "2021" if template == "2021" else template_for(year or 2021)
    return Meta(
        organ=_text(raw.get("organ")),
        year=year,
        template=fmt,
        published=published,
        index_no=_text(raw.get("index_no")),
        title=_text(raw.get("title")),
        is_government=str(raw.get("is_government") or "").strip() == "是",
        source=name,
        sha256=hashlib.sha256(data).hexdigest(),
        kind="xlsx",
    )


def _year(value: object) -> int | None:
    try:
        return int(str(value).strip().removesuffix("年")) if value not in (None, "") else None
    except ValueError:
        return None


def _text(value: object) -> str | None:
    return str(value).strip() or None if value is not None else None


def fill(data: bytes, values: dict[str, object], note: str = "") -> bytes:
    """The template ``data`` with the cells of ``values`` (key → value) set, each noted with ``note`` if given;
    e.g. table 3 from a tallied register (``ogi tally --into``)."""
    from openpyxl import load_workbook
    from openpyxl.comments import Comment

    book = load_workbook(BytesIO(data))
    if MAP_SHEET not in book.sheetnames or book[MAP_SHEET]["A1"].value != MARKER:
        raise CorruptFile("", "不是 ogi 生成的年报模板（缺少隐藏的“ogi”工作表）")
    for key, sheet, coordinate in book[MAP_SHEET].iter_rows(min_row=3, max_col=3, values_only=True):
        if key in values:
            target = book[sheet][coordinate]
            target.value = values[key]
            if note:
                target.comment = Comment(note, "ogi", width=320, height=90)
    out = BytesIO()
    book.save(out)
    return out.getvalue()
