"""organs resolved against the national divisions; further source files of one report (issue 14)

Revision ID: 0006
Revises: 0002

organs gain township, division_code (行政区划代码) and region_note (why a region is missing); the new
report_sources table lists the further files (another format of the same report) a report was read from;
figures.derived names the figures the table identities gave from other cells (a blank is not a zero).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("organs") as batch:
        batch.add_column(sa.Column("township", sa.String(length=40), nullable=True))
        batch.add_column(sa.Column("division_code", sa.String(length=12), nullable=True))
        batch.add_column(sa.Column("region_note", sa.String(length=120), nullable=True))
    with op.batch_alter_table("figures") as batch:
        batch.add_column(sa.Column("derived", sa.String(length=200), nullable=True))
    op.create_table(
        "report_sources",
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("report_id", sa.Integer(), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("parser_version", sa.String(length=20), nullable=False),
        sa.Column("added", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["report_id"], ["reports.id"], name=op.f("fk_report_sources_report_id_reports"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("sha256", name=op.f("pk_report_sources")),
    )
    op.create_index(op.f("ix_report_sources_report_id"), "report_sources", ["report_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_report_sources_report_id"), table_name="report_sources")
    op.drop_table("report_sources")
    with op.batch_alter_table("figures") as batch:
        batch.drop_column("derived")
    with op.batch_alter_table("organs") as batch:
        batch.drop_column("region_note")
        batch.drop_column("division_code")
        batch.drop_column("township")
