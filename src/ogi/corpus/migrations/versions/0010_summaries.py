"""stored aggregates for the statistics of a national corpus, kept honest by triggers on PostgreSQL

Revision ID: 0010
Revises: 0009

``summaries`` and ``finding_summaries`` hold the current reports summed per year, format, province and kind of
organ (``ogi.corpus.summaries``); ``summary_state`` says whether they are up to date. On PostgreSQL a trigger
on every table they are computed from clears that flag in the statement that changes one, so a figure is never
answered from aggregates older than the data; the next full cross-year pass (the end of an ingest or a load)
builds them again. SQLite gets the tables but no triggers: its corpora are answered from the reports directly.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The tables the aggregates are computed from, and the columns whose change can alter them ("" = any).
_WATCHED = {
    "reports": "year, template, organ_id, superseded_by",
    "cells": "",
    "figures": "",
    "findings": "report_id, kind, rule, severity, status",
    "organs": "province, kind",
}


def upgrade() -> None:
    # Imported here, not at the top: Alembic loads every revision to read the chain, and only this one needs
    # the value keys and the pooled figures as the code knows them when it runs.
    from ogi.corpus.schema import VALUE_KEYS  # the value columns
    from ogi.figures import MEASURES  # the pooled figures

    op.create_table(
        "summaries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer()),
        sa.Column("template", sa.String(10)),
        sa.Column("province", sa.String(50)),
        sa.Column("kind", sa.String(50)),
        sa.Column("reports", sa.Integer(), nullable=False),
        *(sa.Column(key, sa.Float()) for key in VALUE_KEYS),
        *(sa.Column(key + "#n", sa.Integer()) for key in VALUE_KEYS),
        *(sa.Column(f"{m.name}#{part}", sa.Float()) for m in MEASURES for part in ("num", "den", "left")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_summaries")),
    )
    op.create_table(
        "finding_summaries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer()),
        sa.Column("template", sa.String(10)),
        sa.Column("province", sa.String(50)),
        sa.Column("kind", sa.String(50)),
        sa.Column("rule", sa.String(40), nullable=False),
        sa.Column("severity", sa.String(10), nullable=False),
        sa.Column("findings", sa.Integer(), nullable=False),
        sa.Column("reports", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_finding_summaries")),
    )
    state = op.create_table(
        "summary_state",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("valid", sa.Boolean(), nullable=False),
        sa.Column("built", sa.DateTime()),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_summary_state")),
    )
    assert state is not None
    op.bulk_insert(state, [{"id": 1, "valid": False, "built": None}])
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(
        "CREATE FUNCTION ogi_summaries_outdated() RETURNS trigger LANGUAGE plpgsql AS $$ "
        "BEGIN UPDATE summary_state SET valid = false WHERE valid; RETURN NULL; END $$"
    )
    for table, columns in _WATCHED.items():
        update = f"UPDATE OF {columns}" if columns else "UPDATE"
        op.execute(
            f"CREATE TRIGGER {table}_outdate_summaries AFTER INSERT OR {update} OR DELETE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION ogi_summaries_outdated()"
        )
        op.execute(
            f"CREATE TRIGGER {table}_truncate_summaries AFTER TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION ogi_summaries_outdated()"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in _WATCHED:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_outdate_summaries ON {table}")
            op.execute(f"DROP TRIGGER IF EXISTS {table}_truncate_summaries ON {table}")
        op.execute("DROP FUNCTION IF EXISTS ogi_summaries_outdated()")
    op.drop_table("summary_state")
    op.drop_table("finding_summaries")
    op.drop_table("summaries")
