"""The reviewer's web app (issue #5): ``create_app(db, settings)`` → a FastAPI application.

Pages in Chinese (Jinja2), the same data as JSON under ``/api`` (OpenAPI at ``/docs``), exports under
``/export``. htmx, ECharts and Swagger UI come from ``node_modules`` (``npm ci`` at set-up; never a CDN) and
are served under ``/static/vendor/``. Works at ``/`` or under a reverse proxy's prefix (``root_path``).
"""

from __future__ import annotations

import json
import os
import threading
from contextlib import asynccontextmanager
from pathlib import Path
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from ..corpus import Corpus
from ..corpus.accounts import TooManyAttempts
from ..model import InvalidInput, NotFound, OgiError, StoreError
from . import auth, campaign, compose, dashboard, pages, report, upload
from .session import HTTPProblem, Settings, over_https
from .web import HERE, render, root_of, wants_json

# URL name under /static/vendor/ → file inside node_modules (package.json pins the versions).
VENDOR = {
    "htmx.min.js": "htmx.org/dist/htmx.min.js",
    "echarts.min.js": "echarts/dist/echarts.min.js",
    "swagger-ui-bundle.js": "swagger-ui-dist/swagger-ui-bundle.js",
    "swagger-ui.css": "swagger-ui-dist/swagger-ui.css",
}
HSTS = "max-age=31536000"  # a year, as browsers' preload lists expect; sent only on responses served over HTTPS
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
)

# An error the library raised on purpose → the HTTP status that says what went wrong (the most specific class
# wins). NotFound, InvalidInput and StoreError carry a message meant for the user; other errors name their source.
ERROR_STATUS: dict[type[OgiError], int] = {NotFound: 404, InvalidInput: 422, StoreError: 503, OgiError: 422}


def node_modules(settings: Settings) -> Path:
    """Where `npm ci` installed the front-end packages: setting, $OGI_NODE_MODULES, the checkout, the cwd."""
    candidates = [
        settings.node_modules,
        os.environ.get("OGI_NODE_MODULES"),
        HERE.parents[2] / "node_modules",
        Path.cwd() / "node_modules",
    ]
    for c in candidates:
        if c and (Path(c) / "htmx.org").is_dir():
            return Path(c)
    return HERE.parents[2] / "node_modules"


class BodyLimit:
    """Refuse a request body over the limit with 413 before anything parses it (uploads are spooled to disk)."""

    def __init__(self, app, limit: int):
        self.app, self.limit = app, limit

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            return await self.app(scope, receive, send)
        length = dict(scope["headers"]).get(b"content-length")
        if length is not None and length.isdigit() and int(length) > self.limit:
            return await _too_large(scope, send, self.limit)
        state = {"seen": 0, "over": False, "answered": False}

        async def counted():
            message = await receive()
            if message["type"] == "http.request":
                state["seen"] += len(message.get("body", b""))
                if state["seen"] > self.limit:  # a body sent without Content-Length: stop reading it
                    state["over"] = True
                    return {"type": "http.disconnect"}
            return message

        async def guarded(message):
            if not state["over"]:
                return await send(message)
            if not state["answered"]:
                state["answered"] = True
                await _too_large(scope, send, self.limit)

        try:
            await self.app(scope, counted, guarded)
        except Exception:
            if not state["over"]:
                raise
        if state["over"] and not state["answered"]:
            await _too_large(scope, send, self.limit)


class PrefixTolerant:
    """The reverse-proxy prefix: taken from the server (uvicorn --root-path) or from ``create_app``; behind a
    proxy that keeps the prefix (/ogi/reports reaching us as such) the doubled prefix uvicorn then produces
    is dropped, so stripping and non-stripping proxies both work."""

    def __init__(self, app, root: str = ""):
        self.app, self.root = app, root

    async def __call__(self, scope, receive, send):
        if scope["type"] not in ("http", "websocket"):
            return await self.app(scope, receive, send)
        if self.root and not scope.get("root_path"):
            path = scope["path"]
            scope = dict(
                scope, root_path=self.root, path=path if path.startswith(self.root + "/") else self.root + path
            )
        root = (scope.get("root_path") or "").rstrip("/")
        if root and scope["path"].startswith(root + root + "/"):
            scope = dict(scope, path=scope["path"][len(root) :])
        return await self.app(scope, receive, send)


async def _too_large(scope, send, limit: int) -> None:
    body = json.dumps(
        {"error": f"请求超过 {limit // (1024 * 1024)} MB 的上限", "status": 413}, ensure_ascii=False
    ).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", b"application/json; charset=utf-8"),
                (b"connection", b"close"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


SERVE_ENV = "OGI_SERVE"  # what `ogi serve --workers N` hands its worker processes (JSON: db, root_path, settings)


def from_environment() -> FastAPI:
    """The app of one worker of ``ogi serve --workers N`` (uvicorn imports this by name in every worker)."""
    config = json.loads(os.environ[SERVE_ENV])
    return create_app(config["db"], Settings(**config["settings"]), root_path=config["root_path"])


def create_app(
    db: str | os.PathLike | Corpus | None = None, settings: Settings | None = None, root_path: str = ""
) -> FastAPI:
    """The app over the corpus ``db`` (a path, a URL, an open Corpus, or None for $OGI_DB / ./ogi.db)."""
    settings = settings or Settings()
    corpus = db if isinstance(db, Corpus) else Corpus(db)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        yield
        if not isinstance(db, Corpus):
            corpus.close()

    app = FastAPI(
        title="ogi 政府信息公开工作年度报告审核",
        version="1",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        openapi_url="/openapi.json",
        description="报告、审核发现、更正、统计与导出的 JSON 接口。写操作需要登录（会话 Cookie 加 "
        "X-CSRF-Token 请求头，或 HTTP Basic 认证）。",
    )
    app.state.settings = settings
    app.state.corpus = corpus
    app.state.accounts = corpus.accounts
    app.state.write_lock = threading.Lock()
    app.state.secret = settings.secret or os.environ.get("OGI_SECRET") or app.state.accounts.secret()
    modules = node_modules(settings)
    app.state.node_modules = modules
    app.state.vendor = {name: (modules / rel).is_file() for name, rel in VENDOR.items()}

    @app.middleware("http")
    async def security_headers(request: Request, call_next):
        response = await call_next(request)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("Content-Security-Policy", CSP)
        if over_https(request):
            response.headers.setdefault("Strict-Transport-Security", HSTS)
        return response

    app.add_middleware(BodyLimit, limit=settings.max_request_bytes)
    app.add_middleware(PrefixTolerant, root=root_path.rstrip("/"))
    _errors(app)
    _static(app, modules)
    for module in (pages, report, dashboard, upload, compose, auth, campaign):
        app.include_router(module.router)
    return app


def _static(app: FastAPI, modules: Path) -> None:
    @app.get("/static/vendor/{name}", include_in_schema=False)
    def vendor(name: str):
        if name not in VENDOR or not (modules / VENDOR[name]).is_file():
            raise HTTPProblem(404, f"前端依赖 {name} 未安装（请在项目目录运行 npm ci）")
        media = "text/css" if name.endswith(".css") else "text/javascript"
        return FileResponse(
            modules / VENDOR[name], media_type=media, headers={"Cache-Control": "public, max-age=86400"}
        )

    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")

    @app.get("/docs", include_in_schema=False)
    def docs(request: Request) -> HTMLResponse:
        return render(request, "docs.html", {})


def _ogi_problem(request: Request, exc: OgiError):
    kind = next(k for k in type(exc).__mro__ if k in ERROR_STATUS)
    message = f"{exc.source}：{exc.problem}" if kind is OgiError else exc.problem
    return _problem(request, ERROR_STATUS[kind], message)


def _problem(request: Request, status: int, message: str, login: bool = False):
    if wants_json(request):
        headers = {"WWW-Authenticate": 'Cookie realm="ogi"'} if status == 401 else None
        return JSONResponse({"error": message, "status": status}, status_code=status, headers=headers)
    if login and request.method == "GET":
        target = request.url.path[len(root_of(request)) :] + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"{root_of(request)}/login?next={quote(target)}", status_code=303)
    return render(request, "error.html", {"status": status, "message": message}, status)


def _errors(app: FastAPI) -> None:
    @app.exception_handler(HTTPProblem)
    async def problem(request: Request, exc: HTTPProblem):
        return _problem(request, exc.status, exc.message, exc.login)

    @app.exception_handler(OgiError)
    async def ogi_error(request: Request, exc: OgiError):
        return _ogi_problem(request, exc)

    @app.exception_handler(TooManyAttempts)
    async def throttled(request: Request, exc: TooManyAttempts):
        response = _problem(request, 429, auth.too_many_attempts(exc))
        response.headers["Retry-After"] = str(exc.retry_after)
        return response

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError):
        fields = "；".join(f"{'.'.join(str(x) for x in e['loc'][1:]) or '请求'}：{e['msg']}" for e in exc.errors())
        if wants_json(request):
            # Where and what only: an error's "ctx" may hold an exception object (not JSON: it gave 500, found by
            # schemathesis) and its "input" would echo whatever was sent, a file's content included.
            detail = [{"loc": list(e["loc"]), "msg": e["msg"], "type": e["type"]} for e in exc.errors()]
            return JSONResponse({"error": f"请求参数有误：{fields}", "status": 422, "detail": detail}, status_code=422)
        return render(request, "error.html", {"status": 422, "message": f"请求参数有误：{fields}"}, 422)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException):
        known = {400: f"请求格式有误，无法解析（{exc.detail}）", 404: "页面不存在", 405: "不支持此请求方法"}
        message = known.get(exc.status_code, str(exc.detail))
        return _problem(request, exc.status_code, message)
