"""The store's data-protection duties (UK GDPR): everything held about one person, erasing one
person, purging by a retention period, selecting submissions to export, and the audit log of
staff actions.

Functions here take a connection inside the caller's transaction (:class:`~arms_training.store.
api.Store` opens it), so an erasure and its audit record commit together or not at all.

The audit log never holds a trainee id: a person is named there by :func:`subject_digest`, so
after an erasure nothing of the id remains, and a later request can still be answered "erased on
this date" by computing the digest of the id the person gives.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from arms_training.responses import now
from arms_training.store import schema as t
from arms_training.store.records import AuditEntry, Selection

__all__ = [
    "subject_digest",
    "record",
    "entries",
    "held",
    "person_record",
    "erase",
    "purge",
    "selected",
]


def subject_digest(trainee_id: str) -> str:
    """How the audit log names a person: ``trainee:`` and the first 24 hex digits of the
    SHA-256 of the id."""
    return "trainee:" + hashlib.sha256(trainee_id.encode("utf-8")).hexdigest()[:24]


def record(
    conn: sa.Connection,
    action: str,
    *,
    actor: str,
    subject: str = "",
    details: Mapping[str, Any] | None = None,
) -> AuditEntry:
    if action not in t.AUDIT_ACTIONS:
        raise ValueError(f"audit action {action!r} is not valid; allowed: {', '.join(t.AUDIT_ACTIONS)}")
    values: dict[str, Any] = {
        "at": now(),
        "action": action,
        "actor": (actor or "unknown")[:120],
        "subject": subject[:120],
        "details": dict(details or {}),
    }
    new_id = conn.execute(sa.insert(t.audit_log).values(values).returning(t.audit_log.c.id)).scalar_one()
    return AuditEntry(id=new_id, **values)


def entries(
    conn: sa.Connection,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    action: str | None = None,
) -> list[AuditEntry]:
    c = t.audit_log.c
    stmt = sa.select(t.audit_log).order_by(c.at, c.id)
    if since is not None:
        stmt = stmt.where(c.at >= since)
    if until is not None:
        stmt = stmt.where(c.at <= until)
    if action is not None:
        stmt = stmt.where(c.action == action)
    return [AuditEntry(**r._mapping) for r in conn.execute(stmt).all()]


def _theirs(trainee_id: str) -> dict[str, sa.ColumnElement[bool]]:
    """Each table's rows about the person (rescores through their submissions)."""
    mine = sa.select(t.submissions.c.response_id).where(t.submissions.c.trainee_id == trainee_id)
    return {
        "rescores": t.rescores.c.response_id.in_(mine.scalar_subquery()),
        "submissions": t.submissions.c.trainee_id == trainee_id,
        "drafts": t.drafts.c.trainee_id == trainee_id,
        "surveys": t.surveys.c.trainee_id == trainee_id,
        "participants": t.participants.c.trainee_id == trainee_id,
    }


def held(conn: sa.Connection, trainee_id: str) -> dict[str, int]:
    """How many rows of each kind the store holds about the person."""
    return {
        name: conn.execute(
            sa.select(sa.func.count()).select_from(t.metadata.tables[name]).where(where)
        ).scalar_one()
        for name, where in _theirs(trainee_id).items()
    }


def _plain(row: sa.Row, drop: tuple[str, ...] = ()) -> dict[str, Any]:
    return {
        k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in row._mapping.items() if k not in drop
    }


def person_record(conn: sa.Connection, trainee_id: str) -> dict[str, Any]:
    """Everything the store holds about one person, as plain JSON data (a subject access
    request): submissions with their scores and re-scores, drafts, session memberships and
    survey answers."""
    where = _theirs(trainee_id)
    subs = conn.execute(
        sa.select(t.submissions).where(where["submissions"]).order_by(t.submissions.c.submitted_at)
    ).all()
    rescored: dict[str, list[dict[str, Any]]] = {}
    for r in conn.execute(sa.select(t.rescores).where(where["rescores"]).order_by(t.rescores.c.id)).all():
        rescored.setdefault(r.response_id, []).append(_plain(r, ("id", "response_id")))
    return {
        "trainee_id": trainee_id,
        "exported_at": now().isoformat(),
        "held": held(conn, trainee_id),
        "submissions": [{**_plain(s), "rescores": rescored.get(s.response_id, [])} for s in subs],
        "drafts": [
            _plain(d)
            for d in conn.execute(sa.select(t.drafts).where(where["drafts"]).order_by(t.drafts.c.updated_at))
        ],
        "sessions": [
            _plain(p)
            for p in conn.execute(
                sa.select(t.participants).where(where["participants"]).order_by(t.participants.c.joined_at)
            )
        ],
        "surveys": [
            _plain(s)
            for s in conn.execute(
                sa.select(t.surveys).where(where["surveys"]).order_by(t.surveys.c.submitted_at)
            )
        ],
    }


def erase(conn: sa.Connection, trainee_id: str) -> dict[str, int]:
    """Delete every row about the person; returns the rows deleted by kind (re-scores first:
    they point at the submissions)."""
    return {
        name: conn.execute(sa.delete(t.metadata.tables[name]).where(where)).rowcount
        for name, where in _theirs(trainee_id).items()
    }


def purge(conn: sa.Connection, before: datetime) -> dict[str, int]:
    """Delete what is older than ``before``: submissions (with their re-scores) submitted,
    drafts last changed, surveys answered, and sessions created before it (with their
    participants and surveys). The audit log is kept: it holds no trainee ids."""
    old_subs = sa.select(t.submissions.c.response_id).where(t.submissions.c.submitted_at < before)
    old_sessions = sa.select(t.sessions.c.code).where(t.sessions.c.created_at < before)
    steps: list[tuple[str, sa.Delete]] = [
        ("rescores", sa.delete(t.rescores).where(t.rescores.c.response_id.in_(old_subs.scalar_subquery()))),
        ("submissions", sa.delete(t.submissions).where(t.submissions.c.submitted_at < before)),
        ("drafts", sa.delete(t.drafts).where(t.drafts.c.updated_at < before)),
        (
            "surveys",
            sa.delete(t.surveys).where(
                sa.or_(
                    t.surveys.c.submitted_at < before,
                    t.surveys.c.session_code.in_(old_sessions.scalar_subquery()),
                )
            ),
        ),
        (
            "participants",
            sa.delete(t.participants).where(
                t.participants.c.session_code.in_(old_sessions.scalar_subquery())
            ),
        ),
        ("sessions", sa.delete(t.sessions).where(t.sessions.c.created_at < before)),
    ]
    return {name: conn.execute(stmt).rowcount for name, stmt in steps}


def selected(conn: sa.Connection, selection: Selection) -> list[sa.Row]:
    """The submissions the selection takes, oldest first, each with its latest re-score's
    ``rescore_total`` and ``rescore_key_version`` (None when never re-scored)."""
    c = t.submissions.c
    latest = (
        sa.select(t.rescores.c.response_id, sa.func.max(t.rescores.c.id).label("last"))
        .group_by(t.rescores.c.response_id)
        .subquery()
    )
    stmt = (
        sa.select(
            t.submissions,
            t.rescores.c.total.label("rescore_total"),
            t.rescores.c.key_version.label("rescore_key_version"),
        )
        .outerjoin(latest, latest.c.response_id == c.response_id)
        .outerjoin(t.rescores, t.rescores.c.id == latest.c.last)
        .order_by(c.submitted_at, c.response_id)
    )
    if selection.since is not None:
        stmt = stmt.where(c.submitted_at >= selection.since)
    if selection.until is not None:
        stmt = stmt.where(c.submitted_at <= selection.until)
    for column, values in (
        (c.agency, selection.agency),
        (c.area, selection.area),
        (c.vignette_id, selection.vignette),
        (c.session_code, selection.session),
        (c.trainee_id, selection.trainee),
    ):
        if values is not None:
            stmt = stmt.where(column.in_(values))
    return list(conn.execute(stmt).all())
