"""One dict, three faces (datasette style, architecture example 13): every page's data function returns a dict;
``view`` registers it as an HTML page (Jinja2, Chinese), a JSON endpoint under ``/api`` (documented by the
OpenAPI page) and a CSV/XLSX export under ``/export`` of the tables the page shows (``data["tables"]``).
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse, JSONResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape

from ..corpus import Filters
from ..model import (
    REPORT_STATUS_ZH,
    REPORT_STATUSES,
    RESOLVED_ZH,
    REVIEW_STATUS_ZH,
    REVIEW_STATUSES,
    SEVERITY_ZH,
    Severity,
)
from ..normalise import to_simplified
from .exports import export
from .session import csrf_token, current_user, remember_csrf, settings_of

HERE = Path(__file__).parent
ExportFormat = Literal["csv", "xlsx"]
# The largest id a row can have: the id columns are INTEGER, 32 bits on PostgreSQL. Every id in a path is this type,
# so 2^64, 2^31, -1 or "abc" answers 422 before any query is built (they gave 500 — issue 15 item 12).
ID_MAX = 2**31 - 1
Id = Annotated[int, PathParam(ge=1, le=ID_MAX, description="编号（正整数）")]


def _number(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return "" if math.isnan(value) else (str(int(value)) if value.is_integer() else f"{value:.4g}")
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value)


def _percent(value) -> str:
    return "" if value is None else f"{value * 100:.1f}%"


def _json_default(value):
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, (set, tuple)):
        return list(value)
    if hasattr(value, "model_dump"):
        return value.model_dump(mode="json")
    if hasattr(value, "__dataclass_fields__"):
        return {k: getattr(value, k) for k in value.__dataclass_fields__}
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def to_json(data: Any) -> Any:
    """Plain JSON values (dates as ISO strings, decimals as numbers)."""
    return json.loads(json.dumps(data, default=_json_default, ensure_ascii=False))


def json_response(data: dict, status_code: int = 200) -> JSONResponse:
    return JSONResponse(to_json({k: v for k, v in data.items() if not k.startswith("_")}), status_code=status_code)


templates = Environment(
    loader=FileSystemLoader(HERE / "templates"),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)
templates.filters["num"] = _number
templates.filters["pct"] = _percent
templates.filters["severity_zh"] = lambda s: SEVERITY_ZH.get(Severity(s), s) if s in Severity.__members__ else s
templates.globals["STATUS_ZH"] = REVIEW_STATUS_ZH
templates.globals["RESOLVED_ZH"] = RESOLVED_ZH
templates.globals["REPORT_STATUS_ZH"] = REPORT_STATUS_ZH
templates.globals["TEMPLATE_ZH"] = {"2019": "2019版", "2021": "2021版"}


def root_of(request: Request) -> str:
    """The prefix a reverse proxy mounts the app under ("" when served directly)."""
    return (request.scope.get("root_path") or "").rstrip("/")


def wants_json(request: Request) -> bool:
    path = request.scope.get("path", "")
    root = root_of(request)
    path = path[len(root) :] if root and path.startswith(root) else path
    return path.startswith(("/api/", "/export/")) or "application/json" in request.headers.get("accept", "")


def from_page(request: Request) -> bool:
    """A write sent by a page (form or htmx) gets a redirect back; a script gets JSON."""
    return "text/html" in request.headers.get("accept", "") or bool(request.headers.get("hx-request"))


def render(request: Request, name: str, data: dict, status_code: int = 200) -> HTMLResponse:
    user = current_user(request)
    root = root_of(request)
    here = request.url.path[len(root) :] if root and request.url.path.startswith(root) else request.url.path
    context = dict(
        data,
        request=request,
        user=user,
        settings=settings_of(request),
        root=root,
        here=here,
        csrf=csrf_token(request),
        path=request.url.path,
        query=request.url.query,
        vendor=request.app.state.vendor,
    )
    html = templates.get_template(name).render(context)
    response = HTMLResponse(html, status_code=status_code)
    remember_csrf(request, response)
    return response


def _nothing_more() -> dict:
    return {}


def view(
    router: APIRouter,
    path: str,
    data: Callable,
    template: str,
    *,
    name: str,
    summary: str,
    extra: Callable[..., dict] = _nothing_more,
    exports: bool = True,
    tag: str = "浏览",
) -> None:
    """Register ``data`` (a FastAPI dependency returning a dict) as page, JSON and export; ``extra`` (a dependency,
    usually on ``data`` itself, which FastAPI then computes once) adds what only the page shows."""

    def as_json(payload: dict = Depends(data)) -> JSONResponse:
        return json_response(payload)

    def as_html(request: Request, payload: dict = Depends(data), more: dict = Depends(extra)) -> HTMLResponse:
        return render(request, template, payload | more)

    def as_file(
        fmt: ExportFormat,
        table: str | None = Query(None, description="导出哪一张表（CSV 只含一张；默认第一张）"),
        payload: dict = Depends(data),
    ) -> Response:
        return export(payload.get("tables") or {}, fmt, table, name)

    api = "/api" + (path if path != "/" else "")
    router.add_api_route(api, as_json, methods=["GET"], name=f"api_{name}", summary=summary, tags=[tag])
    router.add_api_route(path, as_html, methods=["GET"], name=name, include_in_schema=False)
    if exports:
        router.add_api_route(
            f"/export{path}.{{fmt}}",
            as_file,
            methods=["GET"],
            name=f"export_{name}",
            summary=f"导出：{summary}（CSV 或 XLSX）",
            tags=["导出"],
        )


def table(title: str, columns: list[tuple[str, str]], rows: list[dict]) -> dict:
    """A table as pages show it and exports write it: (key, Chinese heading) columns over row dicts."""
    return {"title": title, "columns": [list(c) for c in columns], "rows": rows}


def _clean(text: str | None) -> str | None:
    text = (text or "").strip()
    return to_simplified(text) if text else None


def filters(
    year: str | None = Query(None, description="报告年度，如 2021"),
    province: str | None = Query(None, description="省"),
    city: str | None = Query(None, description="市"),
    county: str | None = Query(None, description="县(区)"),
    township: str | None = Query(None, description="乡镇(街道)"),
    organ: str | None = Query(None, description="机关名称（全称或部分，简体或繁体）"),
    template: str | None = Query(None, description="格式：2019 或 2021"),
    rule: str | None = Query(None, description="审核规则编号，如 T3-BALANCE"),
    severity: str | None = Query(None, description="级别：error / warning / info"),
    status: str | None = Query(None, description="审核状态：open / confirmed / dismissed"),
    q: str | None = Query(None, description="在机关名、标题和文件名中搜索"),
    review: str | None = Query(
        None, description="报告审核状态：pending 待审 / reviewing 审核中 / returned 退回整改 / passed 通过"
    ),
    assignee: str | None = Query(None, description="分配给哪位审核人"),
    versions: bool = Query(False, description="包括已被新版本替代的旧版本"),
    reading: bool = Query(False, description="只看有待核对的读取问题的报告（ogi 未能读准的内容）"),
) -> Filters:
    """Query parameters → the corpus's Filters; empty form fields mean "any" (an HTML form sends year= when
    blank), and values outside their choices are ignored rather than refused."""
    return Filters(
        year=year_of(year),
        province=_clean(province),
        city=_clean(city),
        county=_clean(county),
        township=_clean(township),
        organ=_clean(organ),
        template=template if template in ("2019", "2021") else None,
        rule=_clean(rule),
        severity=severity if severity in Severity.__members__ else None,
        status=status if status in REVIEW_STATUSES else None,
        q=_clean(q),
        review=review if review in REPORT_STATUSES else None,
        assignee=(assignee or "").strip() or None,
        versions=versions,
        reading=reading,
    )


def file_name(source: str | None) -> str:
    """What the web shows of where a report came from: the file's name, never the server's folders (issue 15
    item 13). Ingested paths may be POSIX or Windows ones, so both separators end a folder."""
    return re.split(r"[\\/]", source or "")[-1]


def year_of(text: str | None) -> int | None:
    """A year typed in a query: four ASCII digits, else "any" (not int(): "²" is a digit to str.isdigit)."""
    text = (text or "").strip()
    return int(text) if len(text) == 4 and text.isascii() and text.isdigit() else None


FiltersDep = Annotated[Filters, Depends(filters)]
