"""A training session as a record, and its join code: what a session is, whoever stores it."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from arms_training.errors import SessionError

__all__ = [
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
