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
