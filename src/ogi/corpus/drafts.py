"""Drafts of reports being written in the web app (编制, issue #11), with their history, and writers' organs.

Every save adds a row (``schema.drafts``): the newest row of an organ and year is its draft, all of them
its history (who saved, when). Nothing is overwritten, so nothing a writer typed is lost.
"""

from __future__ import annotations

import json

import sqlalchemy as sa

from ..model import now
from .schema import drafts, writer_organs


class Drafts:
    """The drafts of one corpus (``Corpus.drafts``)."""

    def __init__(self, engine: sa.Engine):
        self.engine = engine

    def save(self, organ: str, year: int, template: str, content: dict, author: str) -> int:
        row = {
            "organ": organ,
            "year": year,
            "template": template,
            "content": json.dumps(content, ensure_ascii=False),
            "author": author,
            "saved": now(),
        }
        with self.engine.begin() as conn:
            key = conn.execute(drafts.insert().values(**row)).inserted_primary_key
        return int(key[0]) if key else 0

    def latest(self, organ: str, year: int) -> dict | None:
        """The newest draft (with its content decoded), or None."""
        query = (
            sa.select(drafts)
            .where(drafts.c.organ == organ, drafts.c.year == year)
            .order_by(drafts.c.id.desc())
            .limit(1)
        )
        with self.engine.connect() as conn:
            row = conn.execute(query).mappings().first()
        return dict(row) | {"content": json.loads(row["content"])} if row else None

    def history(self, organ: str, year: int) -> list[dict]:
        """Every save, newest first: id, author, saved."""
        query = (
            sa.select(drafts.c.id, drafts.c.author, drafts.c.saved)
            .where(drafts.c.organ == organ, drafts.c.year == year)
            .order_by(drafts.c.id.desc())
        )
        with self.engine.connect() as conn:
            return [dict(r) for r in conn.execute(query).mappings()]

    def grant(self, account: str, organ: str) -> None:
        """Let the writer ``account`` write for ``organ`` (idempotent)."""
        with self.engine.begin() as conn:
            found = conn.execute(
                sa.select(writer_organs.c.organ).where(
                    writer_organs.c.account == account, writer_organs.c.organ == organ
                )
            ).first()
            if found is None:
                conn.execute(writer_organs.insert().values(account=account, organ=organ))

    def organs_of(self, account: str) -> list[str]:
        query = (
            sa.select(writer_organs.c.organ).where(writer_organs.c.account == account).order_by(writer_organs.c.organ)
        )
        with self.engine.connect() as conn:
            return list(conn.execute(query).scalars())
