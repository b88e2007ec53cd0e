"""The end-of-session evaluation: statements as data, answers checked, results by agency.

The statements and the Likert labels live in ``data/survey.yaml`` (a project default a force may
replace); the store keeps each trainee's answers as ``{statement id: 1..5}``. The summary splits
answers by agency as the national evaluation's figures do (police and probation side by side),
into disagree (1-2), neutral (3) and agree (4-5) shares, and keeps the five-level counts for the
diverging bars.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from arms_training.errors import SurveyError
from arms_training.io.documents import parse_model, read_document
from arms_training.responses import AGENCIES, MAX_TEXT

__all__ = [
    "SURVEY_PATH",
    "Survey",
    "Statement",
    "LikertLevel",
    "SurveyError",
    "StatementResult",
    "SurveySummary",
    "load_survey",
    "default_survey",
    "check_answers",
    "summarise_survey",
    "DISAGREE",
    "NEUTRAL",
    "AGREE",
]

SURVEY_PATH = Path(__file__).resolve().parents[1] / "data" / "survey.yaml"
# Bands of the five-point scale, as the evaluation reports "strongly agree and agree combined".
DISAGREE, NEUTRAL, AGREE = (1, 2), (3,), (4, 5)


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class LikertLevel(_Frozen):
    value: int = Field(ge=1, le=5)
    label: str = Field(min_length=1)


class Statement(_Frozen):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=80)
    text: str = Field(min_length=1)
    theme: str = ""


class Survey(_Frozen):
    """A validated survey. Build with :func:`load_survey`."""

    schema_version: Literal[1]
    id: str
    version: int = Field(ge=1)
    title: str
    intro: str = ""
    project_default: str = ""
    scale: tuple[LikertLevel, ...]
    statements: tuple[Statement, ...] = Field(min_length=1)
    comment_prompt: str = ""

    @model_validator(mode="after")
    def _checks(self) -> Survey:
        values = [lv.value for lv in self.scale]
        if values != [1, 2, 3, 4, 5]:
            raise ValueError(f"scale must list the values 1 to 5 in order, got {values}")
        ids = [s.id for s in self.statements]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ValueError(f"duplicate statement id {', '.join(dupes)}")
        return self

    @property
    def statement_ids(self) -> tuple[str, ...]:
        return tuple(s.id for s in self.statements)

    def statement(self, statement_id: str) -> Statement:
        for s in self.statements:
            if s.id == statement_id:
                return s
        raise KeyError(statement_id)

    def label(self, value: int) -> str:
        return next(lv.label for lv in self.scale if lv.value == value)


def load_survey(path: str | Path = SURVEY_PATH) -> Survey:
    """Load and validate a survey file; raise ContentError naming file, field and line."""
    data, lines = read_document(path)
    return parse_model(Survey, data, path, lines)


@cache
def default_survey() -> Survey:
    return load_survey(SURVEY_PATH)


def check_answers(
    survey: Survey, answers: Mapping[str, Any], comment: str = "", *, require_all: bool = True
) -> tuple[dict[str, int], str]:
    """Validated ``(answers, comment)`` ready for ``Store.save_survey``.

    Raises SurveyError for an unknown statement, a value outside 1..5, a missing answer (when
    ``require_all``), no answers at all, or a comment over the length limit.
    """
    known = set(survey.statement_ids)
    out: dict[str, int] = {}
    for sid, value in answers.items():
        if sid not in known:
            raise SurveyError(f"unknown survey statement {sid!r}; allowed: {', '.join(survey.statement_ids)}")
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 5:
            raise SurveyError(f"the answer to {sid!r} must be 1 to 5, got {value!r}")
        out[sid] = value
    missing = [s for s in survey.statement_ids if s not in out]
    if require_all and missing:
        raise SurveyError(f"please answer every statement ({len(missing)} still to answer)")
    if not out:
        raise SurveyError("please answer at least one statement")
    comment = (comment or "").strip()
    if len(comment) > MAX_TEXT:
        raise SurveyError(f"the comment is {len(comment):,} characters long; the limit is {MAX_TEXT:,}")
    return out, comment


@dataclass(frozen=True)
class StatementResult:
    """One statement for one agency (or ``"all"``)."""

    statement: str
    agency: str
    n: int
    counts: dict[int, int]  # 1..5 -> count
    disagree: float  # shares of n (0 when n is 0)
    neutral: float
    agree: float


@dataclass(frozen=True)
class SurveySummary:
    survey_id: str
    n: int
    agencies: tuple[str, ...]
    n_by_agency: dict[str, int]
    results: tuple[StatementResult, ...]
    comments: tuple[tuple[str, str, str], ...]  # (trainee id, agency, comment), oldest first

    def result(self, statement: str, agency: str = "all") -> StatementResult:
        for r in self.results:
            if r.statement == statement and r.agency == agency:
                return r
        raise KeyError((statement, agency))


def _result(statement: str, agency: str, values: list[int]) -> StatementResult:
    counts = {v: values.count(v) for v in range(1, 6)}
    n = len(values)

    def share(band: tuple[int, ...]) -> float:
        return sum(counts[v] for v in band) / n if n else 0.0

    return StatementResult(statement, agency, n, counts, share(DISAGREE), share(NEUTRAL), share(AGREE))


def summarise_survey(rows: Iterable[Mapping[str, Any]], survey: Survey) -> SurveySummary:
    """Aggregate stored survey rows (``Store.survey_rows``: ``trainee_id``, ``agency``,
    ``answers``, ``comment``) by agency and overall.

    Answers to statements the survey no longer has, and values outside 1..5, are ignored;
    a trainee who left a statement out is simply not counted for it (each result has its n).
    """
    rows = list(rows)
    agencies = tuple(a for a in AGENCIES if any(r.get("agency") == a for r in rows))
    results = []
    for sid in survey.statement_ids:
        for agency in (*agencies, "all"):
            values = [
                r["answers"][sid]
                for r in rows
                if agency in ("all", r.get("agency"))
                and isinstance((r.get("answers") or {}).get(sid), int)
                and 1 <= r["answers"][sid] <= 5
            ]
            results.append(_result(sid, agency, values))
    comments = tuple(
        (str(r.get("trainee_id", "")), str(r.get("agency", "")), str(r["comment"]).strip())
        for r in rows
        if str(r.get("comment") or "").strip()
    )
    return SurveySummary(
        survey_id=survey.id,
        n=len(rows),
        agencies=agencies,
        n_by_agency={a: sum(r.get("agency") == a for r in rows) for a in agencies},
        results=tuple(results),
        comments=comments,
    )
