"""Sign-in, sign-out and account management pages of the web app (issue #5 item 4).

The session, CSRF and role gates these routes use are in session.py; the accounts table is accounts.py.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse
from starlette.concurrency import run_in_threadpool

from ..corpus.accounts import ROLES, TooManyAttempts
from ..model import InvalidInput
from .session import (
    AccountsDep,
    HTTPProblem,
    SettingsDep,
    User,
    check_csrf,
    client_address,
    csrf_token,
    reader,
    session_token,
    sign_in,
    sign_out,
    writer,
)
from .web import from_page, json_response, render, root_of

router = APIRouter()


def _safe_next(target: str) -> str:
    """Only same-site paths: an open redirect would let a link send a reviewer anywhere after sign-in."""
    return target if target.startswith("/") and not target.startswith("//") and "\\" not in target else "/"


@router.get("/login", include_in_schema=False)
def login_page(request: Request, next: str = "/"):
    return render(request, "login.html", {"next": _safe_next(next), "error": None})


@router.post("/login", include_in_schema=False)
async def login(
    request: Request, accounts: AccountsDep, name: str = Form(""), password: str = Form(""), next: str = Form("/")
):
    await check_csrf(request)
    try:  # scrypt takes ~50 ms of CPU: in a thread, so that other requests are served meanwhile
        account = await run_in_threadpool(accounts.sign_in, name.strip(), password, client_address(request))
    except TooManyAttempts as exc:
        context = {"next": _safe_next(next), "error": too_many_attempts(exc)}
        refused = render(request, "login.html", context, 429)
        refused.headers["Retry-After"] = str(exc.retry_after)
        return refused
    if account is None:
        return render(request, "login.html", {"next": _safe_next(next), "error": "用户名或密码不正确"}, 401)
    response = RedirectResponse(root_of(request) + _safe_next(next), status_code=303)
    sign_in(request, response, account)
    return response


@router.post("/logout", include_in_schema=False)
async def logout(request: Request):
    await check_csrf(request)
    response = RedirectResponse(root_of(request) + "/", status_code=303)
    sign_out(request, response)
    return response


def too_many_attempts(exc: TooManyAttempts) -> str:
    return f"登录失败次数过多，请 {max(1, -(-exc.retry_after // 60))} 分钟后再试"


@router.get("/account", include_in_schema=False)
def account_page(request: Request, user: User | None = Depends(reader)):
    if user is None:
        raise HTTPProblem(401, "请先登录", login=True)
    return render(request, "account.html", {"message": request.query_params.get("msg"), "error": None})


@router.post("/api/password", summary="修改自己的密码（其他会话随之失效）", tags=["账户"])
def change_password(
    request: Request,
    accounts: AccountsDep,
    current: str = Form(..., description="当前密码"),
    new: str = Form(..., description="新密码，至少 8 个字符"),
    user: User = Depends(writer()),
):
    # The current password again (throttled like the sign-in form): a session left open must not take the account.
    if accounts.sign_in(user.name, current, client_address(request)) is None:
        raise InvalidInput(user.name, "当前密码不正确")
    accounts.set_password(user.name, new, keep_session=session_token(request))
    if from_page(request):
        return RedirectResponse(root_of(request) + "/account?msg=密码已修改，其他设备上的登录已失效", status_code=303)
    return json_response({"name": user.name, "changed": True})


@router.get("/api/me", summary="当前用户（未登录时为 null）", tags=["账户"])
def me(request: Request, settings: SettingsDep, user: User | None = Depends(reader)) -> dict:
    return {
        "user": None if user is None else {"name": user.name, "role": user.role},
        "csrf_token": csrf_token(request),
        "read_only": settings.read_only,
    }


@router.get("/users", include_in_schema=False)
def users_page(request: Request, accounts: AccountsDep, user: User = Depends(reader)):
    if user is None or not user.is_admin:
        raise HTTPProblem(403 if user else 401, "需要管理员权限", login=user is None)
    return render(
        request,
        "users.html",
        {"accounts": accounts.list(), "ROLES": ROLES, "message": request.query_params.get("msg")},
    )


@router.post("/api/users", summary="新增或重设用户（管理员）", tags=["账户"])
async def add_user(
    request: Request,
    accounts: AccountsDep,
    name: str = Form(...),
    password: str = Form(...),
    role: str = Form("reviewer"),
    replace: bool = Form(False),
    user: User = Depends(writer("admin")),
):
    # scrypt in a thread, off the event loop; InvalidInput → 422 (app.py)
    await run_in_threadpool(lambda: accounts.add(name.strip(), password, role, replace=replace))
    if not from_page(request):
        return json_response({"name": name.strip(), "role": role}, 201)
    return RedirectResponse(root_of(request) + "/users?msg=已保存用户 " + name.strip(), status_code=303)
