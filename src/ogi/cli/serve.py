"""``ogi serve`` (the web app on 127.0.0.1) and ``ogi user add|list`` (accounts for it).

The web app and the corpus are imported inside the commands: FastAPI, uvicorn and SQLAlchemy take
about 0.8 s to import, which the other commands must not pay for.
"""

from __future__ import annotations

import sys

import typer

from .app import app, console, errors, exit_on_error

_DB = typer.Option(None, "--db", envvar="OGI_DB", help="语料库（默认 ./ogi.db）")

user_app = typer.Typer(help="网页界面的用户（审核员、管理员）", no_args_is_help=True)
app.add_typer(user_app, name="user")


@app.command("serve")
def serve_command(
    db: str | None = _DB,
    host: str = typer.Option("127.0.0.1", "--host", help="监听地址（默认只在本机）"),
    port: int = typer.Option(8000, "--port", help="端口"),
    root_path: str = typer.Option("", "--root-path", help="反向代理下的路径前缀，如 /ogi"),
    private: bool = typer.Option(False, "--private", help="浏览也需要登录（默认任何人可只读浏览）"),
    read_only: bool = typer.Option(False, "--read-only", help="只读：不接受任何修改（上传、审核、更正）"),
    max_upload_mb: float = typer.Option(20, "--max-upload-mb", help="单个上传文件的大小上限（MB）"),
    secure_cookies: bool = typer.Option(
        False, "--secure-cookies", help="只通过 HTTPS 发送登录 Cookie（反向代理提供 HTTPS 时）"
    ),
) -> None:
    """启动网页界面和 HTTP 接口（接口文档在 /docs）。"""
    # FastAPI, uvicorn and the corpus: only when this command runs
    import uvicorn

    from ..serve import Settings, create_app  # FastAPI and the corpus (~0.5 s): only when serving

    prefix = root_path.rstrip("/")
    settings = Settings(
        anonymous_read=not private,
        read_only=read_only,
        max_upload_mb=max_upload_mb,
        max_request_mb=max(100, max_upload_mb * 2),
        secure_cookies=secure_cookies,
    )
    with exit_on_error():
        web = create_app(db, settings, root_path=prefix)
    if not all(web.state.vendor.values()):
        errors.print("[yellow]前端依赖未安装：在项目目录运行 npm ci（图表和部分交互将不可用）[/yellow]")
    console.print(f"网页界面：http://{host}:{port}{prefix}/    接口文档：/docs    按 Ctrl+C 停止")
    uvicorn.run(
        web,
        host=host,
        port=port,
        root_path=prefix,
        proxy_headers=True,
        forwarded_allow_ips="127.0.0.1",
        log_level="warning",
    )


@user_app.command("add")
def user_add(
    name: str = typer.Argument(..., help="用户名"),
    role: str = typer.Option("reviewer", "--role", help="角色：writer（编写人）、reviewer（审核员）或 admin（管理员）"),
    password_stdin: bool = typer.Option(False, "--password-stdin", help="从标准输入读取密码（一行）"),
    replace: bool = typer.Option(False, "--replace", help="用户已存在时重设密码和角色"),
    db: str | None = _DB,
) -> None:
    """新增网页界面用户（密码以 scrypt 散列保存）。"""
    from ..corpus import Corpus  # SQLAlchemy: only when this command runs

    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = typer.prompt("密码", hide_input=True, confirmation_prompt="再次输入密码")
    with exit_on_error(), Corpus(db) as corpus:
        corpus.accounts.add(name, password, role, replace=replace)
    console.print(f"已保存用户 {name}（{role}）")


@user_app.command("list")
def user_list(db: str | None = _DB) -> None:
    """列出网页界面用户。"""
    from ..corpus import Corpus  # SQLAlchemy: only when this command runs
    from ..corpus.accounts import ROLE_ZH  # the accounts' tables (SQLAlchemy): only when this command runs

    with exit_on_error(), Corpus(db) as corpus:
        for row in corpus.accounts.list():
            last = row["last_login"].strftime("%Y-%m-%d %H:%M") if row["last_login"] else "从未登录"
            console.print(f"{row['name']}\t{ROLE_ZH.get(row['role'], row['role'])}\t最近登录：{last}")
