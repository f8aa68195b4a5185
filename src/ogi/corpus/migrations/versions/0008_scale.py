"""runs know their process and beat while they work, so a run whose process died is not left running;
the cells table loses its foreign keys

Revision ID: 0008
Revises: 0002

Why the foreign keys of cells go: on PostgreSQL a foreign-key check is a row lock on the referenced row, per
inserted row; at ~200 cells a report it made storing cells 9 times slower than the insert itself
(bench/bench_ingest.py: 17,000 vs 150,000 cell rows/s with COPY). The store writes a report's cells only in
the transaction that writes the report, with key ids it has just read, so the check never catches anything;
whoever deletes a report deletes its cells (``Corpus._write`` does). SQLite loses them too, so that the
schema is one on both (its check was cheaper; the table is rebuilt once, WITHOUT ROWID as before).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("runs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("host", sa.String(100)))
        batch_op.add_column(sa.Column("pid", sa.Integer()))
        batch_op.add_column(sa.Column("heartbeat", sa.DateTime()))
    # SQLite rebuilds the table for this (batch mode); it stays WITHOUT ROWID.
    with op.batch_alter_table("cells", schema=None, table_kwargs={"sqlite_with_rowid": False}) as batch_op:
        batch_op.drop_constraint("fk_cells_report_id_reports", type_="foreignkey")
        batch_op.drop_constraint("fk_cells_key_id_cell_keys", type_="foreignkey")


def downgrade() -> None:
    with op.batch_alter_table("cells", schema=None, table_kwargs={"sqlite_with_rowid": False}) as batch_op:
        batch_op.create_foreign_key("fk_cells_key_id_cell_keys", "cell_keys", ["key_id"], ["id"])
        batch_op.create_foreign_key("fk_cells_report_id_reports", "reports", ["report_id"], ["id"], ondelete="CASCADE")
    with op.batch_alter_table("runs", schema=None) as batch_op:
        batch_op.drop_column("heartbeat")
        batch_op.drop_column("pid")
        batch_op.drop_column("host")
