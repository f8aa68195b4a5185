"""accounts of the web app and its session-signing key, under Alembic (issue 9)

Revision ID: 0002
Revises: 0001

Before this revision the web app created these two tables itself on first start; a corpus that has
them already keeps them (and its accounts) as they are.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    existing = set(sa.inspect(op.get_bind()).get_table_names())
    if "accounts" not in existing:
        op.create_table(
            "accounts",
            sa.Column("name", sa.String(length=40), nullable=False),
            sa.Column("role", sa.String(length=10), nullable=False),
            sa.Column("password", sa.String(length=200), nullable=False),
            sa.Column("created", sa.DateTime(), nullable=False),
            sa.Column("last_login", sa.DateTime(), nullable=True),
            sa.PrimaryKeyConstraint("name", name=op.f("pk_accounts")),
        )
    if "web_keys" not in existing:
        op.create_table(
            "web_keys",
            sa.Column("name", sa.String(length=40), nullable=False),
            sa.Column("value", sa.String(length=200), nullable=False),
            sa.PrimaryKeyConstraint("name", name=op.f("pk_web_keys")),
        )


def downgrade() -> None:
    op.drop_table("web_keys")
    op.drop_table("accounts")
