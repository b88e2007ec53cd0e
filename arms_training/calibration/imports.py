"""What the dashboard keeps of each import: a report of what it did, and the loaded records.

The reading itself is :func:`arms_training.io.sources.read_records`, shared with the command line.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from arms_training.errors import Problem
from arms_training.responses import Response

__all__ = ["ImportReport", "Records"]


@dataclass
class ImportReport:
    """What one import did: records read, new, duplicates skipped, and the bad records."""

    source: str
    n_records: int = 0
    n_new: int = 0
    n_duplicates: int = 0
    problems: list[Problem] = field(default_factory=list)

    @property
    def n_bad(self) -> int:
        return len({p.path for p in self.problems})

    def message(self) -> str:
        dup = (
            f"; {self.n_duplicates} duplicate{'s' if self.n_duplicates != 1 else ''} "
            "skipped (same response_id as one already loaded: the first copy is kept)"
            if self.n_duplicates
            else ""
        )
        bad = f"; {self.n_bad} record{'s' if self.n_bad != 1 else ''} could not be read" if self.n_bad else ""
        return f"{self.source}: {self.n_records} records read, {self.n_new} new{dup}{bad}."


class Records(Sequence):
    """Loaded responses kept as JSON text and parsed again on demand (drill-down, checks)."""

    def __init__(self, items: list[str | bytes] | None = None) -> None:
        self.items: list[str | bytes] = items or []

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, i: int) -> Response:  # type: ignore[override]
        return Response.model_validate_json(self.items[i])
