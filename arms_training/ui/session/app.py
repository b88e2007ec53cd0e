"""The trainer's joint-session app: start or reopen a session, show the join code, watch the room.

Every Voila page is its own kernel, so the store is the only shared state: this view reads it on
a timer (an asyncio task on the kernel's event loop, never a thread, since widgets must be
changed from the kernel's main thread) and redraws only when something changed. Reveal and
open/closed state live in the store, so two trainers on the same session see the same thing.

The answer keys are loaded in this (token-protected staff) kernel, but nothing derived from a key
is put in a widget until the session is revealed: the room summary is built with ``key=None``
until then (see :mod:`arms_training.session.room`).
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

import ipywidgets as w

from arms_training.content import Library, load_library
from arms_training.framework import Framework, framework_by_id
from arms_training.reports.session import (
    SessionData,
    attendance_html,
    choices_html,
    comments_html,
    download_link_html,
    esc,
    key_table_html,
    people_html,
    prompts_html,
    responses_csv,
    score_responses,
    session_pack_html,
    survey_table_html,
)
from arms_training.serving.servers import TRAINEE_URL_ENV
from arms_training.session.room import attendance, prompts, summarise
from arms_training.session.survey import Survey, default_survey, summarise_survey
from arms_training.store import SessionError, Store, StoreError, normalise_session_code
from arms_training.ui.base import guard, sentence
from arms_training.ui.components import Messages, classed, close_all

__all__ = [
    "SessionApp",
    "LiveTimer",
    "join_url",
    "qr_png",
    "TRAINEE_URL_ENV",
    "DEFAULT_TRAINEE_URL",
    "SESSION_CSS",
]

log = logging.getLogger("arms_training.ui")
DEFAULT_TRAINEE_URL = "http://127.0.0.1:8866/voila/render/exercise.ipynb"
UNEXPECTED = "Something went wrong on our side; the session is safe in the store. Try again."
SESSION_ERRORS = ((SessionError, "warning", sentence), (StoreError, "error", sentence))
TABS = ("Sessions", "Live room", "Discussion", "Export & survey")

SESSION_CSS = """
<style>
.arms-session-app {font-size: 15px; line-height: 1.45;}
.arms-session-code {font-size: 44px; font-weight: bold; letter-spacing: 6px; font-family: monospace;}
.arms-session-url {font-size: 16px; word-break: break-all;}
.arms-session-status-closed {color: #c62828; font-weight: bold;}
.arms-session-status-open {color: #2e7d32; font-weight: bold;}
.arms-session-person {display: inline-block; border: 1px solid #ccc; border-radius: 10px;
  padding: 0 8px; margin: 2px; font-size: 13px;}
.arms-session-person-submitted {background: #edf7ee; border-color: #2e7d32;}
.arms-session-person-in-progress {background: #eef4fb; border-color: #3a76c4;}
.arms-session-empty {color: #555; font-style: italic;}
.arms-session-prompt {border-left: 4px solid #3a76c4; padding: 4px 12px; margin: 10px 0;
  background: #f6f9fd;}
.arms-session-prompt-agency {border-color: #d9731a; background: #fdf6ef;}
.arms-session-prompt-kind {font-size: 12px; color: #555; text-transform: uppercase;}
.arms-session-expert {background: #edf7ee; padding: 6px; margin: 6px 0;}
.arms-session-in-key td:first-child {font-weight: bold;}
.arms-session-contraindicated td {background: #fdecea;}
.arms-session-row {border-bottom: 1px solid #eee; padding: 2px 0;}
.arms-table {border-collapse: collapse; margin: 6px 0;}
.arms-table caption {text-align: left; font-weight: bold;}
.arms-table th, .arms-table td {border: 1px solid #ddd; padding: 3px 8px; text-align: left;
  vertical-align: top;}
.arms-msg {padding: 6px 10px; margin: 4px 0; border-radius: 4px; border-left: 4px solid;}
.arms-msg-info {background: #eef4fb; border-color: #3a76c4;}
.arms-msg-success {background: #edf7ee; border-color: #2e7d32;}
.arms-msg-warning {background: #fff6e5; border-color: #c77700;}
.arms-msg-error {background: #fdecea; border-color: #c62828;}
.arms-para-id {font-family: monospace; background: #eee; padding: 0 3px;}
</style>
"""


def join_url(code: str, base: str | None = None) -> str:
    """The trainee page URL with ``?session=CODE`` (``base`` defaults to
    ``ARMS_TRAINING_TRAINEE_URL``, else the local trainee server)."""
    base = base or os.environ.get(TRAINEE_URL_ENV) or DEFAULT_TRAINEE_URL
    parts = urlsplit(base)
    query = [(k, v) for k, vs in parse_qs(parts.query).items() for v in vs if k != "session"]
    query.append(("session", code))
    return urlunsplit(parts._replace(query=urlencode(query)))


def qr_png(text: str, *, scale: int = 8) -> bytes:
    """A QR code for ``text`` as PNG bytes (for the projector)."""
    import io

    import segno

    buf = io.BytesIO()
    segno.make(text, error="m").save(buf, kind="png", scale=scale, border=2)
    return buf.getvalue()


class LiveTimer:
    """Calls ``tick()`` every ``interval`` seconds on the kernel's asyncio loop.

    Voila and Jupyter kernels run an asyncio loop on the main thread, where widget changes are
    safe. Outside a running loop (plain Python, tests) :meth:`start` does nothing and the
    caller refreshes by hand. ``tick`` must not raise; the timer survives it anyway.
    """

    def __init__(self, tick: Callable[[], Any], interval: float) -> None:
        if interval <= 0:
            raise ValueError(f"interval={interval!r} is not valid; allowed: seconds > 0")
        self.tick = tick
        self.interval = interval
        self._task: asyncio.Task | None = None

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    def start(self) -> bool:
        if self.running:
            return True
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return False
        self._task = loop.create_task(self._run())
        return True

    def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            self._task = None

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            try:
                self.tick()
            except Exception:  # noqa: BLE001 - a failed refresh must not stop the next one
                log.exception("live refresh failed")


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


def _fingerprint(data: SessionData) -> tuple:
    s = data.session
    return (
        s.status,
        s.revealed,
        tuple(data.participants),
        tuple(sorted({r.trainee.id for r in data.drafts})),
        tuple(str(r.response_id) for r in data.responses),
        tuple((row.get("trainee_id"), str(row.get("submitted_at"))) for row in data.survey_rows),
    )


class SessionApp:
    """The trainer's app. Build with :meth:`from_environment` in the notebook."""

    def __init__(
        self,
        *,
        store: Store | Callable[[], Store] | None = None,
        library: Library | None = None,
        framework_for: Callable[[str], Framework] = framework_by_id,
        trainee_url: str | None = None,
        refresh_seconds: float = 3.0,
        session_code: str | None = None,
        survey: Survey | None = None,
    ) -> None:
        self._store_arg = store
        self._store: Store | None = None
        self.library = library if library is not None else load_library()
        for p in self.library.problems:
            log.warning("content not loaded: %s", p)
        self.framework_for = framework_for
        self.trainee_url = trainee_url
        self.survey = survey or default_survey()
        self.code: str | None = None
        self.data: SessionData | None = None
        self.case: str | None = None
        self.stats = RefreshStats()
        self._fp: tuple | None = None
        self._chart_key: tuple | None = None
        self._survey_key: tuple | None = None
        self._qr_for: str | None = None
        self._stale = False
        self._unreadable: list[str] = []
        self.messages = Messages("arms-session-message")
        self._build()
        self.timer = LiveTimer(self._tick, refresh_seconds)
        self.timer.start()
        if session_code:
            self._safe(self.open_session)(session_code)

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None, **kwargs: Any) -> SessionApp:
        """Open ``?session=CODE`` from the page's query string if there is one."""
        environ = os.environ if environ is None else environ
        params = parse_qs((environ.get("QUERY_STRING") or "").lstrip("?"))
        code = (params.get("session") or [None])[0]
        return cls(session_code=code, **kwargs)

    # -- plumbing ----------------------------------------------------------------------------
    @property
    def store(self) -> Store:
        if self._store is None:
            arg = self._store_arg
            self._store = arg() if callable(arg) else (arg or Store())
        return self._store

    def _safe(self, fn: Callable[..., Any]) -> Callable[..., Any]:
        """Callbacks never raise: the trainer sees a message, the kernel keeps running."""
        return guard(fn, lambda: self.messages, expected=SESSION_ERRORS, unexpected=UNEXPECTED)

    def _button(self, description: str, css: str, fn: Callable[[], Any], **kw: Any) -> w.Button:
        b = classed(w.Button(description=description, **kw), css)
        safe = self._safe(fn)
        b.on_click(lambda _b: safe())
        return b

    # -- layout ------------------------------------------------------------------------------
    def _build(self) -> None:
        lib = self.library
        usable = [vid for vid in lib.vignettes if vid in lib.keys]
        self.cases = classed(
            w.SelectMultiple(
                options=[(f"{lib.vignettes[v].title} ({v})", v) for v in usable],
                rows=min(10, max(3, len(usable))),
                description="Cases",
                layout=w.Layout(width="640px"),
            ),
            "arms-session-cases",
        )
        self.mode = classed(
            w.ToggleButtons(
                options=[
                    ("Quick (live room: ratings and priorities)", "quick"),
                    ("Full (five stages)", "full"),
                ],
                value="quick",
                style={"button_width": "auto"},
            ),
            "arms-session-mode",
        )
        self.names = classed(
            w.ToggleButtons(
                options=[("Anonymise names on screen", True), ("Show pseudonyms on screen", False)],
                value=True,
                style={"button_width": "auto"},
            ),
            "arms-session-names",
        )
        self.trainer = classed(w.Text(description="Trainer", placeholder="optional"), "arms-session-trainer")
        self.start_button = self._button(
            "Start session", "arms-session-start", self.start_session, button_style="primary", icon="play"
        )
        self.code_input = classed(
            w.Text(description="Code", placeholder="e.g. ABC234"), "arms-session-code-input"
        )
        self.open_code_button = self._button(
            "Open", "arms-session-open-code", lambda: self.open_session(self.code_input.value)
        )
        self.past = classed(w.VBox(), "arms-session-past")
        self.list_button = self._button(
            "Refresh list", "arms-session-list-refresh", self.list_sessions, icon="refresh"
        )
        setup = classed(
            w.VBox(
                [
                    w.HTML("<h3>Start a session</h3>"),
                    self.cases,
                    w.HTML("<small>Hold Ctrl (or Cmd) to choose more than one case.</small>"),
                    self.mode,
                    self.names,
                    self.trainer,
                    self.start_button,
                    w.HTML("<h3>Open a session by its code</h3>"),
                    w.HBox([self.code_input, self.open_code_button]),
                    w.HTML("<h3>Past sessions</h3>"),
                    self.list_button,
                    self.past,
                ]
            ),
            "arms-session-setup",
        )

        self.banner = classed(w.HTML(), "arms-session-banner")
        self.qr = classed(w.Image(format="png", layout=w.Layout(width="220px")), "arms-session-qr")
        self.reveal_button = self._button("Reveal key", "arms-session-reveal", self.toggle_reveal, icon="eye")
        self.close_button = self._button("Close session", "arms-session-close", self.toggle_open, icon="lock")
        self.refresh_button = self._button(
            "Refresh now", "arms-session-refresh", lambda: self.refresh(force=True), icon="refresh"
        )
        self.auto = classed(w.Checkbox(value=True, description="Update by itself"), "arms-session-auto")
        self.layout_toggle = classed(
            w.ToggleButtons(
                options=[("Side by side", "side_by_side"), ("Stacked", "stacked")],
                value="side_by_side",
                style={"button_width": "auto"},
            ),
            "arms-session-layout",
        )
        self.layout_toggle.observe(lambda _c: self._safe(self.refresh)(True), names="value")
        self.case_toggle = classed(
            w.ToggleButtons(options=[], style={"button_width": "auto"}), "arms-session-case"
        )
        self.case_toggle.observe(self._case_changed, names="value")
        self.updated = classed(w.HTML(), "arms-session-updated")
        self.attendance = classed(w.HTML(), "arms-session-attendance")
        self.people = classed(w.HTML(), "arms-session-people-box")
        self.chart = classed(w.Image(format="png", layout=w.Layout(max_width="1100px")), "arms-session-chart")
        self.chart_note = classed(w.HTML(), "arms-session-chart-note")
        self.key_table = classed(w.HTML(), "arms-session-rationale")
        live = classed(
            w.VBox(
                [
                    w.HBox([self.banner, self.qr]),
                    w.HBox([self.reveal_button, self.close_button, self.refresh_button, self.auto]),
                    self.updated,
                    self.attendance,
                    self.people,
                    self.case_toggle,
                    self.layout_toggle,
                    self.chart_note,
                    self.chart,
                    self.key_table,
                ]
            ),
            "arms-session-live",
        )

        self.prompts = classed(w.HTML(), "arms-session-prompts")
        self.choices = classed(w.HTML(), "arms-session-choices")
        discussion = classed(
            w.VBox(
                [
                    w.HTML("<h3>Discussion prompts</h3>"),
                    self.prompts,
                    w.HTML("<h3>What the room chose</h3>"),
                    self.choices,
                ]
            ),
            "arms-session-discussion",
        )

        self.pseudonyms = classed(
            w.Checkbox(value=False, description="Include pseudonyms in the pack"), "arms-session-pseudonyms"
        )
        self.export_button = self._button(
            "Prepare session pack", "arms-session-export", self.export, icon="download"
        )
        self.downloads = classed(w.HTML(), "arms-session-downloads")
        self.survey_chart = classed(
            w.Image(format="png", layout=w.Layout(max_width="1000px")), "arms-session-survey-chart"
        )
        self.survey_table = classed(w.HTML(), "arms-session-survey")
        self.comments = classed(w.HTML(), "arms-session-comments-box")
        pack = classed(
            w.VBox(
                [
                    w.HTML(
                        "<h3>Session pack</h3><p>An HTML report with the charts and prompts, and a "
                        "CSV of the responses scored with the shared scoring module.</p>"
                    ),
                    self.pseudonyms,
                    self.export_button,
                    self.downloads,
                    w.HTML("<h3>Session evaluation</h3>"),
                    self.survey_chart,
                    self.survey_table,
                    self.comments,
                ]
            ),
            "arms-session-pack",
        )

        self.tabs = classed(w.Tab(children=[setup, live, discussion, pack], titles=TABS), "arms-session-tabs")
        self.widget = classed(
            w.VBox(
                [w.HTML(SESSION_CSS), w.HTML("<h2>ARMS joint session</h2>"), self.messages.widget, self.tabs]
            ),
            "arms-app",
            "arms-session-app",
        )
        self._show_live(False)
        self._safe(self.list_sessions)()

    def _show_live(self, on: bool) -> None:
        for b in (self.reveal_button, self.close_button, self.refresh_button, self.export_button):
            b.disabled = not on
        if not on:
            self.banner.value = (
                '<p class="arms-session-empty">No session open: start one or '
                "open one in the Sessions tab.</p>"
            )

    # -- sessions ----------------------------------------------------------------------------
    def start_session(self) -> None:
        chosen = list(self.cases.value)
        if not chosen:
            self.messages.show("Choose at least one case for the session.", "warning")
            return
        session = self.store.create_session(
            chosen, mode=self.mode.value, anonymise=self.names.value, trainer=self.trainer.value.strip()
        )
        self.open_session(session.code)
        self.messages.show(
            f"Session {session.code} started. Trainees join with the code or the QR code.", "success"
        )

    def open_session(self, code: str) -> None:
        try:
            code = normalise_session_code(code)
        except SessionError as exc:
            self.messages.show(sentence(str(exc)), "warning")
            return
        session = self.store.get_session(code)
        if session is None:
            self.messages.show(f"There is no training session with code {code}.", "warning")
            return
        missing = [v for v in session.vignette_ids if v not in self.library.vignettes]
        self.code, self.case = code, None
        self._fp = self._chart_key = self._survey_key = None
        self.downloads.value = ""
        cases = [v for v in session.vignette_ids if v in self.library.vignettes]
        self.case_toggle.unobserve(self._case_changed, names="value")
        self.case_toggle.options = [(self.library.vignettes[v].title, v) for v in cases]
        self.case_toggle.value = cases[0] if cases else None
        self.case_toggle.observe(self._case_changed, names="value")
        self.case_toggle.layout.display = "" if len(cases) > 1 else "none"
        self.case = cases[0] if cases else None
        self._show_live(True)
        self.messages.clear()
        if missing:
            self.messages.show(
                "Some of this session's cases are not installed here and are left out:",
                "warning",
                items=missing,
            )
        self.refresh(force=True)
        self.tabs.selected_index = 1

    def list_sessions(self) -> None:
        old = list(self.past.children)
        rows = []
        for s in self.store.list_sessions()[:30]:
            titles = ", ".join(
                self.library.vignettes[v].title if v in self.library.vignettes else v for v in s.vignette_ids
            )
            when = s.created_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
            trainer = f" &middot; {esc(s.trainer)}" if s.trainer else ""
            text = w.HTML(
                f"<b>{esc(s.code)}</b> &middot; {esc(when)} &middot; {esc(s.mode)} "
                f"&middot; {esc(s.status)}{trainer}<br><small>{esc(titles)}</small>",
                layout=w.Layout(width="560px"),
            )
            button = self._button("Open", "arms-session-open", lambda code=s.code: self.open_session(code))
            button.add_class(f"arms-session-open-{s.code}")
            rows.append(classed(w.HBox([text, button]), "arms-session-row"))
        if not rows:
            rows = [w.HTML('<p class="arms-session-empty">No sessions yet.</p>')]
        self.past.children = rows
        for child in old:
            close_all(child)

    def toggle_reveal(self) -> None:
        if self.code is None:
            return
        # Read first: another trainer may have changed it since this view last refreshed.
        current = self.store.get_session(self.code)
        if current is None:
            raise SessionError(f"session {self.code} no longer exists")
        self.store.set_revealed(self.code, not current.revealed)
        self.refresh(force=True)

    def toggle_open(self) -> None:
        if self.code is None:
            return
        current = self.store.get_session(self.code)
        if current is None:
            raise SessionError(f"session {self.code} no longer exists")
        if current.is_open:
            self.store.close_session(self.code)
            self.messages.show(
                f"Session {self.code} is closed: nobody new can join. Surveys "
                "are still accepted; you can reopen it.",
                "info",
            )
        else:
            self.store.reopen_session(self.code)
            self.messages.show(f"Session {self.code} is open again.", "success")
        self.refresh(force=True)
        self.list_sessions()

    def _case_changed(self, change: dict) -> None:
        self.case = change["new"]
        self._safe(self.refresh)(True)

    # -- reading and drawing -----------------------------------------------------------------
    def read(self) -> SessionData | None:
        """One snapshot of the session from the store (a few small queries)."""
        if self.code is None:
            return None
        session = self.store.get_session(self.code)
        if session is None:
            raise SessionError(f"session {self.code} no longer exists")
        lib = self.library
        vids = [v for v in dict.fromkeys(session.vignette_ids) if v in lib.vignettes]
        responses, problems = self.store.submitted_responses(session_code=self.code, errors="collect")
        self._report_unreadable(problems)
        vids += [
            r.vignette_id for r in responses if r.vignette_id in lib.vignettes and r.vignette_id not in vids
        ]
        frameworks = {}
        for v in dict.fromkeys(vids):
            try:
                frameworks[v] = self.framework_for(lib.vignettes[v].framework)
            except KeyError:
                log.warning("framework %s for %s is not installed", lib.vignettes[v].framework, v)
        return SessionData(
            session=session,
            vignettes={v: lib.vignettes[v] for v in frameworks},
            frameworks=frameworks,
            participants=[(p.trainee_id, p.agency) for p in self.store.participants(self.code)],
            responses=responses,
            drafts=self.store.drafts(session_code=self.code),
            keys={v: lib.keys[v] for v in frameworks if v in lib.keys},
            survey_rows=self.store.survey_rows(self.code),
        )

    def _report_unreadable(self, problems: list) -> None:
        """A stored response that no longer validates is left out of the room, said once."""
        records = sorted({p.path for p in problems})
        if records == self._unreadable:
            return
        self._unreadable = records
        for p in problems:
            log.warning("session %s: stored response not readable: %s", self.code, p)
        if records:
            self.messages.show(
                f"{len(records)} stored response{'s' if len(records) != 1 else ''}"
                " of this session could not be read and "
                f"{'are' if len(records) != 1 else 'is'} left out of the view "
                "(details in the app log).",
                "warning",
            )

    def _tick(self) -> None:
        if self.auto.value and self.code is not None:
            self._safe(self.refresh)(False)

    def refresh(self, force: bool = False) -> bool:
        """Read the store; redraw if anything changed (or ``force``). Returns whether it
        redrew. Cheap when nothing changed: a few queries and a comparison."""
        if self.code is None:
            return False
        t0, c0 = time.perf_counter(), time.process_time()
        try:
            data = self.read()
        except StoreError as exc:
            self._stale = True
            self.updated.value = (
                f'<span class="arms-session-stale">Could not read the '
                f"training database at {time.strftime('%H:%M:%S')}: "
                f"{esc(exc)}. Trying again.</span>"
            )
            return False
        assert data is not None
        fp = _fingerprint(data)
        changed = force or fp != self._fp
        if changed:
            self._fp = fp
            self.data = data
            self._render(data, force=force)
        self.stats.polls += 1
        self.stats.last_poll_wall = time.perf_counter() - t0
        self.stats.last_poll_cpu = time.process_time() - c0
        if changed:
            self.stats.renders += 1
            self.stats.last_render_wall = self.stats.last_poll_wall
            self.stats.last_render_cpu = self.stats.last_poll_cpu
        if changed or self._stale:
            self._stale = False
            # Only on change: a page that sends nothing while the room is quiet lets Voila cull
            # the kernel once the trainer has closed the tab (iopub traffic counts as activity).
            n = len(data.responses)
            every = f"; checking every {self.timer.interval:g} s" if self.auto.value else ""
            self.updated.value = (
                f"<small>{n} submission{'s' if n != 1 else ''} &middot; last "
                f"change seen {time.strftime('%H:%M:%S')}{every}</small>"
            )
        return changed

    def _render(self, data: SessionData, *, force: bool) -> None:
        s = data.session
        self._render_banner(data)
        self.reveal_button.description = "Hide key" if s.revealed else "Reveal key"
        self.reveal_button.button_style = "warning" if s.revealed else ""
        self.close_button.description = "Close session" if s.is_open else "Reopen session"
        self.close_button.icon = "lock" if s.is_open else "unlock"
        att = attendance(data.participants, data.drafts, data.responses, anonymise=s.anonymise)
        self.attendance.value = attendance_html(att)
        self.people.value = people_html(att)
        self._render_room(data, force=force)
        self._render_survey(data)

    def _render_banner(self, data: SessionData) -> None:
        s = data.session
        url = join_url(s.code, self.trainee_url)
        status = (
            f'<span class="arms-session-status-{esc(s.status)}">'
            f"{'open' if s.is_open else 'closed: nobody new can join'}</span>"
        )
        key = "key revealed" if s.revealed else "key hidden"
        cases = ", ".join(data.vignettes[v].title for v in data.case_ids)
        self.banner.value = (
            f'<div>Join code</div><div class="arms-session-code">{esc(s.code)}</div>'
            f'<div class="arms-session-url">Trainees scan the QR code or open<br>'
            f'<a href="{esc(url)}" target="_blank">{esc(url)}</a></div>'
            f"<p>{status} &middot; {esc(s.mode)} exercise &middot; {key} &middot; "
            f"names {'anonymised' if s.anonymise else 'shown'}<br><small>{esc(cases)}"
            "</small></p>"
        )
        if self._qr_for != url:
            self.qr.value = qr_png(url)
            self._qr_for = url

    def _render_room(self, data: SessionData, *, force: bool) -> None:
        vid = self.case
        if vid is None or vid not in data.frameworks:
            self.chart_note.value = '<p class="arms-session-empty">No case to show.</p>'
            self.chart.value, self.prompts.value, self.choices.value = b"", "", ""
            self.chart.layout.display = "none"
            self.key_table.value = ""
            return
        fw, v = data.frameworks[vid], data.vignettes[vid]
        revealed = data.session.revealed
        key = data.keys.get(vid) if revealed else None
        room = summarise(data.responses, fw, vignette_id=vid, key=key)
        chart_key = (
            vid,
            self.layout_toggle.value,
            key is not None,
            tuple(str(r.response_id) for r in data.responses if r.vignette_id == vid),
        )
        if force or chart_key != self._chart_key:
            from arms_training.plots.session import figure_png, rating_distribution_figure

            self._chart_key = chart_key
            self.stats.charts += 1
            if room.n:
                self.chart.value = figure_png(
                    rating_distribution_figure(room, fw, layout=self.layout_toggle.value, title=v.title)
                )
                self.chart.layout.display = ""
                self.chart_note.value = ""
            else:
                self.chart.value = b""
                self.chart.layout.display = "none"
                self.chart_note.value = (
                    f'<p class="arms-session-empty">No submissions yet for '
                    f"{esc(v.title)}. The chart appears with the first "
                    "one.</p>"
                )
        self.key_table.value = key_table_html(room, fw)
        self.prompts.value = prompts_html(prompts(room, vignette=v), fw)
        self.choices.value = choices_html(room, fw)

    def _render_survey(self, data: SessionData) -> None:
        key = tuple((r.get("trainee_id"), str(r.get("submitted_at"))) for r in data.survey_rows)
        if key == self._survey_key:
            return
        self._survey_key = key
        summary = summarise_survey(data.survey_rows, self.survey)
        self.survey_table.value = survey_table_html(summary, self.survey)
        # Anonymised sessions attribute comments to an agency only: a numbered name on the
        # projector could be matched to the person sitting at that seat.
        names = None if data.session.anonymise else data.names(anonymise=False)
        self.comments.value = comments_html(summary, names)
        if summary.n:
            from arms_training.plots.session import figure_png, survey_figure

            self.survey_chart.value = figure_png(survey_figure(summary, self.survey))
            self.survey_chart.layout.display = ""
        else:
            self.survey_chart.value = b""
            self.survey_chart.layout.display = "none"

    # -- export ------------------------------------------------------------------------------
    def export(self) -> None:
        """Build the session pack (HTML) and the responses CSV and offer them as downloads."""
        data = self.read()
        if data is None:
            return
        rows = self.store.submission_rows(session_code=data.session.code)
        stored = {r["response_id"]: (r["rescore"] or {}).get("score") or r["score"] for r in rows}
        data = replace(data, stored_scores=stored)
        scores = score_responses(data)
        pseudonyms = self.pseudonyms.value
        page = session_pack_html(
            data,
            include_pseudonyms=pseudonyms,
            survey=self.survey,
            scores=scores,
            layout=self.layout_toggle.value,
        )
        table = responses_csv(data, include_pseudonyms=pseudonyms, scores=scores)
        code = data.session.code
        links = [
            download_link_html(
                page.encode("utf-8"),
                f"arms-session-{code}.html",
                "text/html;charset=utf-8",
                "Download the session pack (HTML)",
                css="arms-session-download-html",
            ),
            download_link_html(
                ("\ufeff" + table).encode("utf-8"),
                f"arms-session-{code}-responses.csv",
                "text/csv;charset=utf-8",
                "Download the responses (CSV)",
                css="arms-session-download-csv",
            ),
        ]
        n = len(data.responses)
        note = (
            ""
            if data.session.revealed
            else (" The key is not revealed, so the pack leaves it out; the CSV carries the scores.")
        )
        self.downloads.value = (
            f"<p>Prepared at {time.strftime('%H:%M:%S')} from {n} "
            f"submission{'s' if n != 1 else ''}.{esc(note)}</p>" + " &middot; ".join(links)
        )

    def close(self) -> None:
        """Stop the timer and close the widgets (the kernel is going away)."""
        self.timer.stop()
        close_all(self.widget)
