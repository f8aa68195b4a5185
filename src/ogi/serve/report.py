"""One report: summary of what is wrong, the three tables in the official layout beside the source, findings
linked to cells; and the reviewer's writes: confirm/dismiss a finding, correct a cell (kept, re-audited).
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from decimal import Decimal, InvalidOperation

from fastapi import APIRouter, Depends, Form, Path, Request
from fastapi.responses import RedirectResponse, Response

from .. import forms
from ..corpus import Corpus
from ..identities import format_number
from ..model import REVIEW_STATUS_ZH, InvalidInput, NotFound, OgiError, Record, Table
from ..read import read
from ..rules import RULE_BY_ID
from . import layout
from .session import CorpusDep, User, WriteLockDep, reader, writer
from .web import from_page, json_response, root_of, table, view

router = APIRouter()
TABLE_ZH = {"t2": "表二（主动公开）", "t3": "表三（申请办理）", "t4": "表四（复议诉讼）"}
SOURCE_LINES = 6000  # the source pane shows this many lines at most


def _where_of(key_list: list[str], rule: str) -> str:
    tables = [k.split(".", 1)[0] for k in key_list if k[:2] in ("t2", "t3", "t4")]
    if tables:
        return TABLE_ZH[tables[0]]
    return {"FEES-STATED": "第六部分", "XYEAR-COPY": "正文", "TEXT-TABLE": "正文"}.get(rule, "全文与格式")


def _difference(expected: str | None, found: str | None) -> str | None:
    try:
        d = Decimal(str(found)) - Decimal(str(expected))
    except (InvalidOperation, TypeError, ValueError):
        return None
    return f"{d:+f}" if d else None


def summary(rows: list) -> dict:
    """What a reviewer must read first: which table, which cells, by how much (dismissed findings left out)."""
    live = [f for f in rows if f.status != "dismissed"]
    counts = {s: sum(1 for f in live if f.severity == s) for s in ("error", "warning", "info")}
    groups: dict[str, list] = {}
    for f in live:
        if f.severity == "info":
            continue
        groups.setdefault(_where_of(f.keys, f.rule), []).append(
            {
                "id": f.id,
                "rule": f.rule,
                "title": RULE_BY_ID[f.rule].title if f.rule in RULE_BY_ID else f.rule,
                "severity": f.severity,
                "message": f.message,
                "keys": f.keys,
                "expected": f.expected,
                "found": f.found,
                "difference": _difference(f.expected, f.found) if f.keys else None,
                "status": f.status,
                "cells": [forms.label_of(k) for k in f.keys[:6]] + (["…"] if len(f.keys) > 6 else []),
            }
        )
    parts = [f"{name} {len(items)} 项" for name, items in groups.items()]
    if counts["error"] or counts["warning"]:
        headline = f"发现错误 {counts['error']} 个、警告 {counts['warning']} 个：" + "；".join(parts)
    else:
        headline = "未发现错误或警告" + (f"（另有 {counts['info']} 条提示）" if counts["info"] else "")
    return {"counts": counts, "headline": headline, "groups": [{"where": k, "items": v} for k, v in groups.items()]}


def _cell_rows(record: Record) -> list[dict]:
    out = []
    for key in forms.keys(record.meta.template or "2021") if record.meta.template else record.cells:
        c = record.cells.get(key)
        out.append(
            {
                "key": key,
                "label": forms.label_of(key),
                "value": None if c is None else c.value,
                "unit": None if c is None else c.unit,
                "state": "missing" if c is None else c.state.value,
                "raw": "" if c is None else c.raw,
                "origin": None if c is None else c.origin.value,
                "line": c.where.line if c is not None and c.where else None,
            }
        )
    return out


def _finding_row(f) -> dict:
    return {
        "id": f.id,
        "rule": f.rule,
        "kind": f.kind,
        "severity": f.severity,
        "keys": f.keys,
        "expected": f.expected,
        "found": f.found,
        "message": f.message,
        "status": f.status,
        "comment": f.comment,
        "reviewer": f.reviewer,
        "reviewed": f.reviewed,
        "other_report_id": f.other_report_id,
    }


def report_data(
    corpus: CorpusDep, report_id: int = Path(..., description="报告编号"), _user: User | None = Depends(reader)
) -> dict:
    row = corpus.report_file(report_id)
    record = corpus.get(report_id)
    rows = corpus.findings(report_id, limit=None)
    corrections = corpus.corrections(report_id)
    finding_rows, problem_rows = (
        [_finding_row(f) for f in found] for found in (rows, corpus.findings(report_id, limit=None, reading=True))
    )
    cells = _cell_rows(record)
    return {
        "report": row,
        "meta": record.meta.model_dump(mode="json"),
        "summary": summary(rows),
        "findings": finding_rows,
        # 读取问题: what ogi could not read, for the reviewer to check against the source; never among the
        # findings or their counts (issue #10). An unread cell's candidate readings, to pick one with a click.
        "problems": problem_rows,
        "candidates": {
            k: [format_number(x) for x in c.candidates]
            for k, c in record.cells.items()
            if c.candidates and c.value is None
        },
        "corrections": corrections,
        "sections": [s.model_dump(mode="json") for s in record.sections],
        "extras": [e.model_dump(mode="json") for e in record.extras],
        "cells": {c["key"]: c for c in cells},
        "tables": {
            "cells": table(
                "单元格",
                [
                    ("key", "键"),
                    ("label", "单元格"),
                    ("value", "数值"),
                    ("unit", "单位"),
                    ("state", "状态"),
                    ("raw", "原文"),
                    ("origin", "来源"),
                    ("line", "原文行号"),
                ],
                cells,
            ),
            "findings": table(
                "审核发现",
                [
                    ("id", "编号"),
                    ("rule", "规则"),
                    ("severity", "级别"),
                    ("message", "说明"),
                    ("expected", "应为"),
                    ("found", "实为"),
                    ("status", "审核状态"),
                    ("comment", "审核意见"),
                    ("reviewer", "审核人"),
                ],
                [f | {"keys": " ".join(f["keys"])} for f in finding_rows],
            ),
            "corrections": table(
                "更正记录",
                [
                    ("key", "单元格"),
                    ("old_value", "原值"),
                    ("new_value", "新值"),
                    ("who", "更正人"),
                    ("at", "时间"),
                    ("comment", "说明"),
                ],
                corrections,
            ),
        },
        "_record": record,
    }


_READ_CACHE: OrderedDict[str, object] = OrderedDict()


def _read_cached(data: bytes, name: str):
    """Reading a PDF or DOCX again on every view is slow; the last few documents are kept (by content)."""
    key = hashlib.sha256(data).hexdigest()
    if key in _READ_CACHE:
        _READ_CACHE.move_to_end(key)
        return _READ_CACHE[key]
    document = read(data, name)
    _READ_CACHE[key] = document
    while len(_READ_CACHE) > 8:
        _READ_CACHE.popitem(last=False)
    return document


def _source_rows(block: Table) -> list[list[dict | None]]:
    """A source table's tokens placed at their logical columns (a merged cell once, gaps left empty)."""
    width = 1 + max((t.where.col or 0 for row in block.rows for t in row), default=0)
    out = []
    for row in block.rows:
        cells: list[dict | None] = [None] * width
        for t in row:
            col = t.where.col if t.where.col is not None else cells.index(None) if None in cells else width - 1
            if cells[col] is None:
                cells[col] = {"text": t.text, "id": f"T{t.where.table}-{t.where.row}-{t.where.col}"}
        out.append(cells)
    return out


def source_view(corpus: Corpus, report_id: int, name: str) -> dict:
    """The stored original as the reader sees it: numbered lines and source tables (ids the cells link to)."""
    data = corpus.source(report_id)
    if data is None:
        return {"blocks": [], "note": "原始文件未保存"}
    try:
        document = _read_cached(data, name or "source")
    except OgiError as exc:
        return {"blocks": [], "note": f"原始文件无法显示：{exc.problem}"}
    blocks, lines = [], 0
    for block in document.blocks:
        if isinstance(block, Table):
            blocks.append({"table": block.index, "rows": _source_rows(block)})
        else:
            lines += 1
            if lines > SOURCE_LINES:
                break
            blocks.append({"line": block.number, "text": block.text, "page": block.page})
    return {"blocks": blocks, "note": f"（原文过长，只显示前 {SOURCE_LINES} 行）" if lines > SOURCE_LINES else None}


def report_extra(corpus: CorpusDep, data: dict = Depends(report_data)) -> dict:
    """What only the page shows: the official grids, each cell's view, and the source pane."""
    record: Record = data["_record"]
    flags: dict[str, str] = {}
    for f in data["findings"]:
        if f["status"] == "dismissed" or f["severity"] == "info":
            continue
        for k in f["keys"]:
            if flags.get(k) != "bad":
                flags[k] = "bad" if f["severity"] == "error" else "warn"
    latest = {c["key"]: c for c in data["corrections"]}
    template = record.meta.template or "2021"
    grids = layout.grids(record)
    # Every key the page shows: the format's, the record's, and any the grids draw (another format's （六） row).
    shown = {c.key for rows in grids.values() for row in rows for c in row if c.key}
    views = {
        key: layout.cell_view(key, record.cells.get(key), flags, latest)
        for key in set(forms.keys(template)) | set(record.cells) | shown
    }
    keys_in_order = list(forms.keys(template)) + [k for k in record.cells if k not in forms.keys(template)]
    return {
        "grids": grids,
        "views": views,
        "source": source_view(corpus, data["report"]["id"], data["meta"]["source"]),
        "key_choices": [(k, forms.label_of(k)) for k in keys_in_order],
    }


view(
    router,
    "/reports/{report_id}",
    report_data,
    "report.html",
    name="report",
    summary="一份报告：摘要、三张表、审核发现、更正记录",
    tag="报告",
    extra=report_extra,
)


@router.get("/api/reports/{report_id}/source", summary="报告原文（按读取器所见：编号的行与原表格）", tags=["报告"])
def api_source(corpus: CorpusDep, report_id: int, _user: User | None = Depends(reader)):
    row = corpus.report_file(report_id)
    return json_response(source_view(corpus, report_id, row["source"]))


@router.get("/reports/{report_id}/original", summary="下载原始文件（作为附件，不在浏览器中打开）", tags=["报告"])
def original(corpus: CorpusDep, report_id: int, _user: User | None = Depends(reader)) -> Response:
    row = corpus.report_file(report_id)
    data = corpus.source(report_id)
    if data is None:
        raise NotFound(f"report {report_id}", "原始文件未保存")
    # An uploaded HTML page must never run in our origin: always an attachment, never sniffed.
    return Response(
        data,
        media_type="application/octet-stream",
        headers={
            "Content-Disposition": f'attachment; filename="report-{report_id}.{row["kind"] or "bin"}"',
            "X-Content-Type-Options": "nosniff",
        },
    )


@router.post(
    "/api/findings/{finding_id}/review",
    summary="审核一条发现：确认(confirmed)、驳回(dismissed)或重新打开(open)，可附意见",
    tags=["审核"],
)
def review(
    request: Request,
    corpus: CorpusDep,
    lock: WriteLockDep,
    finding_id: int,
    status: str = Form(..., description="confirmed / dismissed / open"),
    comment: str = Form("", max_length=2000),
    user: User = Depends(writer()),
):
    if status not in REVIEW_STATUS_ZH:
        choices = "、".join(REVIEW_STATUS_ZH)
        raise InvalidInput(f"finding {finding_id}", f"未知的审核状态 {status!r}（可选：{choices}）")
    report_id = corpus.finding_report(finding_id)
    with lock:
        corpus.review_finding(finding_id, status, who=user.name, comment=comment.strip() or None)
    if from_page(request):
        return RedirectResponse(f"{root_of(request)}/reports/{report_id}#f{finding_id}", status_code=303)
    rows = corpus.findings(report_id, limit=None) + corpus.findings(report_id, limit=None, reading=True)
    row = next(f for f in rows if f.id == finding_id)
    return json_response({"finding": row})


@router.post(
    "/api/reports/{report_id}/cells", summary="更正一个单元格（保留原值、记录更正人和时间，并重新审核）", tags=["审核"]
)
def correct(
    request: Request,
    corpus: CorpusDep,
    lock: WriteLockDep,
    report_id: int,
    key: str = Form(..., max_length=60, description="单元格键，如 t3.new.natural"),
    value: str = Form("", max_length=40, description="新值，如 12；留空或“—”表示空白"),
    comment: str = Form("", max_length=2000),
    user: User = Depends(writer()),
):
    corpus.report_file(report_id)
    record = corpus.get(report_id)
    if key not in forms.keys(record.meta.template or "2021") and key not in record.cells:
        raise InvalidInput(f"report {report_id}", f"单元格 {key} 不属于该报告的格式")
    with lock:
        record = corpus.set_cell(report_id, key, value.strip(), who=user.name, comment=comment.strip() or None)
    if from_page(request):
        return RedirectResponse(f"{root_of(request)}/reports/{report_id}#cell-{key}", status_code=303)
    cell = record.cells.get(key)
    return json_response(
        {
            "cell": cell.dump(mode="json") if cell else None,
            "findings": [f.model_dump(mode="json") for f in record.findings],
            "problems": [f.model_dump(mode="json") for f in record.problems],
            "corrections": corpus.corrections(report_id),
        }
    )
