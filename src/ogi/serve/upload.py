"""Upload reports (the same parsing as ``ogi parse``) and import the organ registry, within size and type limits.

Each file of an upload is answered on its own: a file that cannot be read is recorded as a failure (listed on the
failures page) and the others are stored all the same — one bad file never turns the batch into an error page.
"""

from __future__ import annotations

import hashlib
import logging
import queue
import tempfile
import threading
from concurrent.futures import Future
from pathlib import Path

from fastapi import APIRouter, Depends, File, Request, UploadFile
from fastapi.responses import RedirectResponse
from starlette.concurrency import run_in_threadpool

from ..corpus import Corpus
from ..model import InvalidInput, OgiError, Record
from ..pipeline import PARSER_VERSION, batch_mode, parse
from ..pool import TICK, Failed, Limits, Pool, PoolError
from ..read import sniff
from .session import CorpusDep, HTTPProblem, SettingsDep, User, WriteLockDep, reader, writer
from .web import file_name, from_page, json_response, render, root_of

router = APIRouter()
log = logging.getLogger(__name__)
# What a report may be (spec §1: web pages, Word/WPS, PDF, text); the content is sniffed as well.
EXTENSIONS = {
    ".txt",
    ".text",
    ".md",
    ".htm",
    ".html",
    ".shtml",
    ".mht",
    ".mhtml",
    ".docx",
    ".doc",
    ".wps",
    ".pdf",
    ".xlsx",
    ".xls",
    ".odt",
    ".rtf",
}
KINDS = {"text", "html", "mht", "docx", "xlsx", "pdf", "doc", "odf"}
REGISTRY_EXTENSIONS = {".csv", ".xlsx"}
CHUNK = 1 << 20


@router.get("/upload", include_in_schema=False)
def upload_page(request: Request, settings: SettingsDep, _user: User | None = Depends(reader)):
    return render(
        request,
        "upload.html",
        {"extensions": sorted(EXTENSIONS), "max_mb": settings.max_upload_mb, "max_files": settings.max_files},
    )


async def read_limited(upload: UploadFile, limit: int) -> bytes | None:
    """The file's bytes, or None when it is larger than ``limit`` (read no further than that)."""
    parts, size = [], 0
    while chunk := await upload.read(CHUNK):
        size += len(chunk)
        if size > limit:
            return None
        parts.append(chunk)
    return b"".join(parts)


def _refusal(name: str, status: int, message: str) -> dict:
    return {"name": name, "ok": False, "status": status, "error": message}


def check_type(name: str, data: bytes, extensions: set[str] = EXTENSIONS) -> str | None:
    """Why a file is refused (None when acceptable): its extension and its content must both be a report's."""
    suffix = Path(name).suffix.lower()
    if suffix not in extensions:
        return f"不支持的文件类型“{suffix or '无扩展名'}”（可上传：{'、'.join(sorted(extensions))}）"
    if extensions is EXTENSIONS and sniff(data) not in KINDS:
        return "文件内容不是文本、网页、Word、PDF 或 Excel 文档"
    return None


def _failed(corpus: Corpus, lock: threading.Lock, name: str, sha: str, error: str, reason: str) -> dict:
    with lock:
        corpus.record_failure(name, sha, error, reason, PARSER_VERSION)
    return _refusal(name, 422, reason)


def parse_file(item: tuple[bytes, str]) -> Record | tuple[str, str]:
    """In a parser process: the record of one uploaded file, or (error, Chinese reason) when it cannot be read."""
    data, name = item
    try:
        return parse(data, name)
    except OgiError as exc:
        return type(exc).__name__, exc.problem
    except RecursionError:  # pathological nesting in hostile input, as in the CLI
        return "OgiError", "文件结构异常，无法解析"
    except Exception as exc:  # a reader library's own failure on hostile bytes: this file fails, the batch goes on
        log.exception("reading uploaded file %s", name)
        return "ReadError", f"读取此文件时出错（{type(exc).__name__}），文件可能已损坏；其他文件不受影响"


# Uploads are parsed in child processes, each file under the same time and memory budget as in ``ogi ingest``
# (pool.Limits): a file that would hang the parser or exhaust memory is stopped and recorded, and the web
# server itself never runs a reader. PARSERS threads, started once and kept for the life of the server
# process, each own a single-worker pool and take files from one queue: a worker is tied to the thread that
# started it (it ends with that thread, pool.py), so request threads, which come and go, never start one.
PARSERS = 2
UPLOAD_LIMITS = Limits(seconds=120.0, memory_mb=2048)
_jobs: queue.Queue[tuple[bytes, str, Future]] = queue.Queue()
_parsers: list[threading.Thread] = []
_parsers_lock = threading.Lock()


def _parser() -> None:
    pool = Pool(parse_file, 1, limits=UPLOAD_LIMITS, init=batch_mode)
    while True:
        data, name, answer = _jobs.get()
        pool.limits = UPLOAD_LIMITS  # read each time: the budget is the module's setting
        try:
            answer.set_result(_parse_with(pool, data, name))
        except BaseException as exc:  # handed to the request that waits for it
            answer.set_exception(exc)


def _parse_with(pool: Pool, data: bytes, name: str) -> Record | tuple[str, str]:
    try:
        for item, result in pool.run([(data, name)]):
            if item is TICK:
                continue
            return (result.error, result.reason) if isinstance(result, Failed) else result
    except PoolError as exc:
        return "ReadError", str(exc)
    return "ReadError", "解析进程没有返回结果"


def parse_in_child(data: bytes, name: str) -> Record | tuple[str, str]:
    """``parse_file`` in a parser process; a stopped worker's file comes back as (error, reason)."""
    with _parsers_lock:
        while len(_parsers) < PARSERS:
            thread = threading.Thread(target=_parser, name="ogi-upload-parser", daemon=True)
            thread.start()
            _parsers.append(thread)
    answer: Future = Future()
    _jobs.put((data, name, answer))
    return answer.result()


def ingest_one(corpus: Corpus, lock: threading.Lock, name: str, data: bytes, root: str) -> dict:
    """Parse and store one file; a file that cannot be read is recorded with its reason (listed apart).
    Files are parsed in parallel and written one at a time (the store resolves organ names on write)."""
    sha = hashlib.sha256(data).hexdigest()
    parsed = parse_in_child(data, name)
    if not isinstance(parsed, Record):
        return _failed(corpus, lock, name, sha, *parsed)
    record = parsed
    record.meta.source = name
    record.meta.sha256 = sha
    try:
        with lock:
            added = corpus.add(record, data)
    except OgiError as exc:  # the store refused (e.g. the database is unavailable): say so for this file
        return _refusal(name, 503, f"保存失败：{exc.problem}")
    counts = {s: sum(1 for f in record.findings if f.severity.value == s) for s in ("error", "warning", "info")}
    return {
        "name": name,
        "ok": True,
        "status": 200,
        "id": added.id,
        "result": added.status,
        "organ": record.meta.organ,
        "year": record.meta.year,
        "template": record.meta.template,
        "findings": counts,
        "url": f"{root}/reports/{added.id}",
    }


@router.post("/api/upload", summary="上传一份或多份报告：解析、审核并入库（与命令行相同的解析）", tags=["审核"])
async def upload(
    request: Request,
    corpus: CorpusDep,
    lock: WriteLockDep,
    settings: SettingsDep,
    files: list[UploadFile] = File(..., description="报告文件，可多份"),
    user: User = Depends(writer()),
):
    if len(files) > settings.max_files:
        raise HTTPProblem(
            413,
            f"一次最多上传 {settings.max_files} 个文件（本次 {len(files)} 个）：请分批上传，"
            "或用上传页面（逐个文件上传，文件夹也可以），或在服务器上用命令 ogi ingest 文件夹 入库",
        )
    results = []
    for upload_file in files:
        name = file_name(upload_file.filename)[:200] or "未命名"  # a browser may send a folder path: not kept
        data = await read_limited(upload_file, settings.max_upload_bytes)
        if data is None:
            results.append(_refusal(name, 413, f"文件超过 {settings.max_upload_mb:g} MB 的上限"))
            continue
        problem = check_type(name, data)
        if problem:
            results.append(_refusal(name, 415, problem))
            continue
        results.append(await run_in_threadpool(ingest_one, corpus, lock, name, data, root_of(request)))
    ok = [r for r in results if r["ok"]]
    status = 200 if ok else results[0]["status"]
    if from_page(request) and ok and len(results) == 1:
        return RedirectResponse(ok[0]["url"], status_code=303)
    return json_response({"results": results, "added": len(ok), "failed": len(results) - len(ok)}, status)


def _import(corpus: Corpus, lock: threading.Lock, path: Path) -> int:
    with lock:
        return corpus.import_organs(path)


@router.post(
    "/api/organs/import", summary="导入机关名录（CSV 或 XLSX：名称、别名、省、市、县、类型…）（管理员）", tags=["审核"]
)
async def import_registry(
    request: Request,
    corpus: CorpusDep,
    lock: WriteLockDep,
    settings: SettingsDep,
    file: UploadFile = File(..., description="机关名录"),
    user: User = Depends(writer("admin")),
):
    name = Path(file.filename or "名录.csv").name
    data = await read_limited(file, settings.max_upload_bytes)
    if data is None:
        raise HTTPProblem(413, "机关名录文件过大")
    problem = check_type(name, data, REGISTRY_EXTENSIONS)
    if problem:
        raise HTTPProblem(415, problem)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"registry{Path(name).suffix.lower()}"
        path.write_bytes(data)
        try:
            count = await run_in_threadpool(_import, corpus, lock, path)
        except InvalidInput as exc:  # the temporary path means nothing to the user: name the uploaded file
            raise InvalidInput(name, f"{name}：{exc.problem}") from None
    if from_page(request):
        return RedirectResponse(f"{root_of(request)}/coverage?msg=已导入 {count} 个机关", status_code=303)
    return json_response({"imported": count})
