"""The corpus tables (issue #4 item 1), SQLAlchemy 2 Core. The Alembic revisions in ``migrations/`` create them.

One row per report, organ, alias, section, cell, finding, correction, run and failure — no JSON blobs —
so the figures of ``stats.py`` are plain indexed GROUP BYs on SQLite and PostgreSQL alike.

Compactness matters at 100,000 reports × ~200 cells (20 M cell rows): cell keys are small integers
(``cell_keys``), a cell's state and origin are small integer codes (``STATES``/``ORIGINS``), and the raw
text is stored only when it differs from the value written plainly (NULL = "the value as written").
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

from ..figures import FIGURES
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
    Column("level", String(12)),  # province / city / county / township
    Column("kind", String(20)),  # 人民政府 / 政府部门 / 乡镇街道 / 管委会 / 事业单位 / 其他
    Column("sector", String(20)),  # 公安 / 教育 / 人社 …
    Column("code", String(40)),  # 统一社会信用代码 or a local code, from an imported organ list
    Column("imported", Boolean, nullable=False, default=False),  # fields set by the user, not derived
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
)
Index("ix_reports_year_organ", reports.c.year, reports.c.organ_id)
Index("ix_reports_organ_year", reports.c.organ_id, reports.c.year)
Index("ix_reports_stale", reports.c.stale)

sources = Table(
    "sources",
    metadata,
    Column("sha256", String(64), primary_key=True),
    Column("data", LargeBinary, nullable=False),  # zlib-compressed original bytes
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

cell_keys = Table(
    "cell_keys",
    metadata,
    Column("id", SmallInteger, primary_key=True, autoincrement=False),
    Column("key", String(60), nullable=False, unique=True),
)

cells = Table(
    "cells",
    metadata,
    Column("report_id", Integer, ForeignKey("reports.id", ondelete="CASCADE"), primary_key=True),
    Column("key_id", SmallInteger, ForeignKey("cell_keys.id"), primary_key=True),
    Column("value", Float),  # the number; exact decimals are rebuilt with ``scale``
    Column("scale", SmallInteger),  # decimal places of a Decimal value; NULL for an integer
    Column("state", SmallInteger, nullable=False),
    Column("origin", SmallInteger, nullable=False, default=0),
    Column("unit", String(10)),
    Column("raw", Text),  # NULL when the source text is just the value written plainly
    Column("line", Integer),
    Column("page", SmallInteger),
    Column("tbl", SmallInteger),
    Column("row", SmallInteger),
    Column("col", SmallInteger),
    Column("box", String(80)),
    Column("candidates", Text),  # an unread cell's possible readings, space-separated, best first (issue #10)
    sqlite_with_rowid=False,
)
# Covering index for "total of key K by year/region": scan one key's entries, join reports by id.
Index("ix_cells_key", cells.c.key_id, cells.c.report_id, cells.c.value)

# The sums the derived rates of spec §6 need (ogi.figures), one row per report, kept beside the cells at every
# write so that rates and rate rankings over 100,000 reports scan one narrow table instead of 28 cell keys.
figures = Table(
    "figures",
    metadata,
    Column("report_id", Integer, ForeignKey("reports.id", ondelete="CASCADE"), primary_key=True),
    *(Column(name, Float) for name in FIGURES),
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
