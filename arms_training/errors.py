"""Domain errors shared by every loader: one problem names file, field, line and what is allowed."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Problem", "ContentError"]


@dataclass(frozen=True)
class Problem:
    """One thing wrong with one file: rendered as ``path: field: message`` (line where known)."""

    path: str
    field: str
    message: str
    line: int | None = None

    def __str__(self) -> str:
        where = f"{self.field} (line {self.line})" if self.line else self.field
        return f"{self.path}: {where or '(file)'}: {self.message}"


class ContentError(ValueError):
    """Raised when a framework, vignette, key or response file is not valid.

    Carries every problem found in the file so that ``validate`` can print them all at once;
    nothing is half-loaded: a loader either returns a complete model or raises this.
    """

    def __init__(self, problems: list[Problem] | Problem):
        self.problems = [problems] if isinstance(problems, Problem) else list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))

    @classmethod
    def single(cls, path: str, field: str, message: str, line: int | None = None) -> ContentError:
        return cls(Problem(str(path), field, message, line))
