"""Baseline: the schema arms-training 0.1 built with its own two steps (drafts, submissions,
rescores, sessions, participants, surveys, and the trainer dashboard's indexes).

Revision ID: 0001
Revises: (none)

Frozen: the types are written out here, not taken from the live tables, so a later change to
schema.py cannot change what this revision builds.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
WHEN = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "drafts",
        sa.Column("trainee_id", sa.String(80), primary_key=True),
        sa.Column("vignette_id", sa.String(120), primary_key=True),
        sa.Column("session_code", sa.String(16), primary_key=True),
        sa.Column("response_id", sa.String(36), nullable=False),
        sa.Column("response", JSON, nullable=False),
        sa.Column("updated_at", WHEN, nullable=False),
    )
    op.create_index("ix_drafts_response_id", "drafts", ["response_id"])
    op.create_table(
        "submissions",
        sa.Column("response_id", sa.String(36), primary_key=True),
        sa.Column("trainee_id", sa.String(80), nullable=False),
        sa.Column("agency", sa.String(16), nullable=False),
        sa.Column("area", sa.String(120), nullable=False),
        sa.Column("role", sa.String(120), nullable=False),
        sa.Column("vignette_id", sa.String(120), nullable=False),
        sa.Column("vignette_version", sa.Integer, nullable=False),
        sa.Column("key_version", sa.Integer, nullable=False),
        sa.Column("framework", sa.String(80), nullable=False),
        sa.Column("framework_version", sa.String(40), nullable=False),
        sa.Column("session_code", sa.String(16)),
        sa.Column("mode", sa.String(8), nullable=False),
        sa.Column("started_at", WHEN, nullable=False),
        sa.Column("submitted_at", WHEN, nullable=False),
        sa.Column("total", sa.Float),
        sa.Column("response", JSON, nullable=False),
        sa.Column("score", JSON, nullable=False),
    )
    op.create_table(
        "rescores",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("response_id", sa.String(36), sa.ForeignKey("submissions.response_id"), nullable=False),
        sa.Column("key_version", sa.Integer, nullable=False),
        sa.Column("total", sa.Float),
        sa.Column("score", JSON, nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("rescored_at", WHEN, nullable=False),
    )
    op.create_index("ix_rescores_response_id", "rescores", ["response_id"])
    op.create_table(
        "sessions",
        sa.Column("code", sa.String(16), primary_key=True),
        sa.Column("vignette_ids", JSON, nullable=False),
        sa.Column("mode", sa.String(8), nullable=False),
        sa.Column("anonymise", sa.Boolean, nullable=False),
        sa.Column("status", sa.String(8), nullable=False),
        sa.Column("trainer", sa.String(120), nullable=False),
        sa.Column("created_at", WHEN, nullable=False),
        sa.Column("revealed", sa.Boolean, nullable=False),
        sa.Column("revealed_at", WHEN),
        sa.CheckConstraint("mode IN ('full', 'quick')", name="ck_sessions_mode"),
        sa.CheckConstraint("status IN ('open', 'closed')", name="ck_sessions_status"),
    )
    op.create_table(
        "participants",
        sa.Column("session_code", sa.String(16), sa.ForeignKey("sessions.code"), primary_key=True),
        sa.Column("trainee_id", sa.String(80), primary_key=True),
        sa.Column("agency", sa.String(16), nullable=False),
        sa.Column("role", sa.String(120), nullable=False),
        sa.Column("joined_at", WHEN, nullable=False),
    )
    op.create_table(
        "surveys",
        sa.Column("session_code", sa.String(16), sa.ForeignKey("sessions.code"), primary_key=True),
        sa.Column("trainee_id", sa.String(80), primary_key=True),
        sa.Column("agency", sa.String(16), nullable=False),
        sa.Column("answers", JSON, nullable=False),
        sa.Column("comment", sa.Text, nullable=False),
        sa.Column("submitted_at", WHEN, nullable=False),
    )
    op.create_index("ix_submissions_session_submitted", "submissions", ["session_code", "submitted_at"])
    op.create_index("ix_submissions_vignette_submitted", "submissions", ["vignette_id", "submitted_at"])
    op.create_index("ix_drafts_session_updated", "drafts", ["session_code", "updated_at"])


def downgrade() -> None:
    for table in ("surveys", "participants", "sessions", "rescores", "submissions", "drafts"):
        op.drop_table(table)
