"""Writing a report (编制, issue #11): the one home of ogi's authoring side.

    template.build_template(Draft) -> bytes       the XLSX an organ fills in, official layout, checks as formulas
    workbook.read_workbook(bytes, name) -> Record  that workbook, filled, read back exactly
    prefill                                        what last year's report (or any record) puts in the new one
    tally / workdays                               a case register (依申请公开台账) → table 3, per-case findings

``load_record`` turns whatever a writer has — a record JSON, a filled template, any report file ogi
reads — into a Record; ``new_draft`` assembles what a template starts from.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from .. import forms
from ..audit import audit
from ..model import Cell, InvalidInput, Meta, OgiError, Record, State, Template
from ..values import parse_value
from .draft import Draft, sections_of, texts_of
from .prefill import carried_forward, from_record

if TYPE_CHECKING:
    from ..corpus import Corpus


def load_record(path: str | Path) -> Record:
    """A record from a file: ``ogi parse --format json`` output, a filled ogi template, or any report file."""
    name = str(path)
    try:
        data = Path(path).read_bytes()
    except FileNotFoundError:
        raise OgiError(name, "文件不存在") from None
    except OSError as exc:
        raise OgiError(name, f"无法读取：{exc.strerror or exc}") from None
    if name.lower().endswith(".json") or data.lstrip()[:1] in (b"{", b"["):
        try:
            return Record.from_contract(json.loads(data.decode("utf-8-sig")), name)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise InvalidInput(name, f"不是有效的 JSON 记录（{exc}）") from None
    from .workbook import is_template, read_workbook  # openpyxl: only for a file that is not JSON

    if is_template(data):
        return read_workbook(data, name)
    from ..pipeline import parse  # the whole parser: only for a report file

    return parse(data, name)


def previous_report(db: str | os.PathLike | None, organ: str, year: int) -> Record | None:
    """The organ's report on ``year - 1`` in the corpus at ``db``, matched by exact name; None without one."""
    from ..corpus import Corpus  # SQLAlchemy: only when a corpus is asked

    with Corpus(db) as corpus:
        return previous_in(corpus, organ, year)


def previous_in(corpus: Corpus, organ: str, year: int) -> Record | None:
    """The organ's report on ``year - 1`` in an open corpus, matched by exact name; None without one."""
    rows = [r for r in corpus.reports(organ=organ, year=year - 1) if organ in (r.organ, r.organ_name)]
    return corpus.get(rows[0].id) if rows else None


def new_draft(
    template: str | None,
    year: int,
    organ: str,
    *,
    previous: Record | None = None,
    source: Record | None = None,
    source_name: str = "",
) -> Draft:
    """What a template for ``organ``'s report on ``year`` starts from: ``source``'s every cell and text
    (``--from``), else what ``previous`` (last year's report) carries forward."""
    if template not in (None, "2019", "2021"):
        raise InvalidInput("--template", f"格式应为 2019 或 2021，而不是 {template}")
    fmt: Template = "2019" if template == "2019" else "2021" if template == "2021" else forms.template_for(year)
    meta = Meta(organ=organ, year=year, template=fmt, is_government=organ.endswith("人民政府"))
    if source is not None:
        fmt = source.meta.template or fmt
        meta = source.meta.model_copy(update={"organ": organ or source.meta.organ, "year": year, "template": fmt})
        prefills = from_record(source, Path(source_name).name or "来源文件")
        return Draft(fmt, meta, prefills, texts_of(source), source.cells)
    prefills = carried_forward(previous, fmt) if previous is not None else {}
    return Draft(fmt, meta, prefills)


def record_of(
    template: Template, meta: Mapping[str, object], cells: Mapping[str, str], texts: Mapping[str, str]
) -> Record:
    """The record of a report as typed into a form (the web app's 编制 page): every key of the format, each
    text read as ``values.parse_value`` reads a cell (an empty one is blank, never 0), audited."""
    record_cells = {}
    for key in forms.keys(template):
        raw = str(cells.get(key) or "").strip()
        value, state, unit = parse_value(raw) if raw else (None, State.blank, None)
        record_cells[key] = Cell(key=key, value=value, state=state, unit=unit, raw=raw)
    published = str(meta.get("published") or "").strip()
    year = int(str(meta.get("year")))
    record = Record(
        meta=Meta(
            organ=str(meta.get("organ") or "") or None,
            year=year,
            template=template,
            title=f"{meta.get('organ')}{year}年政府信息公开工作年度报告",
            published=dt.date.fromisoformat(published) if published else None,
            is_government=str(meta.get("organ") or "").endswith("人民政府"),
            kind="authored",
        ),
        cells=record_cells,
        sections=sections_of(template, texts),
    )
    record.findings = audit(record)
    return record


def fingerprint(content: object) -> str:
    """The sha256 a report written in the web app is stored under (its content, as the corpus dedupes)."""
    return hashlib.sha256(repr(content).encode("utf-8")).hexdigest()


__all__ = ["Draft", "fingerprint", "load_record", "new_draft", "previous_in", "previous_report", "record_of"]
