"""What the trainer's session app shows, read from the store: no widgets.

:class:`SessionModel` is the app without its widgets: which session is open and which case is on
the projector, starting, opening, listing, revealing and closing sessions over the store, and
reading the session on each refresh (:meth:`SessionModel.poll` says whether anything shown
changed). :func:`live_view` turns a snapshot into what the live view shows: the banner's facts,
the attendance, the room of one case with its prompts, the survey. :mod:`arms_training.ui.session`
draws it.

The boundary that protects people holds here: the snapshot carries the answer keys (the CSV
is always scored), but :func:`live_view` summarises the room with the key only once the session is
revealed, so before that nothing derived from a key (consensus, panel, rationale, the key's
choices) is in a :class:`LiveView`, and so in no widget.

Every Voila page is its own kernel, so the store is the only shared state: reveal and open or
closed state are read from it, never kept here, and two trainers on one session see the same.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC
from typing import Literal
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

from arms_training.content import Library, Vignette
from arms_training.errors import Problem, SessionError
from arms_training.framework import Framework, framework_by_id
from arms_training.serving.servers import TRAINEE_URL_ENV
from arms_training.session.data import (
    ScoreResult,
    SessionData,
    SessionStore,
    fingerprint,
    read_session,
    score_responses,
    stored_scores,
    survey_fingerprint,
)
from arms_training.session.records import Session, normalise_session_code
from arms_training.session.room import Attendance, Prompt, Room, attendance, prompts, summarise
from arms_training.session.survey import Survey, SurveySummary, default_survey, summarise_survey

__all__ = [
    "SessionModel",
    "OpenedSession",
    "SessionRow",
    "SessionExport",
    "LiveView",
    "CaseView",
    "SurveyView",
    "RefreshStats",
    "live_view",
    "case_view",
    "session_rows",
    "startable_cases",
    "join_url",
    "code_from_query",
    "TRAINEE_URL_ENV",
    "DEFAULT_TRAINEE_URL",
]

log = logging.getLogger("arms_training.session")
DEFAULT_TRAINEE_URL = "http://127.0.0.1:8866/voila/render/exercise.ipynb"
MAX_LISTED = 30


def join_url(code: str, base: str | None = None) -> str:
    """The trainee page URL with ``?session=CODE`` (``base`` defaults to
    ``ARMS_TRAINING_TRAINEE_URL``, else the local trainee server); other parameters are kept."""
    base = base or os.environ.get(TRAINEE_URL_ENV) or DEFAULT_TRAINEE_URL
    parts = urlsplit(base)
    query = [(k, v) for k, vs in parse_qs(parts.query).items() for v in vs if k != "session"]
    query.append(("session", code))
    return urlunsplit(parts._replace(query=urlencode(query)))


def code_from_query(query: str | None) -> str | None:
    """The ``session`` parameter of a page's query string (``"?session=ABC234"``), if any."""
    values = parse_qs((query or "").lstrip("?")).get("session")
    return values[0] if values else None


# ---------------------------------------------------------------------------- the live view


@dataclass(frozen=True)
class CaseView:
    """One case of the session as the room answered it.

    ``room`` is summarised with the key only when the session is revealed (``room.revealed``);
    ``response_ids`` are this case's submissions, which is what the chart is drawn from.
    """

    vignette: Vignette
    framework: Framework
    room: Room
    prompts: tuple[Prompt, ...]
    response_ids: tuple[str, ...]


@dataclass(frozen=True)
class SurveyView:
    """The end-of-session survey. ``names`` (trainee id -> shown name) attribute the comments;
    None attributes them by agency only. ``fingerprint`` changes when an answer does."""

    summary: SurveySummary
    names: Mapping[str, str] | None
    fingerprint: tuple


@dataclass(frozen=True)
class LiveView:
    """What the live view, the discussion and the survey tabs show of one snapshot."""

    session: Session
    url: str  # the join URL (also in the QR code)
    case_titles: tuple[str, ...]
    attendance: Attendance
    n_submissions: int
    case: CaseView | None  # None when the chosen case is not installed (or none is chosen)
    survey: SurveyView


def case_view(data: SessionData, vignette_id: str | None) -> CaseView | None:
    """The room for one case; the key goes into it only once the session is revealed."""
    if vignette_id is None or vignette_id not in data.frameworks:
        return None
    fw, v = data.frameworks[vignette_id], data.vignettes[vignette_id]
    key = data.keys.get(vignette_id) if data.session.revealed else None
    room = summarise(data.responses, fw, vignette_id=vignette_id, key=key)
    return CaseView(
        vignette=v,
        framework=fw,
        room=room,
        prompts=tuple(prompts(room, vignette=v)),
        response_ids=tuple(str(r.response_id) for r in data.responses if r.vignette_id == vignette_id),
    )


def live_view(
    data: SessionData, *, case: str | None, survey: Survey, trainee_url: str | None = None
) -> LiveView:
    """What is shown of ``data`` with ``case`` on the projector (see :class:`LiveView`)."""
    s = data.session
    summary = summarise_survey(data.survey_rows, survey)
    # Anonymised sessions attribute comments to an agency only: a numbered name on the
    # projector could be matched to the person sitting at that seat.
    names = None if s.anonymise else data.names(anonymise=False)
    return LiveView(
        session=s,
        url=join_url(s.code, trainee_url),
        case_titles=tuple(data.vignettes[v].title for v in data.case_ids),
        attendance=attendance(data.participants, data.drafts, data.responses, anonymise=s.anonymise),
        n_submissions=len(data.responses),
        case=case_view(data, case),
        survey=SurveyView(summary, names, survey_fingerprint(data.survey_rows)),
    )


# ---------------------------------------------------------------------------- sessions


@dataclass(frozen=True)
class SessionRow:
    """One past session in the list."""

    code: str
    created: str  # "2026-03-02 10:00 UTC"
    mode: str
    status: str
    trainer: str
    titles: str  # the cases' titles (the id of one not installed here)


@dataclass(frozen=True)
class OpenedSession:
    """A session just opened: its cases installed here as (title, id), and those that are not."""

    session: Session
    cases: tuple[tuple[str, str], ...]
    missing: tuple[str, ...]


@dataclass(frozen=True)
class SessionExport:
    """What the session pack and the responses CSV are built from: the snapshot with the stored
    scores, and every submission's score."""

    data: SessionData
    scores: Mapping[str, ScoreResult]

    @property
    def code(self) -> str:
        return self.data.session.code

    @property
    def pack_filename(self) -> str:
        return f"arms-session-{self.code}.html"

    @property
    def csv_filename(self) -> str:
        return f"arms-session-{self.code}-responses.csv"


@dataclass
class RefreshStats:
    """What refreshing cost: read by the load benchmark and handy when tuning."""

    polls: int = 0
    renders: int = 0
    charts: int = 0
    last_poll_wall: float = 0.0
    last_poll_cpu: float = 0.0
    last_render_wall: float = 0.0
    last_render_cpu: float = 0.0

    def record(self, wall: float, cpu: float, *, rendered: bool) -> None:
        self.polls += 1
        self.last_poll_wall, self.last_poll_cpu = wall, cpu
        if rendered:
            self.renders += 1
            self.last_render_wall, self.last_render_cpu = wall, cpu


def startable_cases(library: Library) -> list[tuple[str, str]]:
    """The cases a session can use, as (``"title (id)"``, id): those with an answer key."""
    return [(f"{library.vignettes[v].title} ({v})", v) for v in library.vignettes if v in library.keys]


def session_rows(store: SessionStore, library: Library, *, limit: int = MAX_LISTED) -> list[SessionRow]:
    """The newest ``limit`` sessions, newest first."""
    rows = []
    for s in store.list_sessions()[:limit]:
        titles = ", ".join(
            library.vignettes[v].title if v in library.vignettes else v for v in s.vignette_ids
        )
        when = s.created_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
        rows.append(SessionRow(s.code, when, s.mode, s.status, s.trainer, titles))
    return rows


class SessionModel:
    """The trainer's app without widgets: one open session at a time, read from the store.

    ``store`` is a :class:`~arms_training.session.data.SessionStore` (an
    :class:`arms_training.store.Store`), or a function that opens one, called on first use so a
    page draws before it opens its database. ``on_unreadable`` hears of the stored
    responses of the open session that no longer validate, once each time that set changes.
    """

    def __init__(
        self,
        store: SessionStore | Callable[[], SessionStore],
        *,
        library: Library,
        framework_for: Callable[[str], Framework] = framework_by_id,
        trainee_url: str | None = None,
        survey: Survey | None = None,
        on_unreadable: Callable[[Sequence[Problem]], None] | None = None,
    ) -> None:
        self._store_arg = store
        self._store: SessionStore | None = None
        self.library = library
        self.framework_for = framework_for
        self.trainee_url = trainee_url
        self.survey = survey or default_survey()
        self.on_unreadable = on_unreadable
        self.code: str | None = None
        self.case: str | None = None
        self.data: SessionData | None = None  # the last snapshot that changed what is shown
        self._fingerprint: tuple | None = None
        self._unreadable: tuple[str, ...] = ()

    @property
    def store(self) -> SessionStore:
        if self._store is None:
            arg = self._store_arg
            self._store = arg() if callable(arg) else arg
        return self._store

    @store.setter
    def store(self, store: SessionStore) -> None:
        self._store = store

    # -- sessions ----------------------------------------------------------------------------
    def start(
        self, cases: Sequence[str], *, mode: Literal["full", "quick"], anonymise: bool, trainer: str = ""
    ) -> OpenedSession:
        """Create a session for ``cases`` and open it."""
        if not cases:
            raise SessionError("choose at least one case for the session")
        session = self.store.create_session(
            list(cases), mode=mode, anonymise=anonymise, trainer=trainer.strip()
        )
        return self.open(session.code)

    def open(self, code: str) -> OpenedSession:
        """Open the session with ``code`` as typed (case, spaces and dashes do not matter); its
        first installed case goes on the projector."""
        code = normalise_session_code(code)
        session = self.store.get_session(code)
        if session is None:
            raise SessionError(f"there is no training session with code {code}")
        vignettes = self.library.vignettes
        cases = tuple((vignettes[v].title, v) for v in session.vignette_ids if v in vignettes)
        self.code, self.case, self.data = code, cases[0][1] if cases else None, None
        self._fingerprint, self._unreadable = None, ()
        return OpenedSession(session, cases, tuple(v for v in session.vignette_ids if v not in vignettes))

    def listing(self, *, limit: int = MAX_LISTED) -> list[SessionRow]:
        return session_rows(self.store, self.library, limit=limit)

    def _current(self, code: str) -> Session:
        # Read first: another trainer may have changed it since this view last refreshed.
        current = self.store.get_session(code)
        if current is None:
            raise SessionError(f"session {code} no longer exists")
        return current

    def toggle_reveal(self) -> Session | None:
        """Reveal the key to the room, or hide it again; None when no session is open."""
        if self.code is None:
            return None
        return self.store.set_revealed(self.code, not self._current(self.code).revealed)

    def toggle_open(self) -> Session | None:
        """Close the session to new trainees, or reopen it; None when no session is open."""
        if self.code is None:
            return None
        if self._current(self.code).is_open:
            return self.store.close_session(self.code)
        return self.store.reopen_session(self.code)

    # -- reading -----------------------------------------------------------------------------
    def read(self) -> SessionData:
        """One snapshot of the open session (raises SessionError when none is open)."""
        if self.code is None:
            raise SessionError("no session is open")
        data, problems = read_session(self.store, self.code, self.library, framework_for=self.framework_for)
        self._note_unreadable(problems)
        return data

    def _note_unreadable(self, problems: Sequence[Problem]) -> None:
        """A stored response that no longer validates is left out of the room, said once."""
        records = tuple(sorted({p.path for p in problems}))
        if records == self._unreadable:
            return
        self._unreadable = records
        for p in problems:
            log.warning("session %s: stored response not readable: %s", self.code, p)
        if records and self.on_unreadable is not None:
            self.on_unreadable(problems)

    def poll(self, *, force: bool = False) -> bool:
        """Read the store; keep the snapshot and say True if anything shown changed (or
        ``force``). Cheap when nothing changed: a few queries and a comparison."""
        data = self.read()
        fp = fingerprint(data)
        changed = force or fp != self._fingerprint
        if changed:
            self._fingerprint, self.data = fp, data
        return changed

    def live_view(self) -> LiveView:
        """What is shown of the last snapshot (:meth:`poll` first)."""
        if self.data is None:
            raise SessionError("no session has been read yet")
        return live_view(self.data, case=self.case, survey=self.survey, trainee_url=self.trainee_url)

    def export(self) -> SessionExport:
        """A fresh snapshot with the stored scores, every submission scored: what the session
        pack and the responses CSV are built from."""
        data = self.read()
        data = replace(data, stored_scores=stored_scores(self.store, data.session.code))
        return SessionExport(data, score_responses(data))
