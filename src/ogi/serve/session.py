"""What every request is served with: the app's settings, corpus and accounts (typed dependencies), the
signed-in user, CSRF, the role gates, and ``HTTPProblem`` (a refusal app.py shows as a page or as JSON).

A session is a row of the corpus (``Accounts.start_session``); its cookie holds only a random token, so signing
out or changing the password ends it everywhere, and a copied cookie of an ended session is refused. Every form
and every htmx/fetch write sends the session's CSRF token back. Scripts may instead use HTTP Basic credentials,
which browsers never send on their own (no challenge is ever issued), so they need no token; they are throttled
like the sign-in form.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import secrets
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.responses import Response
from itsdangerous import BadSignature, URLSafeTimedSerializer
from starlette.concurrency import run_in_threadpool

from ..corpus import Corpus
from ..corpus.accounts import ROLES, Accounts, rank

SESSION_COOKIE = "ogi_session"
CSRF_COOKIE = "ogi_csrf"


@dataclass(slots=True)
class Settings:
    """What ``ogi serve`` (or a test) can configure; defaults suit one reviewer on 127.0.0.1."""

    anonymous_read: bool = True  # browsing without signing in; writes always need an account
    read_only: bool = False  # refuse every write, even from signed-in users (a public mirror)
    max_upload_mb: float = 20  # one report file
    max_request_mb: float = 100  # one request (several files)
    max_files: int = 500  # one request; the upload page sends each file (of a folder too) in its own request
    secret: str | None = None  # signs the CSRF cookie given before sign-in; default: kept in the database
    session_hours: float = 12
    secure_cookies: bool = False  # always Secure; otherwise Secure (and HSTS) whenever the request came over HTTPS
    node_modules: Path | None = None  # where `npm ci` put htmx and echarts; default: the checkout's
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def max_upload_bytes(self) -> int:
        return int(self.max_upload_mb * 1024 * 1024)

    @property
    def max_request_bytes(self) -> int:
        return int(self.max_request_mb * 1024 * 1024)


class HTTPProblem(Exception):
    """A refusal shown as a Chinese page to people and as JSON to scripts (handled in app.py)."""

    def __init__(self, status: int, message: str, login: bool = False):
        self.status, self.message, self.login = status, message, login


@dataclass(frozen=True, slots=True)
class User:
    name: str
    role: str
    csrf: str = ""
    via: str = "session"  # session (cookie) or basic (script)

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    @property
    def role_zh(self) -> str:
        return ROLES.get(self.role, self.role)


def settings_of(request: Request) -> Settings:
    return request.app.state.settings


def corpus_of(request: Request) -> Corpus:
    return request.app.state.corpus


def accounts_of(request: Request) -> Accounts:
    return request.app.state.accounts


def write_lock_of(request: Request) -> threading.Lock:
    """One writer at a time: SQLite serialises writes anyway, and the store resolves organ names read-then-insert."""
    return request.app.state.write_lock


SettingsDep = Annotated[Settings, Depends(settings_of)]
CorpusDep = Annotated[Corpus, Depends(corpus_of)]
AccountsDep = Annotated[Accounts, Depends(accounts_of)]
WriteLockDep = Annotated[threading.Lock, Depends(write_lock_of)]


def _signer(request: Request, salt: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(request.app.state.secret, salt=salt)


def client_address(request: Request) -> str:
    """The address sign-in throttling counts: the peer's, or the proxy's forwarded one when ``ogi serve
    --proxy-headers`` trusts it (uvicorn then puts it in the scope)."""
    return request.client.host if request.client else "unknown"


def over_https(request: Request) -> bool:
    """Served over HTTPS: directly, or behind a proxy whose X-Forwarded-Proto the operator chose to trust."""
    return request.url.scheme == "https"


def _cookie_path(request: Request) -> str:
    return (request.scope.get("root_path") or "").rstrip("/") + "/"


def _basic(request: Request) -> User | None:
    header = request.headers.get("authorization", "")
    if not header.lower().startswith("basic "):
        return None
    try:
        name, _, password = base64.b64decode(header[6:]).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return None
    row = accounts_of(request).sign_in(name, password, client_address(request))  # TooManyAttempts → 429
    return User(row["name"], row["role"], via="basic") if row else None


def _from_cookie(request: Request) -> User | None:
    token = request.cookies.get(SESSION_COOKIE)
    row = accounts_of(request).session(token) if token and len(token) < 200 else None
    return User(row["name"], row["role"], csrf=row["csrf"]) if row else None


def current_user(request: Request) -> User | None:
    """The signed-in user of this request (session cookie or Basic credentials), cached per request. Basic
    credentials cost a scrypt: async code calls ``current_user_async``, which runs it off the event loop."""
    if "user" not in request.scope.get("state", {}):
        request.state.user = _basic(request) or _from_cookie(request)
    return request.state.user


async def current_user_async(request: Request) -> User | None:
    if "user" in request.scope.get("state", {}):
        return request.state.user
    return await run_in_threadpool(current_user, request)


def sign_in(request: Request, response: Response, account: dict) -> None:
    """Start a session for ``account`` (a row of Accounts.sign_in) with a fresh CSRF token."""
    hours = settings_of(request).session_hours
    token, _csrf = accounts_of(request).start_session(account["name"], hours)
    _set_cookie(request, response, SESSION_COOKIE, token, int(hours * 3600))


def _set_cookie(request: Request, response: Response, name: str, value: str, max_age: int | None = None) -> None:
    """Our cookies: out of scripts' reach, not sent by other sites' forms, scoped to the app's path."""
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        httponly=True,
        samesite="lax",
        secure=settings_of(request).secure_cookies or over_https(request),
        path=_cookie_path(request),
    )


def session_token(request: Request) -> str | None:
    return request.cookies.get(SESSION_COOKIE)


def sign_out(request: Request, response: Response) -> None:
    """End the session on the server (its cookie, even copied, no longer signs anyone in) and drop the cookie."""
    token = session_token(request)
    if token:
        accounts_of(request).end_session(token)
    response.delete_cookie(SESSION_COOKIE, path=_cookie_path(request))


def csrf_token(request: Request) -> str:
    """The token forms must send back: the session's, or before sign-in a random one kept in a cookie."""
    user = current_user(request)
    if user is not None and user.via == "session":
        return user.csrf
    if "csrf" not in request.scope.get("state", {}):
        token = None
        cookie = request.cookies.get(CSRF_COOKIE)
        if cookie:
            try:
                token = _signer(request, "csrf").loads(cookie)
            except BadSignature:
                token = None
        request.state.csrf = token or secrets.token_urlsafe(24)
        request.state.csrf_new = token is None
    return request.state.csrf


def remember_csrf(request: Request, response: Response) -> None:
    """Keep a token handed out before sign-in in its cookie, so the form that carries it is accepted."""
    if request.scope.get("state", {}).get("csrf_new"):
        _set_cookie(request, response, CSRF_COOKIE, _signer(request, "csrf").dumps(request.state.csrf))


async def _sent_token(request: Request) -> str:
    token = request.headers.get("x-csrf-token")
    if token:
        return token
    kind = request.headers.get("content-type", "")
    if kind.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        form = await request.form()
        return str(form.get("csrf_token") or "")
    return ""


async def check_csrf(request: Request) -> None:
    user = await current_user_async(request)
    if user is not None and user.via == "basic":
        return
    if not hmac.compare_digest(await _sent_token(request), csrf_token(request)):
        raise HTTPProblem(403, "请求缺少有效的 CSRF 令牌，请刷新页面后重试")


def reader(request: Request) -> User | None:
    """Gate for every page and read endpoint: anonymous browsing unless the app is private."""
    user = current_user(request)
    if user is None and not settings_of(request).anonymous_read:
        raise HTTPProblem(401, "请先登录", login=True)
    return user


def writer(role: str = "reviewer"):
    """Gate for a write: signed in, with the role, not a read-only app, and a valid CSRF token."""

    async def gate(request: Request) -> User:
        user = await current_user_async(request)
        if user is None:
            raise HTTPProblem(401, "修改数据需要先登录", login=True)
        if settings_of(request).read_only:
            raise HTTPProblem(403, "本站为只读模式，不能修改数据")
        if rank(user.role) < rank(role):
            raise HTTPProblem(403, f"需要{ROLES[role]}权限")
        await check_csrf(request)
        return user

    return gate
