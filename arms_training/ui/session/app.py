"""The trainer's joint-session app: start or reopen a session, show the join code, watch the room.

A thin view over :class:`~arms_training.session.model.SessionModel`, which reads the session from
the store and decides what is shown (and keeps the key out of it until the session is revealed);
this module builds the widgets, binds their events and draws the model's
:class:`~arms_training.session.model.LiveView`.

The store is read on a timer: an asyncio task on the kernel's event loop, never a thread, since
widgets must be changed from the kernel's main thread. The view redraws only when the model says
something shown changed, and the chart only when its own inputs did.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import ipywidgets as w

from arms_training.content import Library, load_library
from arms_training.errors import Problem
from arms_training.framework import Framework, framework_by_id
from arms_training.reports.session import (
    attendance_html,
    choices_html,
    comments_html,
    download_link_html,
    esc,
    key_table_html,
    people_html,
    prompts_html,
    responses_csv,
    session_pack_html,
    survey_table_html,
)
from arms_training.session.data import SessionData
from arms_training.session.model import (
    DEFAULT_TRAINEE_URL,
    TRAINEE_URL_ENV,
    CaseView,
    LiveView,
    OpenedSession,
    RefreshStats,
    SessionModel,
    SurveyView,
    code_from_query,
    join_url,
    startable_cases,
)
from arms_training.session.survey import Survey
from arms_training.store import SessionError, Store, StoreError
from arms_training.ui.base import Expected, guard, sentence
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
UNEXPECTED = "Something went wrong on our side; the session is safe in the store. Try again."
SESSION_ERRORS: Expected = ((SessionError, "warning", sentence), (StoreError, "error", sentence))
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
        library = library if library is not None else load_library()
        for p in library.problems:
            log.warning("content not loaded: %s", p)
        self.library = library
        self.model = SessionModel(
            store if store is not None else Store,
            library=library,
            framework_for=framework_for,
            trainee_url=trainee_url,
            survey=survey,
            on_unreadable=self._say_unreadable,
        )
        self.survey = self.model.survey
        self.stats = RefreshStats()
        # What is drawn, so that the costly parts (chart, QR code, survey) are redrawn only
        # when their own inputs change.
        self._chart_key: tuple | None = None
        self._survey_key: tuple | None = None
        self._qr_for: str | None = None
        self._stale = False
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
        return cls(session_code=code_from_query(environ.get("QUERY_STRING")), **kwargs)

    # -- plumbing ----------------------------------------------------------------------------
    @property
    def store(self) -> Store:
        return self.model.store

    @property
    def code(self) -> str | None:
        """The open session's code."""
        return self.model.code

    @property
    def data(self) -> SessionData | None:
        """The model's last snapshot of the open session."""
        return self.model.data

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
        usable = startable_cases(self.library)
        self.cases = classed(
            w.SelectMultiple(
                options=usable,
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
        opened = self.model.start(
            list(self.cases.value),
            mode=self.mode.value,
            anonymise=self.names.value,
            trainer=self.trainer.value,
        )
        self._opened(opened)
        self.messages.show(
            f"Session {opened.session.code} started. Trainees join with the code or the QR code.", "success"
        )

    def open_session(self, code: str) -> None:
        self._opened(self.model.open(code))

    def _opened(self, opened: OpenedSession) -> None:
        self._chart_key = self._survey_key = None
        self.downloads.value = ""
        self.case_toggle.unobserve(self._case_changed, names="value")
        self.case_toggle.options = list(opened.cases)
        self.case_toggle.value = self.model.case
        self.case_toggle.observe(self._case_changed, names="value")
        self.case_toggle.layout.display = "" if len(opened.cases) > 1 else "none"
        self._show_live(True)
        self.messages.clear()
        if opened.missing:
            self.messages.show(
                "Some of this session's cases are not installed here and are left out:",
                "warning",
                items=list(opened.missing),
            )
        self.refresh(force=True)
        self.tabs.selected_index = 1

    def list_sessions(self) -> None:
        old = list(self.past.children)
        rows = []
        for s in self.model.listing():
            trainer = f" &middot; {esc(s.trainer)}" if s.trainer else ""
            text = w.HTML(
                f"<b>{esc(s.code)}</b> &middot; {esc(s.created)} &middot; {esc(s.mode)} "
                f"&middot; {esc(s.status)}{trainer}<br><small>{esc(s.titles)}</small>",
                layout=w.Layout(width="560px"),
            )
            button = self._button("Open", "arms-session-open", self._opener(s.code))
            button.add_class(f"arms-session-open-{s.code}")
            rows.append(classed(w.HBox([text, button]), "arms-session-row"))
        if not rows:
            rows = [w.HTML('<p class="arms-session-empty">No sessions yet.</p>')]
        self.past.children = rows
        for child in old:
            close_all(child)

    def _opener(self, code: str) -> Callable[[], None]:
        return lambda: self.open_session(code)

    def toggle_reveal(self) -> None:
        if self.model.toggle_reveal() is not None:
            self.refresh(force=True)

    def toggle_open(self) -> None:
        session = self.model.toggle_open()
        if session is None:
            return
        if session.is_open:
            self.messages.show(f"Session {session.code} is open again.", "success")
        else:
            self.messages.show(
                f"Session {session.code} is closed: nobody new can join. Surveys "
                "are still accepted; you can reopen it.",
                "info",
            )
        self.refresh(force=True)
        self.list_sessions()

    def _case_changed(self, change: dict) -> None:
        self.model.case = change["new"]
        self._safe(self.refresh)(True)

    # -- reading and drawing -----------------------------------------------------------------
    def _say_unreadable(self, problems: Sequence[Problem]) -> None:
        n = len({p.path for p in problems})
        self.messages.show(
            f"{n} stored response{'s' if n != 1 else ''} of this session could not be read and "
            f"{'are' if n != 1 else 'is'} left out of the view (details in the app log).",
            "warning",
        )

    def _tick(self) -> None:
        if self.auto.value and self.code is not None:
            self._safe(self.refresh)(False)

    def refresh(self, force: bool = False) -> bool:
        """Read the store; redraw if anything shown changed (or ``force``). Returns whether it
        redrew. Cheap when nothing changed: a few queries and a comparison."""
        if self.code is None:
            return False
        t0, c0 = time.perf_counter(), time.process_time()
        try:
            changed = self.model.poll(force=force)
        except StoreError as exc:
            self._stale = True
            self.updated.value = (
                f'<span class="arms-session-stale">Could not read the '
                f"training database at {time.strftime('%H:%M:%S')}: "
                f"{esc(exc)}. Trying again.</span>"
            )
            return False
        if changed:
            self._render(self.model.live_view(), force=force)
        self.stats.record(time.perf_counter() - t0, time.process_time() - c0, rendered=changed)
        if changed or self._stale:
            self._stale = False
            # Only on change: a page that sends nothing while the room is quiet lets Voila cull
            # the kernel once the trainer has closed the tab (iopub traffic counts as activity).
            n = len(self.model.data.responses) if self.model.data is not None else 0
            every = f"; checking every {self.timer.interval:g} s" if self.auto.value else ""
            self.updated.value = (
                f"<small>{n} submission{'s' if n != 1 else ''} &middot; last "
                f"change seen {time.strftime('%H:%M:%S')}{every}</small>"
            )
        return changed

    def _render(self, view: LiveView, *, force: bool) -> None:
        s = view.session
        self._render_banner(view)
        self.reveal_button.description = "Hide key" if s.revealed else "Reveal key"
        self.reveal_button.button_style = "warning" if s.revealed else ""
        self.close_button.description = "Close session" if s.is_open else "Reopen session"
        self.close_button.icon = "lock" if s.is_open else "unlock"
        self.attendance.value = attendance_html(view.attendance)
        self.people.value = people_html(view.attendance)
        self._render_room(view.case, force=force)
        self._render_survey(view.survey)

    def _render_banner(self, view: LiveView) -> None:
        s, url = view.session, view.url
        status = (
            f'<span class="arms-session-status-{esc(s.status)}">'
            f"{'open' if s.is_open else 'closed: nobody new can join'}</span>"
        )
        key = "key revealed" if s.revealed else "key hidden"
        self.banner.value = (
            f'<div>Join code</div><div class="arms-session-code">{esc(s.code)}</div>'
            f'<div class="arms-session-url">Trainees scan the QR code or open<br>'
            f'<a href="{esc(url)}" target="_blank">{esc(url)}</a></div>'
            f"<p>{status} &middot; {esc(s.mode)} exercise &middot; {key} &middot; "
            f"names {'anonymised' if s.anonymise else 'shown'}<br><small>{esc(', '.join(view.case_titles))}"
            "</small></p>"
        )
        if self._qr_for != url:
            self.qr.value = qr_png(url)
            self._qr_for = url

    def _render_room(self, case: CaseView | None, *, force: bool) -> None:
        if case is None:
            self.chart_note.value = '<p class="arms-session-empty">No case to show.</p>'
            self.chart.value, self.prompts.value, self.choices.value = b"", "", ""
            self.chart.layout.display = "none"
            self.key_table.value = ""
            return
        room, fw, v = case.room, case.framework, case.vignette
        chart_key = (v.id, self.layout_toggle.value, room.revealed, case.response_ids)
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
        self.prompts.value = prompts_html(case.prompts, fw)
        self.choices.value = choices_html(room, fw)

    def _render_survey(self, survey: SurveyView) -> None:
        if survey.fingerprint == self._survey_key:
            return
        self._survey_key = survey.fingerprint
        summary = survey.summary
        self.survey_table.value = survey_table_html(summary, self.survey)
        self.comments.value = comments_html(summary, survey.names)
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
        if self.code is None:
            return
        bundle = self.model.export()
        data, scores = bundle.data, bundle.scores
        pseudonyms = self.pseudonyms.value
        page = session_pack_html(
            data,
            include_pseudonyms=pseudonyms,
            survey=self.survey,
            scores=scores,
            layout=self.layout_toggle.value,
        )
        table = responses_csv(data, include_pseudonyms=pseudonyms, scores=scores)
        links = [
            download_link_html(
                page.encode("utf-8"),
                bundle.pack_filename,
                "text/html;charset=utf-8",
                "Download the session pack (HTML)",
                css="arms-session-download-html",
            ),
            download_link_html(
                ("\ufeff" + table).encode("utf-8"),
                bundle.csv_filename,
                "text/csv;charset=utf-8",
                "Download the responses (CSV)",
                css="arms-session-download-csv",
            ),
        ]
        n = len(data.responses)
        note = (
            ""
            if data.session.revealed
            else " The key is not revealed, so the pack leaves it out; the CSV carries the scores."
        )
        self.downloads.value = (
            f"<p>Prepared at {time.strftime('%H:%M:%S')} from {n} "
            f"submission{'s' if n != 1 else ''}.{esc(note)}</p>" + " &middot; ".join(links)
        )

    def close(self) -> None:
        """Stop the timer and close the widgets (the kernel is going away)."""
        self.timer.stop()
        close_all(self.widget)
