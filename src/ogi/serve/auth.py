"""Sign-in, sign-out and account management pages of the web app (issue #5 item 4).

The session, CSRF and role gates these routes use are in session.py; the accounts table is accounts.py.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse

from ..corpus.accounts import ROLE_ZH
from .session import (
    AccountsDep,
    HTTPProblem,
    SettingsDep,
    User,
    check_csrf,
    csrf_token,
    reader,
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
    account = accounts.check(name.strip(), password)
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
        {"accounts": accounts.list(), "ROLE_ZH": ROLE_ZH, "message": request.query_params.get("msg")},
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
    accounts.add(name.strip(), password, role, replace=replace)  # InvalidInput → 422 (app.py)
    if not from_page(request):
        return json_response({"name": name.strip(), "role": role}, 201)
    return RedirectResponse(root_of(request) + "/users?msg=已保存用户 " + name.strip(), status_code=303)
