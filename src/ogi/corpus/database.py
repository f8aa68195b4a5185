"""Where the corpus lives: ``--db`` / $OGI_DB / ./ogi.db → SQLAlchemy engine, SQLite pragmas, Alembic migrations,
and the corpus's one write lock.

Two processes may write one corpus at once (two ingests, an ingest and the web app). Every writing transaction
that reads before it writes (is this sha256 stored? does this organ exist?) first takes ``write_lock``: on
PostgreSQL a transaction-scoped advisory lock, on SQLite ``BEGIN IMMEDIATE`` (the database's write lock, taken
before the first read, so the reads cannot go stale). Writers then follow one another and nothing is stored
twice or lost to a unique-constraint error. Migrations take the same lock, so two first runs on a fresh
database do not both create the tables.
"""

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
    with engine.connect() as conn:  # the common case, without taking the write lock
        if MigrationContext.configure(conn).get_current_revision() == head:
            return
    with engine.begin() as conn:
        write_lock(conn)  # two first runs on a fresh database: the second waits, then finds it migrated
        if MigrationContext.configure(conn).get_current_revision() == head:
            return
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")


# Any fixed number: the advisory lock every writer of an ogi corpus takes on PostgreSQL ("ogi" in ASCII).
_PG_LOCK = 0x6F6769


def write_lock(conn: sa.Connection) -> None:
    """Take the corpus write lock for the rest of ``conn``'s transaction; call it before the first statement."""
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_PG_LOCK})")
    elif conn.dialect.name == "sqlite":
        conn.exec_driver_sql("BEGIN IMMEDIATE")  # waits up to busy_timeout for another writer to commit


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


def new_ids(conn: sa.Connection, table: sa.Table, n: int) -> list[int]:
    """``n`` fresh ids of ``table``'s integer key, taken before the rows are written, so that many rows can go
    in one COPY or executemany instead of one INSERT … RETURNING each. Call it under ``write_lock``: on SQLite
    the ids follow the largest one stored; on PostgreSQL they come from the column's own sequence, so rows
    inserted without an id still get others."""
    if n <= 0:
        return []
    key = next(iter(table.primary_key.columns))
    if conn.dialect.name == "postgresql":
        sequence = sa.func.pg_get_serial_sequence(table.name, key.name)
        stmt = sa.select(sa.func.nextval(sequence)).select_from(sa.func.generate_series(1, n))
        return list(conn.execute(stmt).scalars())
    start = (conn.execute(sa.select(sa.func.max(key))).scalar() or 0) + 1
    return list(range(start, start + n))
