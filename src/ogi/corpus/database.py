"""Where the corpus lives: ``--db`` / $OGI_DB / ./ogi.db → SQLAlchemy engine, SQLite pragmas, Alembic migrations."""

from __future__ import annotations

import os
from pathlib import Path

import sqlalchemy as sa

DEFAULT_DB = "ogi.db"
ENV_DB = "OGI_DB"


def database_url(db: str | os.PathLike | None = None) -> str:
    """``--db`` value → SQLAlchemy URL: explicit, then $OGI_DB, then ./ogi.db; plain paths are SQLite."""
    db = str(db) if db else os.environ.get(ENV_DB) or DEFAULT_DB
    if "://" in db:
        return db.replace("postgresql://", "postgresql+psycopg://", 1) if db.startswith("postgresql://") else db
    return f"sqlite:///{Path(db).expanduser().resolve()}"


def migrate(engine: sa.Engine) -> None:
    """Bring the schema to the newest Alembic revision (cheap when it already is)."""
    from alembic import command
    from alembic.config import Config
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    cfg = Config()
    cfg.set_main_option("script_location", str(Path(__file__).parent / "migrations"))
    head = ScriptDirectory.from_config(cfg).get_current_head()
    with engine.begin() as conn:
        if MigrationContext.configure(conn).get_current_revision() == head:
            return
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")


def _sqlite_pragmas(dbapi_conn, _record) -> None:
    # WAL lets the web app read while an ingest writes; NORMAL is durable at commit boundaries in WAL.
    cur = dbapi_conn.cursor()
    for pragma in (
        "journal_mode=WAL",
        "synchronous=NORMAL",
        "foreign_keys=ON",
        "busy_timeout=60000",
        "cache_size=-65536",
        "temp_store=MEMORY",
    ):
        cur.execute(f"PRAGMA {pragma}")
    cur.close()


def open_engine(url: str, echo: bool = False) -> sa.Engine:
    engine = sa.create_engine(url, echo=echo)
    if engine.dialect.name == "sqlite":
        sa.event.listen(engine, "connect", _sqlite_pragmas)
    return engine
