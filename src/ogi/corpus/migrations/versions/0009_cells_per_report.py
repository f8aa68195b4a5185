"""a report's cells in one row: packed whole, and their values in a column a key

Revision ID: 0009
Revises: 0008

Why: a row per cell (~200 a report) cost the single writing process of an ingest more than a worker spends
parsing the report, so ingest ran at a fifth of the parsing rate (issue #12, bench/bench_ingest.py). The new
``cells`` has one row a report: ``detail``, every cell packed (``ogi.corpus.rows.pack_cells``), and a Float
column named by each cell key of either format holding its value, so totals stay a SUM over one column.
``cell_keys`` (the small integer ids of keys) goes with the old table. Existing reports are carried over
report by report; their cells are not changed. ``figures.derived`` becomes unbounded text.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_OLD = (
    "value",
    "scale",
    "state",
    "origin",
    "unit",
    "raw",
    "line",
    "page",
    "tbl",
    "row",
    "col",
    "box",
    "candidates",
)
_BATCH = 500


def upgrade() -> None:
    # Imported here, not at the top: Alembic loads every revision to read the chain, and only this one needs
    # the code's cell packing and its keys (as the code knows them when it runs; a later change of the forms
    # brings its own revision).
    from ogi.corpus.rows import pack_cells  # the packing of cells.detail
    from ogi.corpus.schema import VALUE_KEYS  # the value columns

    bind = op.get_bind()
    op.drop_index("ix_cells_key", table_name="cells")
    op.rename_table("cells", "cells_by_key")
    if bind.dialect.name == "postgresql":  # its primary key's index keeps the old name otherwise
        op.execute("ALTER TABLE cells_by_key RENAME CONSTRAINT pk_cells TO pk_cells_by_key")
    new = op.create_table(
        "cells",
        sa.Column("report_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("detail", sa.LargeBinary(), nullable=False),
        *(sa.Column(key, sa.Float()) for key in VALUE_KEYS),
        sa.PrimaryKeyConstraint("report_id", name=op.f("pk_cells")),
    )
    assert new is not None
    position = {key: i for i, key in enumerate(VALUE_KEYS)}
    old = sa.table("cells_by_key", sa.column("report_id"), sa.column("key_id"), *(sa.column(c) for c in _OLD))
    names = sa.table("cell_keys", sa.column("id"), sa.column("key"))
    report_ids = [r for (r,) in bind.execute(sa.select(old.c.report_id).distinct().order_by(old.c.report_id))]
    for start in range(0, len(report_ids), _BATCH):
        chosen = report_ids[start : start + _BATCH]
        by_report: dict[int, list[tuple]] = {}
        stmt = (
            sa.select(old.c.report_id, names.c.key, *(old.c[c] for c in _OLD))
            .join(names, names.c.id == old.c.key_id)
            .where(old.c.report_id.in_(chosen))
            .order_by(old.c.report_id, old.c.key_id)
        )
        for report_id, key, *fields in bind.execute(stmt):
            by_report.setdefault(report_id, []).append((key, *fields))
        rows = []
        for report_id, tuples in by_report.items():
            values: list[float | None] = [None] * len(VALUE_KEYS)
            for t in tuples:
                if t[0] in position and t[1] is not None:
                    values[position[t[0]]] = t[1]
            rows.append({"report_id": report_id, "detail": pack_cells(tuples), **dict(zip(VALUE_KEYS, values))})
        if rows:
            bind.execute(new.insert(), rows)
    op.drop_table("cells_by_key")
    op.drop_table("cell_keys")
    # The figures the identities gave can be many more than 200 characters' worth of names (PostgreSQL refused
    # such a report; SQLite never enforced the length, and rebuilds the table for the new type).
    with op.batch_alter_table("figures", schema=None) as batch_op:
        batch_op.alter_column("derived", type_=sa.Text(), existing_type=sa.String(200))


def downgrade() -> None:
    raise NotImplementedError("0009 cannot be undone: restore the database from its backup")
