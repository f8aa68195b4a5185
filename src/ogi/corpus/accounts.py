"""The web app's accounts in the corpus database: add, check, list, and the app's signing secret.

Passwords are hashed with scrypt (the standard library's). Two roles: reviewers review findings and
correct cells; administrators also manage accounts. The tables are ``schema.accounts`` and
``schema.web_keys`` (Alembic revision 0002).
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import secrets

import sqlalchemy as sa

from ..model import InvalidInput, now
from .schema import accounts, web_keys

# In rising order of rights; a writer writes reports for their organs only (corpus.drafts, issue #11).
ROLES = ("writer", "reviewer", "admin")
ROLE_ZH = {"writer": "编写人", "reviewer": "审核员", "admin": "管理员"}
_SCRYPT = (2**14, 8, 1)  # n, r, p: ~50 ms and 16 MB per check, the usual interactive setting
_NAME = re.compile(r"^[\w.\-@\u4e00-\u9fff]{1,40}$")


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
        got = hashlib.scrypt(
            password.encode(), salt=bytes.fromhex(salt), n=int(n), r=int(r), p=int(p), dklen=len(digest) // 2
        )
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(got.hex(), digest)


class Accounts:
    """The accounts of one corpus (``Corpus.accounts``)."""

    def __init__(self, engine: sa.Engine):
        self.engine = engine

    def add(self, name: str, password: str, role: str = "reviewer", *, replace: bool = False) -> None:
        if not _NAME.match(name):
            raise InvalidInput(name, "用户名只能包含字母、数字、汉字和 . - _ @，最长 40 个字符")
        if role not in ROLES:
            raise InvalidInput(name, f"未知角色 {role!r}（可选：{'、'.join(ROLES)}）")
        if len(password) < 8:
            raise InvalidInput(name, "密码至少 8 个字符")
        row = {"role": role, "password": hash_password(password)}
        with self.engine.begin() as conn:
            exists = conn.execute(sa.select(accounts.c.name).where(accounts.c.name == name)).first()
            if exists and not replace:
                raise InvalidInput(name, "该用户已存在（用 --replace 重设密码和角色）")
            if exists:
                conn.execute(accounts.update().where(accounts.c.name == name).values(**row))
            else:
                conn.execute(accounts.insert().values(name=name, created=now(), **row))

    def get(self, name: str) -> dict | None:
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(accounts).where(accounts.c.name == name)).mappings().first()
        return dict(row) if row else None

    def check(self, name: str, password: str) -> dict | None:
        """The account when the password is right; the same cost whether or not the name exists."""
        row = self.get(name)
        if row is None:
            check_password(password, hash_password("x" * 8))
            return None
        if not check_password(password, row["password"]):
            return None
        with self.engine.begin() as conn:
            conn.execute(accounts.update().where(accounts.c.name == name).values(last_login=now()))
        return row

    def list(self) -> list[dict]:
        with self.engine.connect() as conn:
            rows = conn.execute(
                sa.select(accounts.c.name, accounts.c.role, accounts.c.created, accounts.c.last_login).order_by(
                    accounts.c.name
                )
            ).mappings()
            return [dict(r) for r in rows]

    def secret(self) -> str:
        """A per-database random key, so sessions survive restarts without any configuration."""
        with self.engine.begin() as conn:
            value = conn.execute(sa.select(web_keys.c.value).where(web_keys.c.name == "session")).scalar()
            if value is None:
                value = secrets.token_hex(32)
                conn.execute(web_keys.insert().values(name="session", value=value))
        return value
