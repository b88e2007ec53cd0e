"""What a trainee submits: the Response interchange format every app writes and every tool reads.

A draft is a Response that is not yet submitted (``submitted_at`` is None) and may be partial;
:func:`arms_training.stages.missing_for_submission` says what a trainee still has to do before
submitting.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from arms_training.errors import ContentError, Problem
from arms_training.framework import Rating
from arms_training.io.documents import parse_model, read_document

__all__ = [
    "Response",
    "Trainee",
    "PlanAction",
    "FollowUpResponse",
    "AGENCIES",
    "MAX_TEXT",
    "load_response",
    "parse_response",
    "new_response",
    "now",
]

AGENCIES = ("police", "probation", "other")
# Long enough for a considered note, short enough that one paste cannot bloat the store.
MAX_TEXT = 4000


def now() -> datetime:
    return datetime.now(UTC)


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class Trainee(_Model):
    id: str = Field(min_length=1, max_length=80)
    agency: Literal["police", "probation", "other"]
    role: str = Field(default="", max_length=120)
    area: str = Field(default="", max_length=120)


class PlanAction(_Model):
    intervention: str
    label: str = Field(default="", max_length=200)  # for intervention "other"
    factors: list[str] = []
    objective: str = Field(default="", max_length=MAX_TEXT)
    enforcement: str = Field(default="", max_length=MAX_TEXT)
    rationale: str = Field(default="", max_length=MAX_TEXT)
    owner: Literal["police", "probation", "joint", "other", ""] = ""
    review_weeks: int | None = Field(default=None, ge=1, le=104)


class FollowUpResponse(_Model):
    significant_change: bool | None = None
    ratings: dict[str, Rating] = {}
    risk_management_level: str | None = None


class Response(_Model):
    schema_version: Literal[1] = 1
    response_id: uuid.UUID
    trainee: Trainee
    session_code: str | None = Field(default=None, max_length=16)
    vignette_id: str
    vignette_version: int
    key_version: int | None = None
    framework: str
    mode: Literal["full", "quick"] = "full"
    ratings: dict[str, Rating] = {}
    evidence: dict[str, list[str]] = {}
    notes: dict[str, str] = {}
    priorities: list[str] = []
    priority_level: str | None = None
    risk_management_level: str | None = None
    override_rationale: str | None = Field(default=None, max_length=MAX_TEXT)
    plan: list[PlanAction] = []
    follow_up: FollowUpResponse | None = None
    started_at: datetime
    submitted_at: datetime | None = None
    stage_seconds: dict[str, float] = {}

    def to_json_dict(self) -> dict[str, Any]:
        return self.model_dump(mode="json")

    def to_json(self) -> str:
        return self.model_dump_json(indent=2)


def new_response(
    trainee: Trainee,
    vignette_id: str,
    vignette_version: int,
    framework: str,
    *,
    mode: Literal["full", "quick"] = "full",
    session_code: str | None = None,
) -> Response:
    return Response(
        response_id=uuid.uuid4(),
        trainee=trainee,
        vignette_id=vignette_id,
        vignette_version=vignette_version,
        framework=framework,
        mode=mode,
        session_code=session_code,
        started_at=now(),
    )


def parse_response(data: Any, source: str = "<response>") -> Response:
    """Validate one response record; problems name the source and the response id where known."""
    rid = data.get("response_id") if isinstance(data, dict) else None
    label = f"{source} (response {rid})" if rid else source
    response = parse_model(Response, data, label)
    long_notes = [f for f, text in response.notes.items() if len(text) > MAX_TEXT]
    if long_notes:
        raise ContentError(
            [Problem(label, f"notes.{f}", f"note longer than {MAX_TEXT} characters") for f in long_notes]
        )
    return response


def load_response(path: str | Path) -> Response:
    """One response file (JSON or YAML); problems name the file and the response id where known.

    For many responses (JSONL, CSV, a folder, a database) see :mod:`arms_training.io.sources`,
    which reads each record with :func:`parse_response` too.
    """
    data, _ = read_document(path)
    return parse_response(data, str(path))
