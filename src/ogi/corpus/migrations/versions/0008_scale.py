"""runs know their process and beat while they work, so a run whose process died is not left running

Revision ID: 0008
Revises: 0002
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("runs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("host", sa.String(100)))
        batch_op.add_column(sa.Column("pid", sa.Integer()))
        batch_op.add_column(sa.Column("heartbeat", sa.DateTime()))


def downgrade() -> None:
    with op.batch_alter_table("runs", schema=None) as batch_op:
        batch_op.drop_column("heartbeat")
        batch_op.drop_column("pid")
        batch_op.drop_column("host")
