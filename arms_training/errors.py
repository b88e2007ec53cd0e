"""The project's own errors: one family, so the apps and commands catch what a person can act on
and let anything else (a bug) reach the log.

Every error raised on purpose is an :class:`ArmsError`; its message is written for the person
who can fix the cause (a trainee, an author, a quality lead, an administrator). Most are also
``ValueError`` (bad input, as the standard library would say), :class:`StoreError` is not: the
database failing is not the caller's input being wrong.

A loader's problems are :class:`Problem` records naming the file, the field and the line, so
``validate`` can print them all at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Self

__all__ = [
    "ArmsError",
    "Problem",
    "ProblemsError",
    "ContentError",
    "ScoringError",
    "AgreementError",
    "InputError",
    "SettingsError",
    "SourceError",
    "SurveyError",
    "SessionError",
    "StoreError",
    "StoreUnavailable",
]


@dataclass(frozen=True)
class Problem:
    """One thing wrong with one file: rendered as ``path: field: message`` (line where known)."""

    path: str
    field: str
    message: str
    line: int | None = None

    def __str__(self) -> str:
        if self.field:
            where = f"{self.field} (line {self.line})" if self.line else self.field
        else:
            where = f"line {self.line}" if self.line else "(file)"
        return f"{self.path}: {where}: {self.message}"


class ArmsError(Exception):
    """Base of every error arms-training raises on purpose; the message can be shown as it is."""


class ProblemsError(ArmsError, ValueError):
    """An error that carries every :class:`Problem` found, one per line of its message."""

    def __init__(self, problems: list[Problem] | Problem):
        self.problems = [problems] if isinstance(problems, Problem) else list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))

    @classmethod
    def single(cls, path: str, field: str, message: str, line: int | None = None) -> Self:
        return cls(Problem(str(path), field, message, line))


class ContentError(ProblemsError):
    """A framework, vignette, key, survey or response file is not valid.

    Nothing is half-loaded: a loader either returns a complete model or raises this.
    """


class ScoringError(ProblemsError):
    """A response cannot be scored against this key/framework; ``problems`` name the response id
    and the field (``response <id>: key_version: ...``)."""


class AgreementError(ArmsError, ValueError):
    """An agreement statistic is undefined for these ratings; the message says why."""


class InputError(ArmsError, ValueError):
    """A trainee's input that cannot be accepted; the message is shown in the page as is."""


class SettingsError(ArmsError, ValueError):
    """A calibration threshold, filter or other setting is not valid; the message says which
    and what is allowed."""


class SourceError(ArmsError, ValueError):
    """A whole import source is unusable (wrong kind of file); the message says what to do."""


class SurveyError(ArmsError, ValueError):
    """Answers that do not fit the survey; the message says what to fix."""


class SessionError(ArmsError, ValueError):
    """A session code is unknown or closed, or a session or survey request is not valid."""


class StoreError(ArmsError):
    """The database could not do what was asked; the message can be shown to a trainee as is.

    The original database exception is kept as ``__cause__`` for the log.
    """


class StoreUnavailable(StoreError):
    """The database is locked, unreachable or out of connections. The message is the page's
    ("your draft is kept in this page"); ``detail`` is the driver's own first line and ``url``
    the database (password hidden), for a command line to word its own message."""

    def __init__(self, message: str, *, detail: str = "", url: str = "") -> None:
        super().__init__(message)
        self.detail = detail
        self.url = url
