"""The audit log of staff actions on personal data (reveal, export, erase, purge, re-score), and
an index to find one trainee's submissions (subject access requests, erasure).

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("actor", sa.String(120), nullable=False),
        sa.Column("subject", sa.String(120), nullable=False),
        sa.Column("details", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=False),
        sa.CheckConstraint(
            "action IN ('reveal', 'export', 'erase', 'purge', 'rescore')", name="ck_audit_log_action"
        ),
    )
    op.create_index("ix_audit_log_at", "audit_log", ["at"])
    op.create_index("ix_submissions_trainee", "submissions", ["trainee_id"])


def downgrade() -> None:
    op.drop_index("ix_submissions_trainee", "submissions")
    op.drop_table("audit_log")
