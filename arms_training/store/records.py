"""What the store hands back: small frozen records (the session ones are the session's own,
:mod:`arms_training.session.records`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from arms_training.responses import Response
from arms_training.session.records import (
    CODE_ALPHABET,
    CODE_LENGTH,
    Participant,
    Session,
    new_session_code,
    normalise_session_code,
)

__all__ = [
    "AuditEntry",
    "Selection",
    "SubmitResult",
    "Submission",
    "Rescore",
    "Session",
    "Participant",
    "CODE_ALPHABET",
    "CODE_LENGTH",
    "new_session_code",
    "normalise_session_code",
]


@dataclass(frozen=True)
class SubmitResult:
    """``created`` is False when the same response had already been submitted."""

    created: bool
    response_id: str


@dataclass(frozen=True)
class Rescore:
    """One recorded re-scoring of a submission; the original score is never altered."""

    response_id: str
    key_version: int
    total: float | None
    score: dict[str, Any]
    reason: str
    rescored_at: datetime


@dataclass(frozen=True)
class Submission:
    """A stored submission with the versions it was scored against and any later re-scores."""

    response: Response
    score: dict[str, Any]
    total: float | None
    key_version: int
    framework_version: str
    submitted_at: datetime
    rescores: tuple[Rescore, ...] = field(default=())

    @property
    def current_score(self) -> dict[str, Any]:
        """The latest re-score if there is one, else the score given at submission."""
        return self.rescores[-1].score if self.rescores else self.score


@dataclass(frozen=True)
class AuditEntry:
    """One staff action on personal data: ``action`` is one of reveal, export, erase, purge,
    rescore; ``subject`` a session code, a response id or a trainee digest (never a trainee id);
    ``details`` what was done (counts, filters, the reason)."""

    id: int
    at: datetime
    action: str
    actor: str
    subject: str
    details: dict[str, Any]


@dataclass(frozen=True)
class Selection:
    """Which submissions an export takes; ``None`` means no restriction. ``since`` and
    ``until`` bound ``submitted_at`` inclusively; the others match any of their values."""

    since: datetime | None = None
    until: datetime | None = None
    agency: tuple[str, ...] | None = None
    area: tuple[str, ...] | None = None
    vignette: tuple[str, ...] | None = None
    session: tuple[str, ...] | None = None
    trainee: tuple[str, ...] | None = None
