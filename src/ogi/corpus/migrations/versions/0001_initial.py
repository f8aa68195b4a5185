"""initial corpus schema (issue 4)

Revision ID: 0001
Revises: (none)
Create Date: 2026-11-22 04:56:00.613071

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""

    op.create_table(
        "cell_keys",
        sa.Column("id", sa.SmallInteger(), autoincrement=False, nullable=False),
        sa.Column("key", sa.String(length=60), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cell_keys")),
        sa.UniqueConstraint("key", name=op.f("uq_cell_keys_key")),
    )
    op.create_table(
        "organs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("core", sa.String(length=200), nullable=False),
        sa.Column("province", sa.String(length=40), nullable=True),
        sa.Column("city", sa.String(length=40), nullable=True),
        sa.Column("county", sa.String(length=40), nullable=True),
        sa.Column("level", sa.String(length=12), nullable=True),
        sa.Column("kind", sa.String(length=20), nullable=True),
        sa.Column("sector", sa.String(length=20), nullable=True),
        sa.Column("code", sa.String(length=40), nullable=True),
        sa.Column("imported", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_organs")),
        sa.UniqueConstraint("key", name=op.f("uq_organs_key")),
    )
    with op.batch_alter_table("organs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_organs_core"), ["core"], unique=False)
        batch_op.create_index("ix_organs_region", ["province", "city", "county"], unique=False)

    op.create_table(
        "runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("started", sa.DateTime(), nullable=False),
        sa.Column("finished", sa.DateTime(), nullable=True),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("parser_version", sa.String(length=20), nullable=False),
        sa.Column("paths", sa.Text(), nullable=False),
        sa.Column("added", sa.Integer(), nullable=False),
        sa.Column("reparsed", sa.Integer(), nullable=False),
        sa.Column("skipped", sa.Integer(), nullable=False),
        sa.Column("failed", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_runs")),
    )
    op.create_table(
        "sources",
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("sha256", name=op.f("pk_sources")),
    )
    op.create_table(
        "failures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=True),
        sa.Column("parser_version", sa.String(length=20), nullable=False),
        sa.Column("error", sa.String(length=40), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["run_id"], ["runs.id"], name=op.f("fk_failures_run_id_runs")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_failures")),
        sa.UniqueConstraint("source", name=op.f("uq_failures_source")),
    )
    with op.batch_alter_table("failures", schema=None) as batch_op:
        batch_op.create_index("ix_failures_sha256", ["sha256"], unique=False)

    op.create_table(
        "organ_aliases",
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("organ_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(["organ_id"], ["organs.id"], name=op.f("fk_organ_aliases_organ_id_organs")),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_organ_aliases")),
    )
    with op.batch_alter_table("organ_aliases", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_organ_aliases_organ_id"), ["organ_id"], unique=False)

    op.create_table(
        "reports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("organ_id", sa.Integer(), nullable=True),
        sa.Column("organ_name", sa.String(length=200), nullable=True),
        sa.Column("organ_key", sa.String(length=200), nullable=True),
        sa.Column("year", sa.SmallInteger(), nullable=True),
        sa.Column("template", sa.String(length=4), nullable=True),
        sa.Column("published", sa.Date(), nullable=True),
        sa.Column("index_no", sa.String(length=80), nullable=True),
        sa.Column("title", sa.Text(), nullable=True),
        sa.Column("is_government", sa.Boolean(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("traditional", sa.Boolean(), nullable=False),
        sa.Column("pinyin_removed", sa.Integer(), nullable=False),
        sa.Column("parser_version", sa.String(length=20), nullable=False),
        sa.Column("size", sa.Integer(), nullable=True),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.Column("added", sa.DateTime(), nullable=False),
        sa.Column("errors", sa.SmallInteger(), nullable=False),
        sa.Column("warnings", sa.SmallInteger(), nullable=False),
        sa.Column("infos", sa.SmallInteger(), nullable=False),
        sa.Column("stale", sa.Boolean(), nullable=False),
        sa.Column("fingerprint", sa.LargeBinary(), nullable=True),
        sa.ForeignKeyConstraint(["organ_id"], ["organs.id"], name=op.f("fk_reports_organ_id_organs")),
        sa.ForeignKeyConstraint(["run_id"], ["runs.id"], name=op.f("fk_reports_run_id_runs")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reports")),
        sa.UniqueConstraint("sha256", name=op.f("uq_reports_sha256")),
    )
    with op.batch_alter_table("reports", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_reports_organ_id"), ["organ_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_reports_organ_key"), ["organ_key"], unique=False)
        batch_op.create_index("ix_reports_organ_year", ["organ_id", "year"], unique=False)
        batch_op.create_index("ix_reports_stale", ["stale"], unique=False)
        batch_op.create_index("ix_reports_year_organ", ["year", "organ_id"], unique=False)

    op.create_table(
        "cells",
        sa.Column("report_id", sa.Integer(), nullable=False),
        sa.Column("key_id", sa.SmallInteger(), nullable=False),
        sa.Column("value", sa.Float(), nullable=True),
        sa.Column("scale", sa.SmallInteger(), nullable=True),
        sa.Column("state", sa.SmallInteger(), nullable=False),
        sa.Column("origin", sa.SmallInteger(), nullable=False),
        sa.Column("unit", sa.String(length=10), nullable=True),
        sa.Column("raw", sa.Text(), nullable=True),
        sa.Column("line", sa.Integer(), nullable=True),
        sa.Column("page", sa.SmallInteger(), nullable=True),
        sa.Column("tbl", sa.SmallInteger(), nullable=True),
        sa.Column("row", sa.SmallInteger(), nullable=True),
        sa.Column("col", sa.SmallInteger(), nullable=True),
        sa.Column("box", sa.String(length=80), nullable=True),
        sa.ForeignKeyConstraint(["key_id"], ["cell_keys.id"], name=op.f("fk_cells_key_id_cell_keys")),
        sa.ForeignKeyConstraint(
            ["report_id"], ["reports.id"], name=op.f("fk_cells_report_id_reports"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("report_id", "key_id", name=op.f("pk_cells")),
        sqlite_with_rowid=False,
    )
    with op.batch_alter_table("cells", schema=None) as batch_op:
        batch_op.create_index("ix_cells_key", ["key_id", "report_id", "value"], unique=False)

    op.create_table(
        "corrections",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("report_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=60), nullable=False),
        sa.Column("old_value", sa.String(length=40), nullable=True),
        sa.Column("old_state", sa.String(length=16), nullable=False),
        sa.Column("old_raw", sa.Text(), nullable=True),
        sa.Column("new_value", sa.String(length=40), nullable=True),
        sa.Column("new_state", sa.String(length=16), nullable=False),
        sa.Column("new_unit", sa.String(length=10), nullable=True),
        sa.Column("who", sa.String(length=80), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["report_id"], ["reports.id"], name=op.f("fk_corrections_report_id_reports"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_corrections")),
    )
    with op.batch_alter_table("corrections", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_corrections_report_id"), ["report_id"], unique=False)

    op.create_table(
        "extras",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("report_id", sa.Integer(), nullable=False),
        sa.Column("tbl", sa.SmallInteger(), nullable=False),
        sa.Column("label", sa.Text(), nullable=False),
        sa.Column("cell_values", sa.Text(), nullable=False),
        sa.Column("line", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["report_id"], ["reports.id"], name=op.f("fk_extras_report_id_reports"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_extras")),
    )
    with op.batch_alter_table("extras", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_extras_report_id"), ["report_id"], unique=False)

    op.create_table(
        "figures",
        sa.Column("report_id", sa.Integer(), nullable=False),
        sa.Column("new", sa.Float(), nullable=True),
        sa.Column("carried_in", sa.Float(), nullable=True),
        sa.Column("granted", sa.Float(), nullable=True),
        sa.Column("partial", sa.Float(), nullable=True),
        sa.Column("denied", sa.Float(), nullable=True),
        sa.Column("unable", sa.Float(), nullable=True),
        sa.Column("rejected", sa.Float(), nullable=True),
        sa.Column("other", sa.Float(), nullable=True),
        sa.Column("total", sa.Float(), nullable=True),
        sa.Column("carried_out", sa.Float(), nullable=True),
        sa.Column("new_natural", sa.Float(), nullable=True),
        sa.Column("review_corrected", sa.Float(), nullable=True),
        sa.Column("review_total", sa.Float(), nullable=True),
        sa.Column("suit_corrected", sa.Float(), nullable=True),
        sa.Column("suit_total", sa.Float(), nullable=True),
        sa.ForeignKeyConstraint(
            ["report_id"], ["reports.id"], name=op.f("fk_figures_report_id_reports"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("report_id", name=op.f("pk_figures")),
    )
    op.create_table(
        "findings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("report_id", sa.Integer(), nullable=False),
        sa.Column("origin", sa.String(length=8), nullable=False),
        sa.Column("rule", sa.String(length=20), nullable=False),
        sa.Column("severity", sa.String(length=8), nullable=False),
        sa.Column("cell_keys", sa.Text(), nullable=False),
        sa.Column("expected", sa.Text(), nullable=True),
        sa.Column("found", sa.Text(), nullable=True),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("message_en", sa.Text(), nullable=False),
        sa.Column("other_report_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("reviewer", sa.String(length=80), nullable=True),
        sa.Column("reviewed", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["report_id"], ["reports.id"], name=op.f("fk_findings_report_id_reports"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_findings")),
    )
    with op.batch_alter_table("findings", schema=None) as batch_op:
        batch_op.create_index("ix_findings_report", ["report_id", "origin"], unique=False)
        batch_op.create_index("ix_findings_rule", ["rule", "severity", "origin", "status", "report_id"], unique=False)

    op.create_table(
        "sections",
        sa.Column("report_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.SmallInteger(), nullable=False),
        sa.Column("heading", sa.Text(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("line", sa.Integer(), nullable=True),
        sa.Column("standard", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["report_id"], ["reports.id"], name=op.f("fk_sections_report_id_reports"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("report_id", "number", name=op.f("pk_sections")),
        sqlite_with_rowid=False,
    )


def downgrade() -> None:
    """Downgrade schema."""

    op.drop_table("sections")
    with op.batch_alter_table("findings", schema=None) as batch_op:
        batch_op.drop_index("ix_findings_rule")
        batch_op.drop_index("ix_findings_report")

    op.drop_table("findings")
    op.drop_table("figures")
    with op.batch_alter_table("extras", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_extras_report_id"))

    op.drop_table("extras")
    with op.batch_alter_table("corrections", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_corrections_report_id"))

    op.drop_table("corrections")
    with op.batch_alter_table("cells", schema=None) as batch_op:
        batch_op.drop_index("ix_cells_key")

    op.drop_table("cells")
    with op.batch_alter_table("reports", schema=None) as batch_op:
        batch_op.drop_index("ix_reports_year_organ")
        batch_op.drop_index("ix_reports_stale")
        batch_op.drop_index("ix_reports_organ_year")
        batch_op.drop_index(batch_op.f("ix_reports_organ_key"))
        batch_op.drop_index(batch_op.f("ix_reports_organ_id"))

    op.drop_table("reports")
    with op.batch_alter_table("organ_aliases", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_organ_aliases_organ_id"))

    op.drop_table("organ_aliases")
    with op.batch_alter_table("failures", schema=None) as batch_op:
        batch_op.drop_index("ix_failures_sha256")

    op.drop_table("failures")
    op.drop_table("sources")
    op.drop_table("runs")
    with op.batch_alter_table("organs", schema=None) as batch_op:
        batch_op.drop_index("ix_organs_region")
        batch_op.drop_index(batch_op.f("ix_organs_core"))

    op.drop_table("organs")
    op.drop_table("cell_keys")
