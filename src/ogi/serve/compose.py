"""The 编制 pages (issue #11 item 4): write a report in the browser, from last year's, and publish it.

    GET  /compose                       pick organ and year (a writer: only their organs)
    GET  /compose/edit?organ=&year=     the three tables as inputs in the official layout, the six sections;
                                        the newest draft, else prefilled from last year's report in the corpus
    POST /compose/check                 htmx, as the writer types: the broken identities, their cells marked
    POST /compose/register              a case register (台账) tallied into table 3 (not saved until 保存)
    POST /compose/save                  a new draft (history: who, when)
    GET  /compose/download?…&fmt=       the newest draft as DOCX, PDF, HTML or the XLSX template
    GET  /compose/register-template     an empty case register with drop-down lists
    POST /compose/publish               the newest draft into the corpus as a report (kind: authored)

Everything a writer types is kept as typed (``write.record_of`` reads it as any cell is read); a draft is
never overwritten, every save is a row of ``corpus.drafts``.
"""

from __future__ import annotations

import datetime as dt
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile  # what request.form() gives (FastAPI's is a subclass)

from .. import forms
from .. import grid as g
from ..corpus import Corpus
from ..model import InvalidInput, OgiError, Record, Severity, Template
from ..rules import IDENTITIES
from ..write import fingerprint, previous_in, record_of
from ..write.draft import Draft, text_slots
from ..write.prefill import Prefill, carried_forward
from ..write.template import TABLE_TITLES, build_template
from .session import CorpusDep, HTTPProblem, SettingsDep, User, WriteLockDep, current_user, writer
from .web import render, root_of

router = APIRouter()
IDENTITY_RULES = {i.rule for i in IDENTITIES}
DOWNLOADS = {
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "pdf": "application/pdf",
    "html": "text/html; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def composer(request: Request) -> User:
    """Gate of the 编制 pages: any signed-in account (writers, reviewers, administrators)."""
    user = current_user(request)
    if user is None:
        raise HTTPProblem(401, "编制报告需要先登录", login=True)
    return user


def _allowed(corpus: Corpus, user: User, organ: str) -> None:
    if not organ:
        raise HTTPProblem(422, "请填写机关名称")
    if user.role == "writer" and organ not in (mine := corpus.drafts.organs_of(user.name)):
        raise HTTPProblem(403, f"您只能编写以下机关的报告：{'、'.join(mine) or '（尚未分配机关）'}")


def _year(year: object) -> int:
    try:
        value = int(str(year))
    except ValueError:
        raise HTTPProblem(422, f"年度应为数字，而不是“{year}”") from None
    if not 2008 <= value <= dt.date.today().year:
        raise HTTPProblem(422, f"年度 {value} 不在可编制的范围内")
    return value


@router.get("/compose", include_in_schema=False)
def pick(request: Request, corpus: CorpusDep, user: User = Depends(composer)) -> HTMLResponse:
    organs = corpus.drafts.organs_of(user.name) if user.role == "writer" else []
    return render(request, "compose_pick.html", {"organs": organs, "year": dt.date.today().year - 1})


def _start(corpus: Corpus, organ: str, year: int) -> dict:
    """What the page starts from: the newest draft, else last year's report carried forward."""
    latest = corpus.drafts.latest(organ, year)
    if latest is not None:
        return latest["content"]
    template: Template = forms.template_for(year)
    previous = previous_in(corpus, organ, year)
    prefills = carried_forward(previous, template) if previous is not None else {}
    return {
        "template": template,
        "meta": {"organ": organ, "year": year, "published": ""},
        "cells": {k: _plain(p.value) for k, p in prefills.items()},
        "texts": {},
        "notes": {k: p.note for k, p in prefills.items()},
    }


def _plain(value: object) -> str:
    return "" if value is None else format(value, "f") if not isinstance(value, int) else str(value)


def _page(request: Request, corpus: Corpus, content: dict, message: str = "") -> HTMLResponse:
    template = content["template"]
    meta = content["meta"]
    record = _record(content)
    data = {
        "content": content,
        "template": template,
        "tables": [(TABLE_TITLES[n], grid.rows) for n, grid in g.tables(template).items()],
        "slots": text_slots(template),
        "checks": _checks(record),
        "history": corpus.drafts.history(meta["organ"], int(meta["year"])),
        "query": urlencode({"organ": meta["organ"], "year": meta["year"]}),
        "message": message,
    }
    return render(request, "compose.html", data)


@router.get("/compose/edit", include_in_schema=False)
def edit(
    request: Request,
    corpus: CorpusDep,
    organ: str = Query(""),
    year: str = Query(""),
    saved: int = Query(0),
    user: User = Depends(composer),
) -> HTMLResponse:
    organ = organ.strip()
    _allowed(corpus, user, organ)
    content = _start(corpus, organ, _year(year))
    return _page(request, corpus, content, "已保存草稿" if saved else "")


async def _content(request: Request) -> dict:
    """The form as a draft's content: cells and texts as typed, meta, and the notes it carried."""
    form = await request.form()
    template: Template = "2019" if form.get("template") == "2019" else "2021"
    notes = {k[5:]: str(v) for k, v in form.items() if k.startswith("note:")}
    return {
        "template": template,
        "meta": {
            "organ": str(form.get("organ") or "").strip(),
            "year": _year(form.get("year")),
            "published": str(form.get("published") or "").strip(),
        },
        "cells": {k: str(form.get(k) or "").strip() for k in forms.keys(template)},
        "texts": {k: str(form.get(k) or "") for k, _ in text_slots(template)},
        "notes": notes,
    }


def _record(content: dict) -> Record:
    try:
        return record_of(content["template"], content["meta"], content["cells"], content["texts"])
    except ValueError as exc:  # a date that is not one
        raise HTTPProblem(422, f"发布日期应为 年-月-日：{exc}") from None


def _checks(record: Record) -> list[dict]:
    """The broken identities, with the cells to mark, as the page lists them."""
    out = []
    for f in record.findings:
        if f.rule in IDENTITY_RULES and f.severity is Severity.error:
            where = f.message.split("：", 1)[0]
            out.append({"rule": f.rule, "where": where, "expected": f.expected, "found": f.found, "keys": f.keys})
    return out


@router.post("/compose/check", include_in_schema=False)
async def check(request: Request, user: User = Depends(writer("writer"))) -> HTMLResponse:
    content = await _content(request)
    return render(request, "_compose_checks.html", {"checks": _checks(_record(content))})


@router.post("/compose/save", include_in_schema=False)
async def save(request: Request, corpus: CorpusDep, lock: WriteLockDep, user: User = Depends(writer("writer"))):
    content = await _content(request)
    meta = content["meta"]
    _allowed(corpus, user, meta["organ"])
    _record(content)  # a date that cannot be read is refused before it is saved
    with lock:
        corpus.drafts.save(meta["organ"], meta["year"], content["template"], content, user.name)
    query = urlencode({"organ": meta["organ"], "year": meta["year"], "saved": 1})
    return RedirectResponse(f"{root_of(request)}/compose/edit?{query}", status_code=303)


@router.post("/compose/register", include_in_schema=False)
async def register(
    request: Request, corpus: CorpusDep, settings: SettingsDep, user: User = Depends(writer("writer"))
) -> HTMLResponse:
    from ..write.tally import read_register, tally  # the holiday calendar: only when a register comes

    content = await _content(request)
    _allowed(corpus, user, content["meta"]["organ"])
    upload = (await request.form()).get("register")
    if not isinstance(upload, UploadFile) or not upload.filename:
        return _page(request, corpus, content, "请选择台账文件（CSV 或 XLSX）")
    data = await upload.read(settings.max_upload_bytes + 1)  # no further than one byte past the limit
    if len(data) > settings.max_upload_bytes:
        raise HTTPProblem(413, f"台账文件超过 {settings.max_upload_mb} MB")
    try:
        result = await run_in_threadpool(
            lambda: tally(read_register(data, upload.filename or "台账"), content["meta"]["year"], content["template"])
        )
    except OgiError as exc:
        return _page(request, corpus, content, f"台账无法统计：{exc.problem}")
    note = f"由台账 {upload.filename} 统计"
    content["cells"].update({k: str(v) for k, v in result.cells.items()})
    content["notes"].update(dict.fromkeys(result.cells, note))
    message = (
        f"已由台账统计表三：计入 {result.counted} 件，未计入 {result.left_out} 件，"
        f"逐件发现 {len(result.findings)} 条。请核对后保存。"
    )
    return _page(request, corpus, content, message)


def _latest(corpus: Corpus, user: User, organ: str, year: str) -> tuple[dict, Record]:
    _allowed(corpus, user, organ)
    latest = corpus.drafts.latest(organ, _year(year))
    if latest is None:
        raise HTTPProblem(404, "还没有保存的草稿，请先保存")
    return latest["content"], _record(latest["content"])


@router.get("/compose/download", include_in_schema=False)
def download(
    corpus: CorpusDep,
    organ: str = Query(""),
    year: str = Query(""),
    fmt: str = Query("docx"),
    user: User = Depends(composer),
) -> Response:
    from ..render.official import official_docx, official_html, official_pdf  # python-docx, WeasyPrint: on demand

    if fmt not in DOWNLOADS:
        raise HTTPProblem(422, f"不支持的格式 {fmt}；可选：{'、'.join(DOWNLOADS)}")
    content, record = _latest(corpus, user, organ, year)
    draft = bool(_checks(record))  # tables that do not add up yet are marked 草稿
    if fmt == "xlsx":
        meta = record.meta.model_copy(update={"source": ""})
        typed = {k: Prefill(c.value, "在编制页面中填写") for k, c in record.cells.items() if c.value is not None}
        data = build_template(Draft(record.meta.template or "2021", meta, typed, content["texts"]))
    elif fmt == "docx":
        data = official_docx(record, draft=draft)
    elif fmt == "pdf":
        data = official_pdf(record, draft=draft)
    else:
        data = official_html(record, draft=draft).encode("utf-8")
    name = f"{organ}{record.meta.year}年政府信息公开工作年度报告{'（草稿）' if draft else ''}.{fmt}"
    disposition = f"attachment; filename*=UTF-8''{quote(name)}"
    return Response(data, media_type=DOWNLOADS[fmt], headers={"Content-Disposition": disposition})


@router.get("/compose/register-template", include_in_schema=False)
def register_template(template: str = Query("2021"), user: User = Depends(composer)) -> Response:
    from ..write.tally import build_register  # openpyxl: only when asked

    data = build_register("2019" if template == "2019" else "2021")
    disposition = f"attachment; filename*=UTF-8''{quote('依申请公开台账.xlsx')}"
    return Response(data, media_type=DOWNLOADS["xlsx"], headers={"Content-Disposition": disposition})


@router.post("/compose/publish", include_in_schema=False)
async def publish(request: Request, corpus: CorpusDep, lock: WriteLockDep, user: User = Depends(writer("writer"))):
    from ..render.official import official_html  # on demand, as the downloads

    form = await request.form()
    content, record = _latest(corpus, user, str(form.get("organ") or ""), str(form.get("year") or ""))
    broken = _checks(record)
    if broken:
        lines = "；".join(f"{c['where']}应为 {c['expected']}，实为 {c['found']}" for c in broken)
        raise HTTPProblem(422, f"表格不满足勾稽关系，不能发布：{lines}")
    source = official_html(record).encode("utf-8")
    record.meta.sha256 = fingerprint(content)
    record.meta.source = f"编制：{user.name}"
    try:
        with lock:
            added = await run_in_threadpool(corpus.add, record, source)
    except InvalidInput as exc:
        raise HTTPProblem(422, exc.problem) from None
    return RedirectResponse(f"{root_of(request)}/reports/{added.id}", status_code=303)
