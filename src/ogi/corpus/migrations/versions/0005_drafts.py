"""drafts of reports being written in the web app (编制), with their history, and the organs of writers (issue 11)

Revision ID: 0005
Revises: 0002
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "drafts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organ", sa.String(length=200), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("template", sa.String(length=4), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("author", sa.String(length=40), nullable=False),
        sa.Column("saved", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_drafts")),
    )
    op.create_index("ix_drafts_organ_year", "drafts", ["organ", "year", "id"])
    op.create_table(
        "writer_organs",
        sa.Column("account", sa.String(length=40), nullable=False),
        sa.Column("organ", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("account", "organ", name=op.f("pk_writer_organs")),
    )


def downgrade() -> None:
    op.drop_table("writer_organs")
    op.drop_index("ix_drafts_organ_year", table_name="drafts")
    op.drop_table("drafts")
