"""One session read from the store, its scores, and what tells a view that something changed.

:func:`read_session` takes one snapshot of a session (a few small queries) as
:class:`SessionData`; the live view, the session pack and the responses CSV are all built from
it. The snapshot holds the answer keys of its cases, because the CSV always carries the scores;
what is *shown* holds nothing of a key until the session is revealed (see
:mod:`arms_training.session.model`).

Scores stored in the store are JSON; :func:`stored_scores` is the one place they are read back,
as :class:`~arms_training.scoring.report.ScoreReport` objects through ``ScoreReport.from_dict``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from arms_training.content import AnswerKey, Library, Vignette
from arms_training.errors import Problem, ScoringError, SessionError
from arms_training.framework import Framework
from arms_training.responses import Response
from arms_training.scoring.report import ScoreReport
from arms_training.scoring.rules import score
from arms_training.session.records import Participant, Session
from arms_training.session.room import display_names


class SessionStore(Protocol):
    """What the session model asks of a store (:class:`arms_training.store.Store` is one): the
    session's records and its submissions, drafts and survey answers."""

    def get_session(self, code: str) -> Session | None: ...
    def list_sessions(self) -> list[Session]: ...
    def create_session(
        self,
        vignette_ids: Sequence[str],
        *,
        mode: Literal["full", "quick"] = ...,
        anonymise: bool = ...,
        trainer: str = ...,
    ) -> Session: ...
    def set_revealed(self, code: str, revealed: bool) -> Session: ...
    def close_session(self, code: str) -> Session: ...
    def reopen_session(self, code: str) -> Session: ...
    def participants(self, code: str) -> list[Participant]: ...
    def drafts(self, *, session_code: str | None = None) -> list[Response]: ...
    def survey_rows(self, code: str) -> list[dict[str, Any]]: ...
    def submission_rows(self, *, session_code: str | None = None) -> list[dict[str, Any]]: ...
    def submitted_responses(
        self, *, session_code: str | None = None, errors: Literal["raise", "collect"] = ...
    ) -> Any: ...


__all__ = [
    "SessionStore",
    "SessionData",
    "ScoreResult",
    "read_session",
    "fingerprint",
    "score_responses",
    "stored_scores",
]

log = logging.getLogger("arms_training.session")


@dataclass(frozen=True)
class SessionData:
    """Everything the views and the pack need about one session, read from the store beforehand.

    ``keys`` may hold keys for every case: they are used only when the pack is built with the
    key revealed, and to score the CSV. ``frameworks`` maps vignette id to its framework.
    ``stored_scores`` (response id -> report) is read only for an export (:func:`stored_scores`).
    """

    session: Session
    vignettes: Mapping[str, Vignette]
    frameworks: Mapping[str, Framework]
    participants: Sequence[tuple[str, str]]  # (trainee id, agency), joining order
    responses: Sequence[Response]  # submitted, in submission order
    drafts: Sequence[Response] = ()
    keys: Mapping[str, AnswerKey] = field(default_factory=dict)
    survey_rows: Sequence[Mapping[str, Any]] = ()
    stored_scores: Mapping[str, ScoreReport] = field(default_factory=dict)

    @property
    def case_ids(self) -> list[str]:
        """The session's cases that are installed, then any other case answered in it."""
        ids = [v for v in self.session.vignette_ids if v in self.vignettes]
        answered = {r.vignette_id for r in self.responses} & set(self.vignettes)
        ids += sorted(answered - set(ids))
        return ids

    def names(self, *, anonymise: bool) -> dict[str, str]:
        people = list(self.participants) + [(r.trainee.id, r.trainee.agency) for r in self.responses]
        return display_names(people, anonymise=anonymise)


def read_session(
    store: SessionStore,
    code: str,
    library: Library,
    *,
    framework_for: Callable[[str], Framework],
) -> tuple[SessionData, list[Problem]]:
    """One snapshot of session ``code``, and a problem for each stored response left out.

    A stored response that no longer validates (the format moved on, the row was edited by
    hand) is left out of the snapshot; its problem names the record. Cases that are not
    installed here, or whose framework is not, are left out too (the framework with a warning in
    the log).

    Raises
    ------
    SessionError
        When there is no session ``code`` (any more).
    StoreError
        When the database cannot be read.
    """
    session = store.get_session(code)
    if session is None:
        raise SessionError(f"session {code} no longer exists")
    vids = [v for v in dict.fromkeys(session.vignette_ids) if v in library.vignettes]
    responses, problems = store.submitted_responses(session_code=code, errors="collect")
    vids += [
        r.vignette_id for r in responses if r.vignette_id in library.vignettes and r.vignette_id not in vids
    ]
    frameworks = {}
    for v in dict.fromkeys(vids):
        try:
            frameworks[v] = framework_for(library.vignettes[v].framework)
        except KeyError:
            log.warning("framework %s for %s is not installed", library.vignettes[v].framework, v)
    data = SessionData(
        session=session,
        vignettes={v: library.vignettes[v] for v in frameworks},
        frameworks=frameworks,
        participants=[(p.trainee_id, p.agency) for p in store.participants(code)],
        responses=responses,
        drafts=store.drafts(session_code=code),
        keys={v: library.keys[v] for v in frameworks if v in library.keys},
        survey_rows=store.survey_rows(code),
    )
    return data, list(problems)


def fingerprint(data: SessionData) -> tuple:
    """What the live view shows, reduced to a comparable value: it changes exactly when the
    session's state, the people who joined, who is working, the submissions or the survey
    answers change (a second save of the same draft changes nothing shown)."""
    s = data.session
    return (
        s.status,
        s.revealed,
        tuple(data.participants),
        tuple(sorted({r.trainee.id for r in data.drafts})),
        tuple(str(r.response_id) for r in data.responses),
        survey_fingerprint(data.survey_rows),
    )


def survey_fingerprint(rows: Sequence[Mapping[str, Any]]) -> tuple:
    """Changes when a survey answer is given or replaced."""
    return tuple((row.get("trainee_id"), str(row.get("submitted_at"))) for row in rows)


# ---------------------------------------------------------------------------- scores


@dataclass(frozen=True)
class ScoreResult:
    """A response's score from :func:`arms_training.scoring.rules.score`, or the stored one when the
    key has moved on (``source`` says which), or an error message."""

    total: float | None
    report: ScoreReport | None
    source: Literal["scored", "stored", "unscored"]
    error: str = ""


def score_responses(data: SessionData) -> dict[str, ScoreResult]:
    """Score every submitted response with the shared scoring module.

    A response scored against an older key version cannot be re-scored silently (that is an
    explicit, recorded act); its stored score is used and marked ``stored``.
    """
    out: dict[str, ScoreResult] = {}
    for r in data.responses:
        rid = str(r.response_id)
        key = data.keys.get(r.vignette_id)
        fw = data.frameworks.get(r.vignette_id)
        stored = data.stored_scores.get(rid)
        if key is not None and fw is not None:
            try:
                report = score(r, key, fw, vignette=data.vignettes.get(r.vignette_id))
                out[rid] = ScoreResult(report.total, report, "scored")
                continue
            except ScoringError as exc:
                error = str(exc).splitlines()[0]
        else:
            error = f"no answer key for '{r.vignette_id}'"
        if stored is not None:
            out[rid] = ScoreResult(stored.total, stored, "stored", error)
        else:
            out[rid] = ScoreResult(None, None, "unscored", error)
    return out


def stored_scores(store: SessionStore, code: str) -> dict[str, ScoreReport]:
    """The score stored with each submission of session ``code`` (its latest re-score if it has
    one), by response id.

    A stored score that is not the JSON form of a score report is left out, with a warning in
    the log: that response is then re-scored or marked unscored, never shown half-read.
    """
    out: dict[str, ScoreReport] = {}
    for row in store.submission_rows(session_code=code):
        stored = (row["rescore"] or {}).get("score") or row["score"]
        try:
            out[row["response_id"]] = ScoreReport.from_dict(stored)
        except ScoringError as exc:
            log.warning("session %s: stored score not readable: %s", code, exc)
    return out
