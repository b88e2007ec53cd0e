"""The store's tables, and the Alembic migrations that build and upgrade them.

The table objects below describe the latest schema and are used to build queries; the database
is built by the revisions in ``migrations/versions/`` (frozen once released: a later change is a
new revision, never an edit of an old one). ``tests/store/test_schema.py`` checks with Alembic's
own comparison that the revisions produce exactly these tables on SQLite and PostgreSQL.

Opening a store calls :func:`migrate`. A database already at :data:`HEAD` costs one query and
never imports Alembic (every trainee page opens a store, and kernel memory is the budget). A
database made by arms-training 0.1 (its own ``schema_info`` table, steps 1 and 2) is adopted:
stamped at the baseline revision, which is exactly that schema, and then upgraded.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB

from arms_training.store.engine import write_options
from arms_training.store.errors import StoreError

__all__ = [
    "HEAD",
    "BASELINE",
    "AUDIT_ACTIONS",
    "MIGRATIONS_DIR",
    "migrate",
    "schema_version",
    "alembic_config",
    "metadata",
    "drafts",
    "submissions",
    "rescores",
    "sessions",
    "participants",
    "surveys",
    "audit_log",
    "UTCDateTime",
]

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
# The newest revision in migrations/versions (a test keeps it equal to Alembic's head).
HEAD = "0002"
# The revision that is the schema arms-training 0.1 built with its own steps.
BASELINE = "0001"
# What the audit log records: the staff actions on personal data.
AUDIT_ACTIONS = ("reveal", "export", "erase", "purge", "rescore")


class UTCDateTime(sa.TypeDecorator):
    """Aware datetimes in, aware UTC datetimes out, on every backend (naive input means UTC).

    SQLite keeps datetimes as text without an offset; storing UTC keeps text order equal to time
    order, which the ``since``/``until`` filters rely on.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        value = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


JSON = sa.JSON().with_variant(JSONB(), "postgresql")
ID = sa.String(80)  # Trainee.id is at most 80 characters
UUID = sa.String(36)

metadata = sa.MetaData()

drafts = sa.Table(
    "drafts",
    metadata,
    sa.Column("trainee_id", ID, primary_key=True),
    sa.Column("vignette_id", sa.String(120), primary_key=True),
    sa.Column("session_code", sa.String(16), primary_key=True),  # '' outside a session
    sa.Column("response_id", UUID, nullable=False, index=True),
    sa.Column("response", JSON, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
    sa.Index("ix_drafts_session_updated", "session_code", "updated_at"),
)
submissions = sa.Table(
    "submissions",
    metadata,
    sa.Column("response_id", UUID, primary_key=True),
    sa.Column("trainee_id", ID, nullable=False),
    sa.Column("agency", sa.String(16), nullable=False),
    sa.Column("area", sa.String(120), nullable=False),
    sa.Column("role", sa.String(120), nullable=False),
    sa.Column("vignette_id", sa.String(120), nullable=False),
    sa.Column("vignette_version", sa.Integer, nullable=False),
    sa.Column("key_version", sa.Integer, nullable=False),
    sa.Column("framework", sa.String(80), nullable=False),
    sa.Column("framework_version", sa.String(40), nullable=False),
    sa.Column("session_code", sa.String(16)),  # no foreign key: never refuse a submission
    sa.Column("mode", sa.String(8), nullable=False),
    sa.Column("started_at", UTCDateTime, nullable=False),
    sa.Column("submitted_at", UTCDateTime, nullable=False),
    sa.Column("total", sa.Float),
    sa.Column("response", JSON, nullable=False),
    sa.Column("score", JSON, nullable=False),
    sa.Index("ix_submissions_session_submitted", "session_code", "submitted_at"),
    sa.Index("ix_submissions_vignette_submitted", "vignette_id", "submitted_at"),
    # Revision 0002: a subject access request or an erasure finds one person's rows at once.
    sa.Index("ix_submissions_trainee", "trainee_id"),
)
rescores = sa.Table(
    "rescores",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("response_id", UUID, sa.ForeignKey("submissions.response_id"), nullable=False, index=True),
    sa.Column("key_version", sa.Integer, nullable=False),
    sa.Column("total", sa.Float),
    sa.Column("score", JSON, nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("rescored_at", UTCDateTime, nullable=False),
)
sessions = sa.Table(
    "sessions",
    metadata,
    sa.Column("code", sa.String(16), primary_key=True),
    sa.Column("vignette_ids", JSON, nullable=False),
    sa.Column("mode", sa.String(8), nullable=False),
    sa.Column("anonymise", sa.Boolean, nullable=False),
    sa.Column("status", sa.String(8), nullable=False),
    sa.Column("trainer", sa.String(120), nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("revealed", sa.Boolean, nullable=False),
    sa.Column("revealed_at", UTCDateTime),
    sa.CheckConstraint("mode IN ('full', 'quick')", name="ck_sessions_mode"),
    sa.CheckConstraint("status IN ('open', 'closed')", name="ck_sessions_status"),
)
participants = sa.Table(
    "participants",
    metadata,
    sa.Column("session_code", sa.String(16), sa.ForeignKey("sessions.code"), primary_key=True),
    sa.Column("trainee_id", ID, primary_key=True),
    sa.Column("agency", sa.String(16), nullable=False),
    sa.Column("role", sa.String(120), nullable=False),
    sa.Column("joined_at", UTCDateTime, nullable=False),
)
surveys = sa.Table(
    "surveys",
    metadata,
    sa.Column("session_code", sa.String(16), sa.ForeignKey("sessions.code"), primary_key=True),
    sa.Column("trainee_id", ID, primary_key=True),
    sa.Column("agency", sa.String(16), nullable=False),
    sa.Column("answers", JSON, nullable=False),
    sa.Column("comment", sa.Text, nullable=False),
    sa.Column("submitted_at", UTCDateTime, nullable=False),
)
audit_log = sa.Table(
    "audit_log",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("at", UTCDateTime, nullable=False, index=True),
    sa.Column("action", sa.String(16), nullable=False),
    sa.Column("actor", sa.String(120), nullable=False),
    # A session code, a response id, or for an erasure the digest of the erased id (never the
    # id itself: the log must not keep what was erased).
    sa.Column("subject", sa.String(120), nullable=False),
    sa.Column("details", JSON, nullable=False),
    sa.CheckConstraint(
        "action IN ('reveal', 'export', 'erase', 'purge', 'rescore')", name="ck_audit_log_action"
    ),
)


def alembic_config(connection: sa.Connection | None = None):
    """An Alembic ``Config`` for the shipped revisions (no ini file), bound to ``connection``."""
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.attributes["connection"] = connection
    return cfg


def schema_version(conn: sa.Connection) -> str | None:
    """The Alembic revision the database is at; None for a database Alembic has not touched."""
    if not sa.inspect(conn).has_table("alembic_version"):
        return None
    return conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()


def _lock(conn: sa.Connection) -> None:
    # SQLite: the write transaction (BEGIN IMMEDIATE) already excludes other migrators.
    if conn.dialect.name == "postgresql":
        # Forty kernels may open a fresh database at once; one migrates, the rest wait.
        conn.execute(sa.text("SELECT pg_advisory_xact_lock(2018042601)"))


# Release 0.1's second step added these; a database it left at step 1 gets them on adoption.
_RELEASE_0_1_INDEXES = (
    ("ix_submissions_session_submitted", "submissions", ("session_code", "submitted_at")),
    ("ix_submissions_vignette_submitted", "submissions", ("vignette_id", "submitted_at")),
    ("ix_drafts_session_updated", "drafts", ("session_code", "updated_at")),
)


def _adopt_release_0_1(conn: sa.Connection) -> None:
    """Stamp a database built by arms-training 0.1's own steps at :data:`BASELINE`, the same
    schema, and drop its ``schema_info``; nothing else is touched."""
    inspector = sa.inspect(conn)
    if not inspector.has_table("schema_info") or inspector.has_table("alembic_version"):
        return
    step = conn.execute(sa.text("SELECT max(version) FROM schema_info")).scalar() or 0
    if step > 2:
        raise StoreError(
            f"the training database has schema step {step}, newer than this arms-training "
            "knows: upgrade arms-training"
        )
    if step == 1:
        for name, table, columns in _RELEASE_0_1_INDEXES:
            conn.exec_driver_sql(f"CREATE INDEX {name} ON {table} ({', '.join(columns)})")
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    scripts = ScriptDirectory.from_config(alembic_config(conn))
    MigrationContext.configure(conn).stamp(scripts, BASELINE)
    conn.exec_driver_sql("DROP TABLE schema_info")


def migrate(engine: sa.Engine, *, target: str = "head") -> str | None:
    """Bring the database to ``target`` (default the newest revision) and return the revision
    reached. Raises StoreError for a database newer than this code knows."""
    with engine.connect() as conn, conn.begin():
        current = schema_version(conn)
    if current == HEAD and target in ("head", HEAD):
        return current
    from alembic import command
    from alembic.util.exc import CommandError

    with engine.connect() as conn:
        conn.execution_options(**write_options())
        with conn.begin():
            _lock(conn)  # then look again: another kernel may have migrated meanwhile
            _adopt_release_0_1(conn)
            try:
                command.upgrade(alembic_config(conn), target)
            except CommandError as exc:
                raise StoreError(
                    f"the training database is at schema revision {schema_version(conn)}, which "
                    f"this arms-training does not know ({exc}): upgrade arms-training"
                ) from None
        with conn.begin():
            return schema_version(conn)
