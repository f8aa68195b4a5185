"""Accounts, sign-in and CSRF for the web app (issue #5 item 4).

Accounts live in the corpus database (table ``accounts``, created here: the store's schema has none) with
roles ``reviewer`` (upload, review findings, correct cells) and ``admin`` (also import the organ registry and
manage accounts). Passwords are hashed with scrypt. A signed cookie (itsdangerous) carries the session and
its CSRF token; every form and every htmx/fetch write sends the token back. Scripts may instead use HTTP
Basic credentials, which browsers never send on their own (no challenge is ever issued), so they need no token.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import hmac
import os
import re
import secrets
from dataclasses import dataclass

import sqlalchemy as sa
from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from itsdangerous import BadSignature, URLSafeTimedSerializer

from ..model import StoreError

ROLES = ("reviewer", "admin")
ROLE_ZH = {"reviewer": "审核员", "admin": "管理员"}
SESSION_COOKIE = "ogi_session"
CSRF_COOKIE = "ogi_csrf"
_SCRYPT = (2**14, 8, 1)  # n, r, p: ~50 ms and 16 MB per check, the usual interactive setting
_NAME = re.compile(r"^[\w.\-@\u4e00-\u9fff]{1,40}$")

meta = sa.MetaData()
accounts = sa.Table(
    "accounts", meta,
    sa.Column("name", sa.String(40), primary_key=True),
    sa.Column("role", sa.String(10), nullable=False),
    sa.Column("password", sa.String(200), nullable=False),
    sa.Column("created", sa.DateTime, nullable=False),
    sa.Column("last_login", sa.DateTime),
)
web_keys = sa.Table(
    "web_keys", meta,
    sa.Column("name", sa.String(40), primary_key=True),
    sa.Column("value", sa.String(200), nullable=False),
)


def hash_password(password: str) -> str:
    n, r, p = _SCRYPT
    salt = os.urandom(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=n, r=r, p=p, dklen=32)
    return f"scrypt${n}${r}${p}${salt.hex()}${digest.hex()}"


def check_password(password: str, stored: str) -> bool:
    try:
        kind, n, r, p, salt, digest = stored.split("$")
        if kind != "scrypt":
            return False
        got = hashlib.scrypt(password.encode(), salt=bytes.fromhex(salt), n=int(n), r=int(r), p=int(p),
                             dklen=len(digest) // 2)
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(got.hex(), digest)


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
        return ROLE_ZH.get(self.role, self.role)


class Accounts:
    """The ``accounts`` table: add, check, list; and the app's signing secret (``web_keys``)."""

    def __init__(self, engine: sa.Engine):
        self.engine = engine
        meta.create_all(engine, checkfirst=True)

    def add(self, name: str, password: str, role: str = "reviewer", *, replace: bool = False) -> None:
        if not _NAME.match(name):
            raise StoreError(name, "用户名只能包含字母、数字、汉字和 . - _ @，最长 40 个字符")
        if role not in ROLES:
            raise StoreError(name, f"未知角色 {role!r}（可选：{'、'.join(ROLES)}）")
        if len(password) < 8:
            raise StoreError(name, "密码至少 8 个字符")
        row = {"role": role, "password": hash_password(password)}
        with self.engine.begin() as conn:
            exists = conn.execute(sa.select(accounts.c.name).where(accounts.c.name == name)).first()
            if exists and not replace:
                raise StoreError(name, "该用户已存在（用 --replace 重设密码和角色）")
            if exists:
                conn.execute(accounts.update().where(accounts.c.name == name).values(**row))
            else:
                conn.execute(accounts.insert().values(name=name, created=_now(), **row))

    def get(self, name: str) -> dict | None:
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(accounts).where(accounts.c.name == name)).mappings().first()
        return dict(row) if row else None

    def check(self, name: str, password: str) -> dict | None:
        row = self.get(name)
        if row is None:
            check_password(password, hash_password("x" * 8))  # same cost whether or not the name exists
            return None
        if not check_password(password, row["password"]):
            return None
        with self.engine.begin() as conn:
            conn.execute(accounts.update().where(accounts.c.name == name).values(last_login=_now()))
        return row

    def list(self) -> list[dict]:
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(accounts.c.name, accounts.c.role, accounts.c.created,
                                          accounts.c.last_login).order_by(accounts.c.name)).mappings()
            return [dict(r) for r in rows]

    def secret(self) -> str:
        """A per-database random key, so sessions survive restarts without any configuration."""
        with self.engine.begin() as conn:
            value = conn.execute(sa.select(web_keys.c.value).where(web_keys.c.name == "session")).scalar()
            if value is None:
                value = secrets.token_hex(32)
                conn.execute(web_keys.insert().values(name="session", value=value))
        return value


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def _signer(request: Request, salt: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(request.app.state.secret, salt=salt)


def _max_age(request: Request) -> int:
    return int(request.app.state.settings.session_hours * 3600)


def _basic(request: Request) -> User | None:
    header = request.headers.get("authorization", "")
    if not header.lower().startswith("basic "):
        return None
    try:
        name, _, password = base64.b64decode(header[6:]).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return None
    row = request.app.state.accounts.check(name, password)
    return User(row["name"], row["role"], via="basic") if row else None


def current_user(request: Request) -> User | None:
    """The signed-in user of this request (session cookie or Basic credentials), cached per request."""
    if "user" in request.scope.get("state", {}):
        return request.state.user
    user = _basic(request)
    cookie = request.cookies.get(SESSION_COOKIE)
    if user is None and cookie:
        try:
            data = _signer(request, "session").loads(cookie, max_age=_max_age(request))
            row = request.app.state.accounts.get(data["u"])
            if row is not None and row["role"] == data["r"]:
                user = User(row["name"], row["role"], csrf=data["c"])
        except (BadSignature, KeyError, TypeError):
            user = None
    request.state.user = user
    return user


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
    if request.scope.get("state", {}).get("csrf_new"):
        response.set_cookie(CSRF_COOKIE, _signer(request, "csrf").dumps(request.state.csrf), httponly=True,
                            samesite="lax", secure=request.app.state.settings.secure_cookies, path=_path(request))


def _path(request: Request) -> str:
    return (request.scope.get("root_path") or "").rstrip("/") + "/"


class HTTPProblem(Exception):
    """A refusal shown as a Chinese page to people and as JSON to scripts (handled in app.py)."""

    def __init__(self, status: int, message: str, login: bool = False):
        self.status, self.message, self.login = status, message, login


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
    user = current_user(request)
    if user is not None and user.via == "basic":
        return
    if not hmac.compare_digest(await _sent_token(request), csrf_token(request)):
        raise HTTPProblem(403, "请求缺少有效的 CSRF 令牌，请刷新页面后重试")


def reader(request: Request) -> User | None:
    """Gate for every page and read endpoint: anonymous browsing unless the app is private."""
    user = current_user(request)
    if user is None and not request.app.state.settings.anonymous_read:
        raise HTTPProblem(401, "请先登录", login=True)
    return user


def writer(role: str = "reviewer"):
    """Gate for a write: signed in, with the role, not a read-only app, and a valid CSRF token."""

    async def gate(request: Request) -> User:
        user = current_user(request)
        if user is None:
            raise HTTPProblem(401, "修改数据需要先登录", login=True)
        if request.app.state.settings.read_only:
            raise HTTPProblem(403, "本站为只读模式，不能修改数据")
        if ROLES.index(user.role) < ROLES.index(role):
            raise HTTPProblem(403, f"需要{ROLE_ZH[role]}权限")
        await check_csrf(request)
        return user

    return gate


router = APIRouter()


@router.get("/login", include_in_schema=False)
def login_page(request: Request, next: str = "/"):
    from .web import render

    return render(request, "login.html", {"next": _safe_next(next), "error": None})


def _safe_next(target: str) -> str:
    """Only same-site paths: an open redirect would let a link send a reviewer anywhere after sign-in."""
    return target if target.startswith("/") and not target.startswith("//") and "\\" not in target else "/"


@router.post("/login", include_in_schema=False)
async def login(request: Request, name: str = Form(""), password: str = Form(""), next: str = Form("/")):
    from .web import render, root_of

    await check_csrf(request)
    row = request.app.state.accounts.check(name.strip(), password)
    if row is None:
        return render(request, "login.html", {"next": _safe_next(next), "error": "用户名或密码不正确"}, 401)
    response = RedirectResponse(root_of(request) + _safe_next(next), status_code=303)
    payload = {"u": row["name"], "r": row["role"], "c": secrets.token_urlsafe(24)}
    response.set_cookie(SESSION_COOKIE, _signer(request, "session").dumps(payload), max_age=_max_age(request),
                        httponly=True, samesite="lax", secure=request.app.state.settings.secure_cookies,
                        path=_path(request))
    return response


@router.post("/logout", include_in_schema=False)
async def logout(request: Request):
    from .web import root_of

    await check_csrf(request)
    response = RedirectResponse(root_of(request) + "/", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path=_path(request))
    return response


@router.get("/api/me", summary="当前用户（未登录时为 null）", tags=["账户"])
def me(request: Request, user: User | None = Depends(reader)) -> dict:
    return {"user": None if user is None else {"name": user.name, "role": user.role},
            "csrf_token": csrf_token(request), "read_only": request.app.state.settings.read_only}


@router.get("/users", include_in_schema=False)
def users_page(request: Request, user: User = Depends(reader)):
    from .web import render

    if user is None or not user.is_admin:
        raise HTTPProblem(403 if user else 401, "需要管理员权限", login=user is None)
    return render(request, "users.html", {"accounts": request.app.state.accounts.list(), "ROLE_ZH": ROLE_ZH,
                                          "message": request.query_params.get("msg")})


@router.post("/api/users", summary="新增或重设用户（管理员）", tags=["账户"])
async def add_user(request: Request, name: str = Form(...), password: str = Form(...),
                   role: str = Form("reviewer"), replace: bool = Form(False), user: User = Depends(writer("admin"))):
    from .web import from_page, json_response, root_of

    try:
        request.app.state.accounts.add(name.strip(), password, role, replace=replace)
    except StoreError as exc:
        raise HTTPProblem(422, exc.problem) from None
    if not from_page(request):
        return json_response({"name": name.strip(), "role": role}, 201)
    return RedirectResponse(root_of(request) + "/users?msg=已保存用户 " + name.strip(), status_code=303)
