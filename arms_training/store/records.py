"""What the store hands back: small frozen records, and the session join code."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from arms_training.responses import Response
from arms_training.store.errors import SessionError

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

# No 0/O and no 1/I: a code read aloud or copied from a projector must not be ambiguous.
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 6  # 32**6 ~ 10**9 codes: guessing an open session's code is not practical


def new_session_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def normalise_session_code(text: str) -> str:
    """Upper-case a typed code and drop spaces and dashes (``"abc 23-4"`` -> ``"ABC234"``).

    Raises SessionError when the result cannot be a session code, naming what is allowed.
    """
    code = "".join(ch for ch in str(text).upper() if ch not in " -\t")
    if len(code) != CODE_LENGTH or any(ch not in CODE_ALPHABET for ch in code):
        raise SessionError(
            f"{text!r} is not a session code: a code has {CODE_LENGTH} letters and digits, "
            "without 0, O, 1 or I; check it with your trainer"
        )
    return code


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
class Session:
    code: str
    vignette_ids: tuple[str, ...]
    mode: Literal["full", "quick"]
    anonymise: bool
    status: Literal["open", "closed"]
    trainer: str
    created_at: datetime
    revealed: bool
    revealed_at: datetime | None

    @property
    def is_open(self) -> bool:
        return self.status == "open"


@dataclass(frozen=True)
class Participant:
    session_code: str
    trainee_id: str
    agency: str
    role: str
    joined_at: datetime
