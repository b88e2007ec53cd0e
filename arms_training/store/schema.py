"""The store's tables and the ordered migration steps that build them.

A database records every step applied in ``schema_info``; opening a store applies the missing
steps in order, each in its own transaction, so a failed step leaves the previous version intact.
Steps are frozen once released: a later change is a new step appended to :data:`MIGRATIONS`,
never an edit of an old one. The table objects below describe the latest schema and are only
used to build queries; ``tests/test_store.py`` checks that the steps produce exactly them.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB

from arms_training.responses import now
from arms_training.store.engine import write_options
from arms_training.store.errors import StoreError

__all__ = [
    "MIGRATIONS",
    "LATEST",
    "migrate",
    "schema_version",
    "metadata",
    "schema_info",
    "drafts",
    "submissions",
    "rescores",
    "sessions",
    "participants",
    "surveys",
    "UTCDateTime",
]


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


def _v1_tables(md: sa.MetaData) -> None:
    sa.Table(
        "drafts",
        md,
        sa.Column("trainee_id", ID, primary_key=True),
        sa.Column("vignette_id", sa.String(120), primary_key=True),
        sa.Column("session_code", sa.String(16), primary_key=True),  # '' outside a session
        sa.Column("response_id", UUID, nullable=False, index=True),
        sa.Column("response", JSON, nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
    )
    sa.Table(
        "submissions",
        md,
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
    )
    sa.Table(
        "rescores",
        md,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("response_id", UUID, sa.ForeignKey("submissions.response_id"), nullable=False, index=True),
        sa.Column("key_version", sa.Integer, nullable=False),
        sa.Column("total", sa.Float),
        sa.Column("score", JSON, nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("rescored_at", UTCDateTime, nullable=False),
    )
    sa.Table(
        "sessions",
        md,
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
    sa.Table(
        "participants",
        md,
        sa.Column("session_code", sa.String(16), sa.ForeignKey("sessions.code"), primary_key=True),
        sa.Column("trainee_id", ID, primary_key=True),
        sa.Column("agency", sa.String(16), nullable=False),
        sa.Column("role", sa.String(120), nullable=False),
        sa.Column("joined_at", UTCDateTime, nullable=False),
    )
    sa.Table(
        "surveys",
        md,
        sa.Column("session_code", sa.String(16), sa.ForeignKey("sessions.code"), primary_key=True),
        sa.Column("trainee_id", ID, primary_key=True),
        sa.Column("agency", sa.String(16), nullable=False),
        sa.Column("answers", JSON, nullable=False),
        sa.Column("comment", sa.Text, nullable=False),
        sa.Column("submitted_at", UTCDateTime, nullable=False),
    )


def _schema_info(md: sa.MetaData) -> sa.Table:
    return sa.Table(
        "schema_info",
        md,
        sa.Column("version", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("applied_at", UTCDateTime, nullable=False),
    )


def _v1_create_tables(conn: sa.Connection) -> None:
    """Drafts, submissions, rescores, sessions, participants and surveys."""
    md = sa.MetaData()
    _v1_tables(md)
    md.create_all(conn, checkfirst=False)


# (name, table, columns): created by step 2 and declared on the live tables below.
_V2_INDEXES = (
    ("ix_submissions_session_submitted", "submissions", ("session_code", "submitted_at")),
    ("ix_submissions_vignette_submitted", "submissions", ("vignette_id", "submitted_at")),
    ("ix_drafts_session_updated", "drafts", ("session_code", "updated_at")),
)


def _v2_dashboard_indexes(conn: sa.Connection) -> None:
    """Indexes for the trainer dashboard, which polls one session's drafts and submissions."""
    md = sa.MetaData()
    _v1_tables(md)
    for name, table, columns in _V2_INDEXES:
        sa.Index(name, *(md.tables[table].c[c] for c in columns)).create(conn)


MIGRATIONS: list[tuple[int, Callable[[sa.Connection], None]]] = [
    (1, _v1_create_tables),
    (2, _v2_dashboard_indexes),
]
LATEST = MIGRATIONS[-1][0]

# The latest schema, for building queries.
metadata = sa.MetaData()
_v1_tables(metadata)
for _name, _table, _columns in _V2_INDEXES:
    sa.Index(_name, *(metadata.tables[_table].c[c] for c in _columns))
schema_info = _schema_info(metadata)
drafts = metadata.tables["drafts"]
submissions = metadata.tables["submissions"]
rescores = metadata.tables["rescores"]
sessions = metadata.tables["sessions"]
participants = metadata.tables["participants"]
surveys = metadata.tables["surveys"]


def schema_version(conn: sa.Connection) -> int:
    """The highest step applied, 0 for an empty database."""
    if not sa.inspect(conn).has_table("schema_info"):
        return 0
    return conn.execute(sa.select(sa.func.max(schema_info.c.version))).scalar() or 0


def _lock(conn: sa.Connection) -> None:
    # SQLite: the write transaction (BEGIN IMMEDIATE) already excludes other migrators.
    if conn.dialect.name == "postgresql":
        # Forty kernels may open a fresh database at once; one migrates, the rest wait.
        conn.execute(sa.text("SELECT pg_advisory_xact_lock(2018042601)"))


def _check_not_newer(current: int) -> None:
    if current > LATEST:
        raise StoreError(
            f"the training database has schema version {current}, newer than this "
            f"arms-training knows ({LATEST}): upgrade arms-training"
        )


def migrate(engine: sa.Engine, *, target: int | None = None) -> int:
    """Apply the steps of :data:`MIGRATIONS` the database lacks, up to ``target``; return the
    version reached. Raises StoreError if the database is newer than this code knows."""
    target = LATEST if target is None else target
    with engine.connect() as conn:
        with conn.begin():
            current = schema_version(conn)
        _check_not_newer(current)
        if current >= target:
            return current
        conn.execution_options(**write_options())
        for version, step in MIGRATIONS:
            if version > target:
                break
            with conn.begin():
                _lock(conn)
                schema_info.create(conn, checkfirst=True)
                current = schema_version(conn)  # again: another kernel may have migrated
                _check_not_newer(current)
                if current >= version:
                    continue
                if current != version - 1:
                    raise StoreError(
                        f"the training database is at schema version {current} and "
                        f"cannot take step {version}: steps must run in order"
                    )
                step(conn)
                description = (step.__doc__ or step.__name__).strip().splitlines()[0]
                conn.execute(
                    schema_info.insert().values(version=version, description=description, applied_at=now())
                )
        with conn.begin():
            return schema_version(conn)
