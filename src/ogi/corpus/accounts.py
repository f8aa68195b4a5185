"""The web app's accounts in the corpus database: add, check, sessions, sign-in throttling, the signing secret.

Passwords are hashed with scrypt (the standard library's). The roles are one table, ``ROLES``, lowest first; a
role may do what every role below it may. Sessions are server-side rows (a logout or a password change ends
them); failed sign-ins are counted in the corpus so that every web worker throttles alike. The tables are
``schema.accounts``, ``schema.web_keys`` (revision 0002), ``schema.sessions`` and ``schema.login_failures``
(revision 0007).
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import hmac
import os
import re
import secrets
from dataclasses import dataclass

import sqlalchemy as sa

from ..model import InvalidInput, now
from .schema import accounts, login_failures, sessions, web_keys

# Role → its Chinese name, lowest rank first. A new role is one line here; a writer writes reports for their
# organs only (corpus.drafts).
ROLES = {
    "writer": "编写人",
    "reviewer": "审核员",
    "admin": "管理员",
}
_SCRYPT = (2**14, 8, 1)  # n, r, p: ~50 ms and 16 MB per check, the usual interactive setting
_NAME = re.compile(r"^[\w.\-@\u4e00-\u9fff]{1,40}$")


def rank(role: str) -> int:
    """How far up ``ROLES`` a role is (-1 for a role this version does not know: it may do nothing)."""
    return list(ROLES).index(role) if role in ROLES else -1


@dataclass(frozen=True, slots=True)
class Throttle:
    """Failed sign-ins allowed within ``window`` before a 429 (OWASP's advice: per account and per address).

    A guesser at one address is stopped after ``per_pair`` tries at one account, and after ``per_address`` tries
    at any; guessing spread over many addresses is stopped by ``per_account``. A reviewer signing in from another
    address stays unaffected by someone guessing at their name until that larger figure is reached."""

    per_pair: int = 10
    per_account: int = 50
    per_address: int = 100
    window: dt.timedelta = dt.timedelta(minutes=15)


class TooManyAttempts(Exception):
    """Sign-in refused without checking the password: too many failures lately (HTTP 429)."""

    def __init__(self, retry_after: int):
        super().__init__(retry_after)
        self.retry_after = retry_after


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


@functools.cache
def _dummy_hash() -> str:
    """A stored hash no password matches: an unknown name is checked against it, one scrypt like a known name's."""
    return hash_password(secrets.token_hex(16))


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class Accounts:
    """The accounts of one corpus (``Corpus.accounts``)."""

    def __init__(self, engine: sa.Engine, throttle: Throttle | None = None):
        self.engine = engine
        self.throttle = throttle or Throttle()

    def add(self, name: str, password: str, role: str = "reviewer", *, replace: bool = False) -> None:
        """A new account, or with ``replace`` a reset of one (its sessions end: the old password let them in)."""
        if not _NAME.match(name):
            raise InvalidInput(name, "用户名只能包含字母、数字、汉字和 . - _ @，最长 40 个字符")
        if role not in ROLES:
            raise InvalidInput(name, f"未知角色 {role!r}（可选：{'、'.join(ROLES)}）")
        _check_strength(name, password)
        row = {"role": role, "password": hash_password(password)}
        with self.engine.begin() as conn:
            exists = conn.execute(sa.select(accounts.c.name).where(accounts.c.name == name)).first()
            if exists and not replace:
                raise InvalidInput(name, "该用户已存在（用 --replace 重设密码和角色）")
            if exists:
                conn.execute(accounts.update().where(accounts.c.name == name).values(**row))
                conn.execute(sessions.delete().where(sessions.c.account == name))
            else:
                conn.execute(accounts.insert().values(name=name, created=now(), **row))

    def set_password(self, name: str, password: str, *, keep_session: str | None = None) -> None:
        """A new password; every session of the account ends but ``keep_session`` (the token of the one asking)."""
        _check_strength(name, password)
        with self.engine.begin() as conn:
            done = conn.execute(
                accounts.update().where(accounts.c.name == name).values(password=hash_password(password))
            )
            if not done.rowcount:
                raise InvalidInput(name, "用户不存在")
            ending = sessions.delete().where(sessions.c.account == name)
            if keep_session:
                ending = ending.where(sessions.c.token_hash != _token_hash(keep_session))
            conn.execute(ending)

    def get(self, name: str) -> dict | None:
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(accounts).where(accounts.c.name == name)).mappings().first()
        return dict(row) if row else None

    def check(self, name: str, password: str) -> dict | None:
        """The account when the password is right. One scrypt whether or not the name exists, so the time taken
        does not tell which names are accounts. Blocking (~50 ms of CPU): the web app calls it in a thread."""
        row = self.get(name)
        if not check_password(password, row["password"] if row else _dummy_hash()) or row is None:
            return None
        with self.engine.begin() as conn:
            conn.execute(accounts.update().where(accounts.c.name == name).values(last_login=now()))
        return row

    def sign_in(self, name: str, password: str, address: str) -> dict | None:
        """``check`` under the throttle: raises TooManyAttempts (before any hashing) while this account or this
        address has failed too often lately; a failure is counted, a success clears the account's count here."""
        name, address = name[:40], address[:64]
        self._refuse_if_throttled(name, address)
        row = self.check(name, password)
        with self.engine.begin() as conn:
            if row is None:
                conn.execute(login_failures.insert().values(account=name, address=address, at=now()))
            else:
                conn.execute(
                    login_failures.delete().where(login_failures.c.account == name, login_failures.c.address == address)
                )
        return row

    def _refuse_if_throttled(self, name: str, address: str) -> None:
        limits, since = self.throttle, now() - self.throttle.window
        recent = login_failures.c.at > since
        count = sa.func.count()
        with self.engine.begin() as conn:
            conn.execute(login_failures.delete().where(login_failures.c.at <= since))  # forget what no longer counts
            pair = count.filter(login_failures.c.account == name, login_failures.c.address == address)
            by_account = count.filter(login_failures.c.account == name)
            by_address = count.filter(login_failures.c.address == address)
            oldest = sa.func.min(login_failures.c.at)
            got = conn.execute(
                sa.select(pair, by_account, by_address, oldest).where(
                    recent, sa.or_(login_failures.c.account == name, login_failures.c.address == address)
                )
            ).one()
        if got[0] >= limits.per_pair or got[1] >= limits.per_account or got[2] >= limits.per_address:
            retry = (got[3] + limits.window - now()).total_seconds() if got[3] else limits.window.total_seconds()
            raise TooManyAttempts(max(1, int(retry) + 1))

    def start_session(self, name: str, hours: float) -> tuple[str, str]:
        """A new session of ``name``: (the cookie's token, the session's CSRF token). Expired rows are dropped."""
        token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(24)
        started = now()
        with self.engine.begin() as conn:
            conn.execute(sessions.delete().where(sessions.c.expires <= started))
            conn.execute(
                sessions.insert().values(
                    token_hash=_token_hash(token),
                    account=name,
                    csrf=csrf,
                    created=started,
                    expires=started + dt.timedelta(hours=hours),
                )
            )
        return token, csrf

    def session(self, token: str) -> dict | None:
        """The live session of a cookie's token, with its account's current name and role (None when ended)."""
        query = (
            sa.select(accounts.c.name, accounts.c.role, sessions.c.csrf)
            .join(accounts, accounts.c.name == sessions.c.account)
            .where(sessions.c.token_hash == _token_hash(token), sessions.c.expires > now())
        )
        with self.engine.connect() as conn:
            row = conn.execute(query).mappings().first()
        return dict(row) if row else None

    def end_session(self, token: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(sessions.delete().where(sessions.c.token_hash == _token_hash(token)))

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
        query = sa.select(web_keys.c.value).where(web_keys.c.name == "session")
        with self.engine.begin() as conn:
            value = conn.execute(query).scalar()
        if value is not None:
            return value
        try:
            with self.engine.begin() as conn:
                conn.execute(web_keys.insert().values(name="session", value=secrets.token_hex(32)))
        except sa.exc.IntegrityError:  # another worker of `ogi serve --workers N` made it first: use theirs
            pass
        with self.engine.connect() as conn:
            return conn.execute(query).scalar_one()


def _check_strength(name: str, password: str) -> None:
    if len(password) < 8:
        raise InvalidInput(name, "密码至少 8 个字符")
