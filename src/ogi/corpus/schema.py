"""The corpus tables (issue #4 item 1), SQLAlchemy 2 Core. The Alembic revisions in ``migrations/`` create them.

One row per report, organ, alias, section, finding, correction, run and failure, so the figures of
``stats.py`` are plain GROUP BYs on SQLite and PostgreSQL alike. A report's cells are one row of ``cells``:
a column per cell key holding its value, and the cells whole in one packed field (a cell's state and origin
as small integer codes, ``STATES``/``ORIGINS``; the raw text only where it differs from the value written
plainly) — at a million reports that is a million rows, not two hundred million.
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    SmallInteger,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from ..figures import FIGURES, MEASURES
from ..forms import TEMPLATES, keys
from ..model import Origin, State

# Codes are part of the stored format: append only, never reorder.
STATES: tuple[State, ...] = (State.number, State.blank, State.not_applicable, State.missing, State.unreadable)
ORIGINS: tuple[Origin, ...] = (Origin.source, Origin.inferred, Origin.ocr, Origin.corrected)
STATE_CODE = {s: i for i, s in enumerate(STATES)}
ORIGIN_CODE = {o: i for i, o in enumerate(ORIGINS)}

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

organs = Table(
    "organs",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(200), nullable=False),  # display name (simplified), the fullest seen or imported
    Column("key", String(200), nullable=False, unique=True),  # identity: normalised full name
    Column("core", String(200), nullable=False, index=True),  # name without region prefix
    Column("province", String(40)),
    Column("city", String(40)),
    Column("county", String(40)),
    Column("township", String(40)),  # 乡镇/街道 named after a resolved county (divisions.py)
    Column("division_code", String(12)),  # 行政区划代码 of the deepest level resolved
    Column("region_note", String(120)),  # why the region is missing or partial ("“沐阳县”不在行政区划表中")
    Column("level", String(12)),  # province / city / county / township
    Column("kind", String(20)),  # 人民政府 / 政府部门 / 乡镇街道 / 管委会 / 事业单位 / 其他
    Column("sector", String(20)),  # 公安 / 教育 / 人社 …
    Column("code", String(40)),  # 统一社会信用代码 or a local code, from an imported organ list
    Column("imported", Boolean, nullable=False, default=False),  # fields set by the user, not derived
    # A reviewer's word on the deadline (revision 0004): True 3月31日 (reports as a government), False 1月31日,
    # None: the kind and name decide (forms.due_as_government). Its changes are kept in ``organ_changes``.
    Column("governs", Boolean),
)
Index("ix_organs_region", organs.c.province, organs.c.city, organs.c.county)

organ_aliases = Table(
    "organ_aliases",
    metadata,
    Column("key", String(200), primary_key=True),  # normalised spelling
    Column("organ_id", Integer, ForeignKey("organs.id"), nullable=False, index=True),
    Column("name", String(200), nullable=False),  # as first written
)

runs = Table(
    "runs",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("started", DateTime, nullable=False),
    Column("finished", DateTime),
    Column("status", String(12), nullable=False),  # running / done / interrupted
    Column("parser_version", String(20), nullable=False),
    Column("paths", Text, nullable=False, default=""),
    Column("added", Integer, nullable=False, default=0),
    Column("reparsed", Integer, nullable=False, default=0),
    Column("skipped", Integer, nullable=False, default=0),
    Column("failed", Integer, nullable=False, default=0),
    # Who runs it and when it last committed: a run whose process is gone is ended by the next one (0008).
    Column("host", String(100)),
    Column("pid", Integer),
    Column("heartbeat", DateTime),
)

reports = Table(
    "reports",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("sha256", String(64), nullable=False, unique=True),
    Column("source", Text, nullable=False),
    Column("organ_id", Integer, ForeignKey("organs.id"), index=True),
    Column("organ_name", String(200)),  # as the report writes it
    Column("organ_key", String(200), index=True),  # its normalised spelling (alias key)
    Column("year", SmallInteger),
    Column("template", String(4)),
    Column("published", Date),
    Column("index_no", String(80)),
    Column("title", Text),
    Column("is_government", Boolean, nullable=False, default=False),
    Column("kind", String(10), nullable=False, default="text"),
    Column("traditional", Boolean, nullable=False, default=False),
    Column("pinyin_removed", Integer, nullable=False, default=0),
    Column("parser_version", String(20), nullable=False),
    Column("size", Integer),
    Column("run_id", Integer, ForeignKey("runs.id")),
    Column("added", DateTime, nullable=False),
    Column("errors", SmallInteger, nullable=False, default=0),  # finding counts, kept for list pages
    Column("warnings", SmallInteger, nullable=False, default=0),
    Column("infos", SmallInteger, nullable=False, default=0),
    Column("stale", Boolean, nullable=False, default=True),  # cross-year findings need a refresh
    Column("fingerprint", LargeBinary),  # sampled text shingles for near-duplicate search (crossyear.py)
    # The reviewer's campaign (revision 0004): where the report stands (model.REPORT_STATUSES; its history is in
    # ``report_reviews``), who is to review it, and the newer version of the same organ and year that replaces it.
    Column("review_status", String(12), nullable=False, default="pending", server_default="pending"),
    Column("assignee", String(40)),
    Column("superseded_by", Integer),
)
Index("ix_reports_year_organ", reports.c.year, reports.c.organ_id)
Index("ix_reports_organ_year", reports.c.organ_id, reports.c.year)
# The same report from another file (same.same_reports) is looked up by organ spelling and year on every ingest.
Index("ix_reports_organ_key_year", reports.c.organ_key, reports.c.year)
Index("ix_reports_stale", reports.c.stale)
Index("ix_reports_review", reports.c.review_status, reports.c.assignee)

sources = Table(
    "sources",
    metadata,
    Column("sha256", String(64), primary_key=True),
    Column("data", LargeBinary, nullable=False),  # zlib-compressed original bytes
)

# Further files holding the same report (same cells and text, e.g. its DOCX, HTML and PDF): one report,
# several sources (same.py). The first file stays in reports.sha256/source; its bytes are in sources.
report_sources = Table(
    "report_sources",
    metadata,
    Column("sha256", String(64), primary_key=True),
    Column("report_id", Integer, ForeignKey("reports.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("source", Text, nullable=False),
    Column("kind", String(10), nullable=False, default="text"),
    Column("parser_version", String(20), nullable=False),
    Column("added", DateTime, nullable=False),
)

sections = Table(
    "sections",
    metadata,
    Column("report_id", Integer, ForeignKey("reports.id", ondelete="CASCADE"), primary_key=True),
    Column("number", SmallInteger, primary_key=True),
    Column("heading", Text, nullable=False, default=""),
    Column("text", Text, nullable=False, default=""),
    Column("line", Integer),
    Column("standard", Boolean, nullable=False, default=True),
    sqlite_with_rowid=False,
)

# Every cell key of either format (``ogi.forms``), in the forms' order: one column of ``cells`` each.
VALUE_KEYS: tuple[str, ...] = tuple(dict.fromkeys(k for t in TEMPLATES for k in keys(t)))

# One row per report (revision 0009). ``detail`` is every cell whole — value, state, origin, unit, raw text,
# where it was read, candidate readings — packed by ``rows.pack_cells``; it is what a record is rebuilt from.
# The value of each cell is also in the column named by its key (NULL: blank, unread, or not in the report's
# format), so that "total of key K by year and region" is a plain SUM over one column. Why not a row per cell:
# ~200 rows a report cost the single writing process more than a worker spends parsing the report (issue #12,
# bench/bench_ingest.py); one row of ~230 values costs a fiftieth of that. No foreign key (see revision 0008).
cells = Table(
    "cells",
    metadata,
    Column("report_id", Integer, primary_key=True, autoincrement=False),
    Column("detail", LargeBinary, nullable=False),
    *(Column(key, Float) for key in VALUE_KEYS),
)

# The sums the derived rates of spec §6 need (ogi.figures), one row per report, kept beside the cells at every
# write so that rates and rate rankings over 100,000 reports scan one narrow table instead of 28 cell keys.
figures = Table(
    "figures",
    metadata,
    Column("report_id", Integer, ForeignKey("reports.id", ondelete="CASCADE"), primary_key=True),
    *(Column(name, Float) for name in FIGURES),
    Column("derived", Text),  # figures the identities gave from other cells (ogi.figures), space-separated
)

extras = Table(
    "extras",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("report_id", Integer, ForeignKey("reports.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("tbl", SmallInteger, nullable=False),
    Column("label", Text, nullable=False),
    Column("cell_values", Text, nullable=False, default=""),  # tab-separated, as written
    Column("line", Integer),
)

findings = Table(
    "findings",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("report_id", Integer, ForeignKey("reports.id", ondelete="CASCADE"), nullable=False),
    Column("origin", String(8), nullable=False),  # problem (extraction) / audit (single report) / corpus
    # finding: against the report (审核发现); reading: what ogi could not read (读取问题), never counted as
    # the organ's error (issue #10)
    Column("kind", String(8), nullable=False, default="finding", server_default="finding"),
    Column("rule", String(20), nullable=False),
    Column("severity", String(8), nullable=False),
    Column("cell_keys", Text, nullable=False, default=""),  # space-separated cell keys
    Column("expected", Text),
    Column("found", Text),
    Column("message", Text, nullable=False),
    Column("message_en", Text, nullable=False, default=""),
    Column("other_report_id", Integer),  # XYEAR-*/OUTLIER: the report compared with
    Column("status", String(10), nullable=False, default="open"),  # open / confirmed / dismissed
    Column("comment", Text),
    Column("reviewer", String(80)),
    Column("reviewed", DateTime),
)
Index("ix_findings_report", findings.c.report_id, findings.c.origin)
# Covering for "findings by rule" and the rule/severity filters of the report list (100,000 reports: ~400,000 rows).
Index(
    "ix_findings_rule", findings.c.rule, findings.c.severity, findings.c.kind, findings.c.status, findings.c.report_id
)

corrections = Table(
    "corrections",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("report_id", Integer, ForeignKey("reports.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("key", String(60), nullable=False),
    Column("old_value", String(40)),
    Column("old_state", String(16), nullable=False),
    Column("old_raw", Text),
    Column("new_value", String(40)),
    Column("new_state", String(16), nullable=False),
    Column("new_unit", String(10)),
    Column("who", String(80), nullable=False),
    Column("at", DateTime, nullable=False),
    Column("comment", Text),
)

# Every verdict a reviewer gave on a finding, appended and never deleted (revision 0004): a re-audit recomputes
# ``findings`` and gives each finding that still stands (same report, rule, cells and report compared with) its
# latest verdict back; a verdict whose finding no longer stands stays here, shown as resolved by a correction.
# The finding's words are kept with the verdict so that the history reads without the finding.
finding_reviews = Table(
    "finding_reviews",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("report_id", Integer, ForeignKey("reports.id"), nullable=False, index=True),
    Column(
        "kind", String(8), nullable=False, default="finding", server_default="finding"
    ),  # finding (审核发现) / reading (读取问题)
    Column("rule", String(20), nullable=False),
    Column("cell_keys", Text, nullable=False, default=""),
    Column("other_report_id", Integer),
    Column("severity", String(8), nullable=False),
    Column("message", Text, nullable=False),
    Column("expected", Text),
    Column("found", Text),
    Column("status", String(10), nullable=False),  # open / confirmed / dismissed
    Column("comment", Text),
    Column("reviewer", String(80), nullable=False),
    Column("at", DateTime, nullable=False),
)

# A report's review status over time (model.REPORT_STATUSES), appended; ``reports.review_status`` is the latest.
report_reviews = Table(
    "report_reviews",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("report_id", Integer, ForeignKey("reports.id"), nullable=False, index=True),
    Column("status", String(12), nullable=False),
    Column("assignee", String(40)),
    Column("who", String(80), nullable=False),
    Column("at", DateTime, nullable=False),
    Column("comment", Text),
)

# A reviewer's changes to an organ (its deadline class), the old value kept.
organ_changes = Table(
    "organ_changes",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("organ_id", Integer, ForeignKey("organs.id"), nullable=False, index=True),
    Column("field", String(20), nullable=False),
    Column("old_value", Text),
    Column("new_value", Text),
    Column("who", String(80), nullable=False),
    Column("at", DateTime, nullable=False),
    Column("comment", Text),
)

# Corrections of what the report says about itself (organ, year, publication date, format): the original kept,
# like a cell's correction; re-applied when the file is parsed again.
meta_corrections = Table(
    "meta_corrections",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("report_id", Integer, ForeignKey("reports.id"), nullable=False, index=True),
    Column("field", String(20), nullable=False),  # organ / year / published / template
    Column("old_value", Text),
    Column("new_value", Text),
    Column("who", String(80), nullable=False),
    Column("at", DateTime, nullable=False),
    Column("comment", Text),
)

failures = Table(
    "failures",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("source", Text, nullable=False),
    Column("sha256", String(64)),
    Column("parser_version", String(20), nullable=False),
    Column("error", String(40), nullable=False),  # OgiError subclass name
    Column("reason", Text, nullable=False),
    Column("run_id", Integer, ForeignKey("runs.id")),
    Column("at", DateTime, nullable=False),
    UniqueConstraint("source"),
)
Index("ix_failures_sha256", failures.c.sha256)

# The web app's accounts and its session-signing key live in the corpus too (revision 0002).
accounts = Table(
    "accounts",
    metadata,
    Column("name", String(40), primary_key=True),
    Column("role", String(10), nullable=False),
    Column("password", String(200), nullable=False),
    Column("created", DateTime, nullable=False),
    Column("last_login", DateTime),
)
web_keys = Table(
    "web_keys",
    metadata,
    Column("name", String(40), primary_key=True),
    Column("value", String(200), nullable=False),
)
# Reports being written in the web app (编制, issue #11): every save is a row, so the rows of one organ and
# year are its history (who, when); the newest is the draft. ``content`` is the form as JSON (cells as
# typed, texts, meta): a working copy, not report data, which enters the tables above only when published.
drafts = Table(
    "drafts",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("organ", String(200), nullable=False),
    Column("year", Integer, nullable=False),
    Column("template", String(4), nullable=False),
    Column("content", Text, nullable=False),
    Column("author", String(40), nullable=False),
    Column("saved", DateTime, nullable=False),
    Index("ix_drafts_organ_year", "organ", "year", "id"),
)
# The organs a writer account may write for (role "writer").
writer_organs = Table(
    "writer_organs",
    metadata,
    Column("account", String(40), primary_key=True),
    Column("organ", String(200), primary_key=True),
)

# Server-side sessions (revision 0007): the cookie holds a random token, the table its SHA-256, so signing out or a
# password change ends a session for good (a copied cookie is refused) and a copy of the table signs no one in.
sessions = Table(
    "sessions",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("account", String(40), ForeignKey("accounts.name", ondelete="CASCADE"), nullable=False, index=True),
    Column("csrf", String(64), nullable=False),
    Column("created", DateTime, nullable=False),
    Column("expires", DateTime, nullable=False, index=True),
)
# Failed sign-ins of the last minutes, counted per account, per address and per both (login throttling). Kept in
# the corpus rather than in process memory so that every worker of `ogi serve --workers N` sees the same counts.
login_failures = Table(
    "login_failures",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("account", String(40), nullable=False),  # the name as typed: it need not exist
    Column("address", String(64), nullable=False),
    Column("at", DateTime, nullable=False),
)
Index("ix_login_failures_account", login_failures.c.account, login_failures.c.at)
Index("ix_login_failures_address", login_failures.c.address, login_failures.c.at)


# Stored aggregates for the statistics of a national corpus (``summaries.py``, revision 0010): the current
# reports summed per year, format, province and kind of organ — every value column with how many numbers it
# had, every pooled figure of ``ogi.figures.MEASURES`` with how many reports it left out — and the findings
# against them per rule. A few thousand rows stand for a million reports. Used only while ``summary_state``
# says they are up to date; on PostgreSQL triggers clear that flag on any write they depend on.
SUMMARY_DIMS = ("year", "template", "province", "kind")


def _summary_key() -> list[Column]:
    """An aggregate row's id and its group: the columns of ``SUMMARY_DIMS``."""
    return [
        Column("id", Integer, primary_key=True),
        Column("year", Integer),
        Column("template", String(10)),
        Column("province", String(50)),
        Column("kind", String(50)),
    ]


summaries = Table(
    "summaries",
    metadata,
    *_summary_key(),
    Column("reports", Integer, nullable=False),
    *(Column(key, Float) for key in VALUE_KEYS),
    *(Column(key + "#n", Integer) for key in VALUE_KEYS),
    *(Column(f"{m.name}#{part}", Float) for m in MEASURES for part in ("num", "den", "left")),
)
finding_summaries = Table(
    "finding_summaries",
    metadata,
    *_summary_key(),
    Column("rule", String(40), nullable=False),
    Column("severity", String(10), nullable=False),
    Column("findings", Integer, nullable=False),
    Column("reports", Integer, nullable=False),
)
summary_state = Table(
    "summary_state",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("valid", Boolean, nullable=False),
    Column("built", DateTime),
)
