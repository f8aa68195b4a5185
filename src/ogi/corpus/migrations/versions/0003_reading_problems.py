"""reading problems apart from findings; candidate readings of an unread cell (issue 10)

Revision ID: 0003
Revises: 0002

``findings.kind`` says whether a row is a finding against the report ("finding", 审核发现) or a reading
problem ("reading", 读取问题: what ogi could not read). Rows stored before hold extraction's problems
under origin "problem": those are reading problems. ``cells.candidates`` keeps the readings a damaged
source allows for a cell left unread, for a reviewer to pick one.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("findings") as batch:
        batch.add_column(sa.Column("kind", sa.String(length=8), nullable=False, server_default="finding"))
        # The rule/severity filters select on kind now: keep the index covering them.
        batch.drop_index("ix_findings_rule")
        batch.create_index("ix_findings_rule", ["rule", "severity", "kind", "status", "report_id"], unique=False)
    op.execute("UPDATE findings SET kind = 'reading' WHERE origin = 'problem'")
    with op.batch_alter_table("cells") as batch:
        batch.add_column(sa.Column("candidates", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("cells") as batch:
        batch.drop_column("candidates")
    with op.batch_alter_table("findings") as batch:
        batch.drop_index("ix_findings_rule")
        batch.create_index("ix_findings_rule", ["rule", "severity", "origin", "status", "report_id"], unique=False)
        batch.drop_column("kind")
