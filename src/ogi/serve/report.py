"""One report: summary of what is wrong, the three tables in the official layout beside the source, findings
linked to cells; and the reviewer's writes: confirm/dismiss a finding, correct a cell (kept, re-audited).
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from decimal import Decimal, InvalidOperation

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from .. import budget, forms
from ..corpus import Corpus
from ..corpus.accounts import ROLES
from ..corpus.rows import META_FIELDS
from ..grid import source_grid
from ..identities import format_number
from ..model import (
    REPORT_STATUS_ZH,
    REPORT_STATUSES,
    RESOLVED_ZH,
    REVIEW_STATUS_ZH,
    InvalidInput,
    NotFound,
    OgiError,
    Record,
    Table,
)
from ..read import read
from ..rules import IDENTITY_BY_RULE, finding_title, stated_numbers
from . import layout
from .session import CorpusDep, User, WriteLockDep, current_user, reader, writer
from .web import Id, file_name, from_page, json_response, render, root_of, table, view

router = APIRouter()
TABLE_ZH = {"t2": "表二（主动公开）", "t3": "表三（申请办理）", "t4": "表四（复议诉讼）"}
SOURCE_LINES = 6000  # the source pane shows this many lines at most


def _where_of(key_list: list[str], rule: str) -> str:
    tables = [k.split(".", 1)[0] for k in key_list if k[:2] in ("t2", "t3", "t4")]
    if tables:
        return TABLE_ZH[tables[0]]
    return {"FEES-STATED": "第六部分", "XYEAR-COPY": "正文", "TEXT-TABLE": "正文"}.get(rule, "全文与格式")


def _difference(expected: str | None, found: str | None, rule: str) -> str | None:
    """By how much the two numbers differ; signed only when the rule knows which of them is right."""
    try:
        d = Decimal(str(found)) - Decimal(str(expected))
    except (InvalidOperation, TypeError, ValueError):
        return None
    if not d:
        return None
    return f"{abs(d):f}" if rule in IDENTITY_BY_RULE else f"{d:+f}"


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
                "title": finding_title(f.rule, f.severity),
                "severity": f.severity,
                "message": f.message,
                "keys": f.keys,
                "expected": f.expected,
                "found": f.found,
                "numbers": stated_numbers(f.rule, f.expected, f.found),
                "difference": _difference(f.expected, f.found, f.rule) if f.keys else None,
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


def finding_row(f) -> dict:
    """A finding as the page, its JSON and its export show it (Chinese title, the numbers in neutral words)."""
    return {
        "id": f.id,
        "rule": f.rule,
        "title": finding_title(f.rule, f.severity),
        "kind": f.kind,
        "severity": f.severity,
        "keys": f.keys,
        "expected": f.expected,
        "found": f.found,
        "numbers": stated_numbers(f.rule, f.expected, f.found),
        "numbers_in_message": f.rule in IDENTITY_BY_RULE,  # an identity's message names both sides already
        "message": f.message,
        "status": f.status,
        "comment": f.comment,
        "reviewer": f.reviewer,
        "reviewed": f.reviewed,
        "other_report_id": f.other_report_id,
    }


_NAMES = ("reviewer", "who", "assignee", "author")


def anonymous(entries: list[dict]) -> list[dict]:
    """Who reviewed, corrected or was assigned is for signed-in users; readers see that a reviewer did."""
    return [e | {k: ROLES["reviewer"] for k in _NAMES if e.get(k)} for e in entries]


def resolved_reviews(history: list[dict]) -> list[dict]:
    """The latest verdict on each finding that no longer stands (a correction or a new reading resolved it);
    one that was only reopened is left out: there was no verdict to keep."""
    latest: dict[tuple, dict] = {}
    for h in history:
        if not h["standing"]:
            latest[(h["rule"], h["cell_keys"], h["other_report_id"])] = h
    return [
        h | {"title": finding_title(h["rule"], h["severity"]), "state": RESOLVED_ZH}
        for h in latest.values()
        if h["status"] != "open"
    ]


def _version_label(v: dict) -> str:
    day = v["published"] or (v["added"].date() if v["added"] else None)
    return f"{day.isoformat()} 版" if day else f"报告 {v['id']}"


def _versions(corpus: Corpus, report_id: int) -> dict:
    """This report among the versions of its organ-year: "第2版，替代 2024-02-03 版", links, and which cells
    changed from the version before."""
    versions = corpus.versions(report_id)
    if len(versions) < 2:
        return {"all": [], "text": None, "diff": []}
    index = next(i for i, v in enumerate(versions) if v["id"] == report_id)
    items = [
        {"id": v["id"], "n": i + 1, "label": _version_label(v), "current": v["superseded_by"] is None}
        for i, v in enumerate(versions)
    ]
    me = items[index]
    if index == 0:
        text = f"第1版，已被第{len(items)}版（{items[-1]['label']}）替代"
    else:
        text = f"第{me['n']}版，替代 {items[index - 1]['label']}"
        if not me["current"]:
            text += f"；已被第{len(items)}版（{items[-1]['label']}）替代"
    diff = []
    if index > 0:
        before, now = corpus.get(versions[index - 1]["id"]), corpus.get(report_id)
        for key in dict.fromkeys([*before.cells, *now.cells]):
            a, b = before.cells.get(key), now.cells.get(key)
            shown_a = "" if a is None else (a.raw or layout_value(a))
            shown_b = "" if b is None else (b.raw or layout_value(b))
            if (a.value if a else None, a.state if a else None) != (b.value if b else None, b.state if b else None):
                diff.append({"key": key, "label": forms.label_of(key), "before": shown_a, "now": shown_b})
    return {"all": items, "text": text, "diff": diff, "previous": items[index - 1]["id"] if index else None}


def layout_value(cell) -> str:
    """A cell's value as text when it has no source text (a corrected one)."""
    return "" if cell.value is None else str(cell.value)


def report_data(corpus: CorpusDep, report_id: Id, user: User | None = Depends(reader)) -> dict:
    row = corpus.report_file(report_id)
    record = corpus.get(report_id)
    row["source"] = record.meta.source = file_name(row["source"])
    rows = corpus.findings(report_id, limit=None)
    corrections = corpus.corrections(report_id)
    finding_rows = [finding_row(f) for f in rows]
    # 读取问题: what ogi could not read, for the reviewer to check against the source; never among the
    # findings or their counts (issue #10).
    problem_rows = [finding_row(f) for f in corpus.findings(report_id, limit=None, reading=True)]
    history = corpus.review_history(report_id)
    meta_log = [m | {"field_zh": META_FIELDS.get(m["field"], m["field"])} for m in corpus.meta_corrections(report_id)]
    status_log = corpus.report_status_history(report_id)
    if user is None:
        finding_rows, problem_rows, history = anonymous(finding_rows), anonymous(problem_rows), anonymous(history)
        corrections, meta_log, status_log = anonymous(corrections), anonymous(meta_log), anonymous(status_log)
    resolved = resolved_reviews(history)
    cells = _cell_rows(record)
    listed = corpus.report_row(report_id)
    return {
        "versions": _versions(corpus, report_id),
        "meta_corrections": meta_log,
        "report": row,
        "review": {
            "status": listed.review_status,
            "status_zh": REPORT_STATUS_ZH[listed.review_status],
            "assignee": listed.assignee if user is not None or not listed.assignee else ROLES["reviewer"],
            "history": status_log,
        },
        "meta": record.meta.model_dump(mode="json"),
        "summary": summary(rows),
        "findings": finding_rows,
        "resolved": resolved,
        "review_log": [h | {"title": finding_title(h["rule"], h["severity"])} for h in history],
        "problems": problem_rows,
        # An unread cell's candidate readings, to pick one with a click (a correction like any other).
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
                    ("title", "问题"),
                    ("message", "说明"),
                    ("numbers", "数值"),
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


def source_view(corpus: Corpus, report_id: int, name: str) -> dict:
    """The stored original as the reader sees it: numbered lines and source tables (ids the cells link to)."""
    data = corpus.source(report_id)
    if data is None:
        return {"blocks": [], "note": "原始文件未保存"}
    try:
        document = _read_cached(data, name or "source")
    except OgiError as exc:
        return {"blocks": [], "note": f"原始文件无法显示：{exc.problem}"}
    blocks, lines, cells = [], 0, 0
    for block in document.blocks:
        if isinstance(block, Table):
            rows, cut = source_grid(block)
            cells += sum(map(len, rows))
            if cells > budget.PANE_CELLS:
                return {"blocks": blocks, "note": "（原文表格过多，只显示前面部分）"}
            blocks.append({"table": block.index, "rows": rows, "cut": cut})
        else:
            lines += 1
            if lines > SOURCE_LINES:
                break
            blocks.append({"line": block.number, "text": block.text, "page": block.page})
    return {"blocks": blocks, "note": f"（原文过长，只显示前 {SOURCE_LINES} 行）" if lines > SOURCE_LINES else None}


def report_extra(request: Request, corpus: CorpusDep, data: dict = Depends(report_data)) -> dict:
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
    user = current_user(request)
    after = data["report"]["id"]
    following = (corpus.next_report(after, assignee=user.name) if user else None) or corpus.next_report(after)
    return {
        "next_id": following,
        "reviewers": [a["name"] for a in corpus.accounts.list() if a["role"] != "reader"],
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
def api_source(corpus: CorpusDep, report_id: Id, _user: User | None = Depends(reader)):
    row = corpus.report_file(report_id)
    return json_response(source_view(corpus, report_id, row["source"]))


@router.get("/reports/{report_id}/original", summary="下载原始文件（作为附件，不在浏览器中打开）", tags=["报告"])
def original(corpus: CorpusDep, report_id: Id, _user: User | None = Depends(reader)) -> Response:
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
    summary="审核一条发现：确认(confirmed)、不成立(dismissed)或重新打开(open)，可附意见；每次审核都留存",
    tags=["审核"],
)
def review(
    request: Request,
    corpus: CorpusDep,
    lock: WriteLockDep,
    finding_id: Id,
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
    both = corpus.findings(report_id, limit=None) + corpus.findings(report_id, limit=None, reading=True)
    row = next(f for f in both if f.id == finding_id)
    if request.headers.get("hx-request") and not request.headers.get("hx-boosted"):
        # The page's review buttons: just this finding again, swapped in place (the page keeps its place).
        # The summary box leaves out findings judged 不成立: it is sent along, swapped out of band.
        rows = corpus.findings(report_id, limit=None)
        context = {"f": finding_row(row), "can_write": True, "summary": summary(rows), "oob": True}
        return render(request, "_reviewed.html", context)
    if from_page(request):
        return RedirectResponse(f"{root_of(request)}/reports/{report_id}#f{finding_id}", status_code=303)
    return json_response({"finding": row})


@router.post(
    "/api/reports/{report_id}/cells", summary="更正一个单元格（保留原值、记录更正人和时间，并重新审核）", tags=["审核"]
)
def correct(
    request: Request,
    corpus: CorpusDep,
    lock: WriteLockDep,
    report_id: Id,
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


@router.post(
    "/api/reports/{report_id}/status",
    summary="报告审核状态：pending（待审）、reviewing（审核中）、returned（退回整改）、passed（通过），可附意见、指定审核人",
    tags=["审核"],
)
def set_status(
    request: Request,
    corpus: CorpusDep,
    lock: WriteLockDep,
    report_id: Id,
    status: str = Form(..., description="pending / reviewing / returned / passed"),
    comment: str = Form("", max_length=2000),
    assignee: str | None = Form(None, max_length=40, description="审核人账号；不传则不变，空串表示取消分配"),
    user: User = Depends(writer()),
):
    if status not in REPORT_STATUSES:
        choices = "、".join(f"{k}（{v}）" for k, v in REPORT_STATUS_ZH.items())
        raise InvalidInput(f"report {report_id}", f"未知的报告审核状态 {status!r}（可选：{choices}）")
    person: str | None | type[Ellipsis] = ...
    if assignee is not None:
        person = assignee.strip() or None
        if person is not None and corpus.accounts.get(person) is None:
            raise InvalidInput("assignee", f"账号 {person} 不存在")
    with lock:
        corpus.set_report_status(report_id, status, who=user.name, comment=comment.strip() or None, assignee=person)
    if from_page(request):
        return RedirectResponse(f"{root_of(request)}/reports/{report_id}#status", status_code=303)
    return json_response({"report": corpus.report_row(report_id), "history": corpus.report_status_history(report_id)})


@router.post(
    "/api/reports/{report_id}/meta",
    summary="更正报告信息：机关(organ)、年度(year)、发布日期(published)、格式(template)、报送期限(government)；"
    "保留原值并重新审核",
    tags=["审核"],
)
def correct_meta(
    request: Request,
    corpus: CorpusDep,
    lock: WriteLockDep,
    report_id: Id,
    field: str = Form(..., description="organ / year / published / template / government"),
    value: str = Form("", max_length=200, description="新值，如 临江县教育局、2023、2024-01-31、2021、government"),
    comment: str = Form("", max_length=2000),
    user: User = Depends(writer()),
):
    if field not in META_FIELDS:
        raise InvalidInput(f"report {report_id}", f"不能更正的字段 {field!r}（可选：{'、'.join(META_FIELDS)}）")
    with lock:
        record = corpus.set_meta(report_id, field, value, who=user.name, comment=comment.strip() or None)
    if from_page(request):
        return RedirectResponse(f"{root_of(request)}/reports/{report_id}#meta", status_code=303)
    return json_response(
        {"meta": record.meta.model_dump(mode="json"), "corrections": corpus.meta_corrections(report_id)}
    )
