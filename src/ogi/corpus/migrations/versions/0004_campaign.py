"""the reviewer's campaign (issue 13): verdicts kept apart from findings, report review status, versions,
metadata corrections

Revision ID: 0004
Revises: 0002

Before this revision a reviewer's verdict lived only on the ``findings`` row, which every re-audit deleted and
wrote again; the verdicts already given are copied into ``finding_reviews`` here so that none is lost.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("reports") as batch:
        batch.add_column(sa.Column("review_status", sa.String(length=12), nullable=False, server_default="pending"))
        batch.add_column(sa.Column("assignee", sa.String(length=40), nullable=True))
        batch.add_column(sa.Column("superseded_by", sa.Integer(), nullable=True))
    op.create_index("ix_reports_review", "reports", ["review_status", "assignee"])
    with op.batch_alter_table("organs") as batch:
        batch.add_column(sa.Column("governs", sa.Boolean(), nullable=True))
    op.create_table(
        "organ_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organ_id", sa.Integer(), nullable=False),
        sa.Column("field", sa.String(length=20), nullable=False),
        sa.Column("old_value", sa.Text(), nullable=True),
        sa.Column("new_value", sa.Text(), nullable=True),
        sa.Column("who", sa.String(length=80), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["organ_id"], ["organs.id"], name=op.f("fk_organ_changes_organ_id_organs")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_organ_changes")),
    )
    op.create_index(op.f("ix_organ_changes_organ_id"), "organ_changes", ["organ_id"])
    op.create_table(
        "finding_reviews",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("report_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False, server_default="finding"),
        sa.Column("rule", sa.String(length=20), nullable=False),
        sa.Column("cell_keys", sa.Text(), nullable=False),
        sa.Column("other_report_id", sa.Integer(), nullable=True),
        sa.Column("severity", sa.String(length=8), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("expected", sa.Text(), nullable=True),
        sa.Column("found", sa.Text(), nullable=True),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("reviewer", sa.String(length=80), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["report_id"], ["reports.id"], name=op.f("fk_finding_reviews_report_id_reports")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_finding_reviews")),
    )
    op.create_index(op.f("ix_finding_reviews_report_id"), "finding_reviews", ["report_id"])
    op.create_table(
        "report_reviews",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("report_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("assignee", sa.String(length=40), nullable=True),
        sa.Column("who", sa.String(length=80), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["report_id"], ["reports.id"], name=op.f("fk_report_reviews_report_id_reports")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_reviews")),
    )
    op.create_index(op.f("ix_report_reviews_report_id"), "report_reviews", ["report_id"])
    op.create_table(
        "meta_corrections",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("report_id", sa.Integer(), nullable=False),
        sa.Column("field", sa.String(length=20), nullable=False),
        sa.Column("old_value", sa.Text(), nullable=True),
        sa.Column("new_value", sa.Text(), nullable=True),
        sa.Column("who", sa.String(length=80), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["report_id"], ["reports.id"], name=op.f("fk_meta_corrections_report_id_reports")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meta_corrections")),
    )
    op.create_index(op.f("ix_meta_corrections_report_id"), "meta_corrections", ["report_id"])
    _supersede_existing()
    # The verdicts given before this revision, so that the next re-audit finds them.
    op.execute(
        "INSERT INTO finding_reviews (report_id, kind, rule, cell_keys, other_report_id, severity, message, expected,"
        " found, status, comment, reviewer, at)"
        " SELECT report_id, kind, rule, cell_keys, other_report_id, severity, message, expected, found, status,"
        " comment, COALESCE(reviewer, ''), COALESCE(reviewed, CURRENT_TIMESTAMP) FROM findings WHERE status <> 'open'"
    )


def _supersede_existing() -> None:
    """Reports of the same organ and year already in the corpus: the newest (publication date, then arrival)
    becomes current, the others point to it (as ``Corpus._supersede`` does from now on)."""
    bind = op.get_bind()
    rows = bind.execute(
        sa.text(
            "SELECT id, organ_id, year, published FROM reports WHERE organ_id IS NOT NULL AND year IS NOT NULL"
            " ORDER BY organ_id, year"
        )
    ).all()
    groups: dict[tuple, list] = {}
    for r in rows:
        groups.setdefault((r.organ_id, r.year), []).append(r)
    for versions in groups.values():
        if len(versions) < 2:
            continue
        newest = max(versions, key=lambda r: (str(r.published or ""), r.id)).id
        older = [r.id for r in versions if r.id != newest]
        bind.execute(
            sa.text("UPDATE reports SET superseded_by = :newest WHERE id IN :older").bindparams(
                sa.bindparam("older", expanding=True)
            ),
            {"newest": newest, "older": older},
        )


def downgrade() -> None:
    op.drop_table("organ_changes")
    with op.batch_alter_table("organs") as batch:
        batch.drop_column("governs")
    op.drop_table("meta_corrections")
    op.drop_table("report_reviews")
    op.drop_table("finding_reviews")
    op.drop_index("ix_reports_review", table_name="reports")
    with op.batch_alter_table("reports") as batch:
        batch.drop_column("superseded_by")
        batch.drop_column("assignee")
        batch.drop_column("review_status")
