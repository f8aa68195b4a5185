"""organs resolved against the national divisions; further source files of one report (issue 14)

Revision ID: 0006
Revises: 0002

organs gain township, division_code (行政区划代码) and region_note (why a region is missing); the new
report_sources table lists the further files (another format of the same report) a report was read from;
figures.derived names the figures the table identities gave from other cells (a blank is not a zero).

Data: the region of every organ not set by an imported list is read again against the divisions table, and
every report's figures are computed again, blank-aware (ogi.figures), from its stored cells.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
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
    # same.same_reports looks for a stored report of the same organ spelling and year before every new file.
    op.create_index("ix_reports_organ_key_year", "reports", ["organ_key", "year"], unique=False)
    conn = op.get_bind()
    _organs_again(conn)
    _figures_again(conn)


_REGION = ("province", "city", "county", "township", "division_code", "region_note", "level")


def _organs_again(conn: sa.Connection) -> None:
    from ogi.corpus.organs import derive  # the application's reading, only when this data step runs

    rows = conn.execute(sa.text("SELECT id, name FROM organs WHERE NOT imported")).all()
    update = sa.text(f"UPDATE organs SET {', '.join(f'{c} = :{c}' for c in _REGION)} WHERE id = :id")
    for organ_id, name in rows:
        info = derive(name)
        conn.execute(update, {c: getattr(info, c) for c in _REGION} | {"id": organ_id})


def _figures_again(conn: sa.Connection) -> None:
    # The application's figures and model, only when this data step runs (Alembic imports every revision).
    from ogi.corpus.rows import decode_value  # stored value → number
    from ogi.corpus.schema import STATES  # stored state code → State
    from ogi.figures import figures_row  # the one definition of the figures
    from ogi.model import Cell, Meta, Record  # what figures_row reads

    keys: dict[int, str] = {row.id: row.key for row in conn.execute(sa.text("SELECT id, key FROM cell_keys"))}
    report_ids = [r[0] for r in conn.execute(sa.text("SELECT report_id FROM figures")).all()]
    for report_id in report_ids:
        template = conn.execute(sa.text("SELECT template FROM reports WHERE id = :i"), {"i": report_id}).scalar()
        stored = conn.execute(
            sa.text("SELECT key_id, value, scale, state FROM cells WHERE report_id = :i"), {"i": report_id}
        ).all()
        cells = {
            keys[k]: Cell(key=keys[k], value=decode_value(v, scale), state=STATES[state])
            for k, v, scale, state in stored
        }
        row = figures_row(Record(meta=Meta(template=template), cells=cells))
        assignments = ", ".join(f"{c} = :{c}" for c in row)
        statement = sa.text(f"UPDATE figures SET {assignments} WHERE report_id = :report_id")
        conn.execute(statement, row | {"report_id": report_id})


def downgrade() -> None:
    op.drop_index("ix_reports_organ_key_year", table_name="reports")
    op.drop_index(op.f("ix_report_sources_report_id"), table_name="report_sources")
    op.drop_table("report_sources")
    with op.batch_alter_table("figures") as batch:
        batch.drop_column("derived")
    with op.batch_alter_table("organs") as batch:
        batch.drop_column("region_note")
        batch.drop_column("division_code")
        batch.drop_column("township")
