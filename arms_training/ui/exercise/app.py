"""The trainee exercise app: start screen, stages, autosave, submit and feedback, wired here.

The views change an :class:`~arms_training.exercise.state.Exercise` and report through
callbacks; this class owns the store, the timing, the navigation and the submission. The
answer key is read only in :meth:`ExerciseApp.submit`, after the draft is stored, and the
feedback (with matplotlib) is imported only then.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

import ipywidgets as w

from arms_training.content import AnswerKey, Vignette, load_key_for, offered_cases
from arms_training.errors import ScoringError, SessionError, StoreError
from arms_training.exercise.state import Exercise, InputError, parse_arrival
from arms_training.framework import Framework, framework_by_id
from arms_training.responses import new_response
from arms_training.stages import stage
from arms_training.ui.base import TRAINEE_ERRORS, Expected, guard, sentence
from arms_training.ui.components import Messages, case_file, classed, close_all, css_widget, esc, mark_stage
from arms_training.ui.components import stage_bar as make_stage_bar
from arms_training.ui.exercise.autosave import Autosaver
from arms_training.ui.exercise.planning import PlanView
from arms_training.ui.exercise.preheat import preheated, wait_for_request
from arms_training.ui.exercise.priorities import LevelView, PrioritiesView
from arms_training.ui.exercise.rating import RatingView
from arms_training.ui.exercise.reading import ReadingView
from arms_training.ui.exercise.review import ReviewView
from arms_training.ui.exercise.start import StartChoice, StartScreen
from arms_training.ui.exercise.survey import survey_widgets

__all__ = ["ExerciseApp"]

log = logging.getLogger("arms_training.ui")
VIEWS = {
    "gather": ReadingView,
    "rate": RatingView,
    "prioritise": PrioritiesView,
    "level": LevelView,
    "plan": PlanView,
    "review": ReviewView,
}
if TYPE_CHECKING:
    from arms_training.scoring.report import ScoreReport
    from arms_training.store import Store

Scorer = Callable[..., "ScoreReport"]


def open_store() -> Store:
    """The configured store. SQLAlchemy is the page's slowest import, so it is loaded here, when
    the store is first needed, not when the page is drawn."""
    from arms_training.store import Store

    return Store()


# A database that is busy or gone is not the trainee's fault but is worth telling them plainly.
EXERCISE_ERRORS: Expected = (*TRAINEE_ERRORS, (StoreError, "error", sentence))


class ExerciseApp:
    """One trainee's page. Build with :meth:`from_environment` in the notebook."""

    def __init__(
        self,
        *,
        vignettes: Mapping[str, Vignette] | None = None,
        store: Store | Callable[[], Store] | None = None,
        query: str | None = None,
        headers: Mapping[str, str] | None = None,
        framework_for: Callable[[str], Framework] = framework_by_id,
        key_loader: Callable[[str], AnswerKey] = load_key_for,
        scorer: Scorer | None = None,
        clock: Callable[[], float] = time.monotonic,
        autosave_seconds: float = 3.0,
    ) -> None:
        self.vignettes = offered_cases(framework_for, vignettes)
        self._store_arg = store
        self._store: Store | None = None
        self.framework_for = framework_for
        self.key_loader = key_loader
        self.scorer = scorer
        self.clock = clock
        self.ex: Exercise | None = None
        self.session: Any = None
        self.view: Any = None
        self.feedback: Any = None
        self.submitted = False
        self._submitting = False
        self.autosave = Autosaver(self._safe(self._write_draft), interval=autosave_seconds, clock=clock)
        self.messages = Messages()
        self.messages.widget.add_class("arms-page-message")
        self.body = classed(w.VBox(), "arms-body")
        self.widget = classed(w.VBox([css_widget(), self.messages.widget, self.body]), "arms-app")
        self.arrival = parse_arrival(query, headers)
        self.start_screen = self._new_start_screen()
        self.body.children = [self.start_screen.widget]
        self._arrive()

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None, **kwargs: Any) -> ExerciseApp:
        """Read the page's query string and trusted headers the way Voila passes them.

        Voila puts the request in the kernel's environment (``QUERY_STRING``, and each header
        listed in ``VoilaConfiguration.http_header_envs`` as ``HTTP_<NAME>``); a pre-heated
        kernel receives them only when the page is requested, so wait for that first.
        """
        warm = False
        if environ is None:
            if preheated():
                kwargs = cls._prepare(kwargs)
                wait_for_request()
            else:
                warm = True
            environ = os.environ
        headers = {}
        if environ.get("HTTP_X_FORWARDED_USER"):
            headers["X-Forwarded-User"] = environ["HTTP_X_FORWARDED_USER"]
        app = cls(query=environ.get("QUERY_STRING"), headers=headers, **kwargs)
        if warm:
            app.open_store_soon()
        return app

    def open_store_soon(self) -> bool:
        """Open the store on the kernel's event loop just after this cell ends: the page is
        drawn first, and the store is ready by the time the trainee has typed their id. Outside
        a running loop (tests, plain Python) nothing is scheduled; the store opens on first use.
        """
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return False
        loop.call_soon(self._open_store_quietly)
        return True

    def _open_store_quietly(self) -> None:
        try:
            self.store  # noqa: B018 - opening it is the point
        except Exception as exc:  # noqa: BLE001 - tried again, with a message, on first use
            log.warning("store not opened ahead of use: %s", exc)

    @staticmethod
    def _prepare(kwargs: dict[str, Any]) -> dict[str, Any]:
        """In a pooled kernel, the slow part before anyone waits: read the case library and open
        the store (migrations checked). After the request only the widgets are left to build."""
        out = dict(kwargs)
        out.setdefault("vignettes", offered_cases(out.get("framework_for", framework_by_id)))
        if "store" not in out:
            try:
                out["store"] = open_store()
            except StoreError as exc:  # opened on first use instead, with a message then
                log.warning("store not opened ahead of the request: %s", exc)
        return out

    # -- plumbing ----------------------------------------------------------------------------
    @property
    def store(self) -> Store:
        if self._store is None:
            arg = self._store_arg
            self._store = arg() if callable(arg) else (arg or open_store())
        return self._store

    def _safe(
        self, fn: Callable[..., Any], where: Callable[[], Messages] | None = None
    ) -> Callable[..., Any]:
        """Callbacks never raise: the trainee sees a message, the kernel keeps running."""
        return guard(fn, where or (lambda: self.messages), expected=EXERCISE_ERRORS)

    def _click(self, button: w.Button, fn: Callable[[], Any]) -> w.Button:
        safe = self._safe(fn)
        button.on_click(lambda _b: safe())
        return button

    # -- arrival and start -------------------------------------------------------------------
    def _new_start_screen(self) -> StartScreen:
        return StartScreen(
            self.vignettes, self._on_start, proxy_user=self.arrival.proxy_user, on_join=self._join_typed_code
        )

    def _arrive(self) -> None:
        problems = list(self.arrival.problems)
        vid, code = self.arrival.vignette_id, self.arrival.session_code
        if code is not None:
            problems += self._enter_session(code)
        if vid is not None:
            if vid in self.start_screen.cards:
                self.start_screen.choose(vid)
            else:
                problems.append(f"There is no case '{vid}' here; choose one of the cards below.")
        if problems:
            self.messages.show("Please note:", "warning", items=problems)

    def _enter_session(self, code: str) -> list[str]:
        """Join the trainer's session ``code`` if it is open; the problems to show if not."""
        try:
            session = self.store.get_session(code)
        except StoreError as exc:
            return [f"The session could not be checked: {exc}."]
        if session is None:
            return [
                f"There is no training session with code {code}; check the code with "
                "your trainer, or choose a case below."
            ]
        if session.status != "open":
            return [
                f"Training session {session.code} is closed; ask your trainer, or choose a "
                "case below to practise on your own."
            ]
        self.session = session
        self.start_screen.show_cards([i for i in session.vignette_ids if i in self.vignettes])
        self.start_screen.fix_mode(
            session.mode,
            f"Training session {session.code}: your trainer has set the cases and the {session.mode} mode.",
        )
        self.start_screen.fix_session(session.code)
        return []

    def _join_typed_code(self, code: str) -> None:
        problems = self._enter_session(code)
        if problems:
            raise InputError(problems[0])
        self.start_screen.messages.show(f"You have joined training session {self.session.code}.", "success")

    def _on_start(self, choice: StartChoice) -> None:
        self._safe(self.start, lambda: self.start_screen.messages)(choice)

    def start(self, choice: StartChoice) -> None:
        v = self.vignettes[choice.vignette_id]
        fw = self.framework_for(v.framework)
        code = self.session.code if self.session is not None else None
        if code is not None:
            try:
                self.store.join_session(code, choice.trainee)
            except SessionError as exc:
                raise InputError(str(exc)[:1].upper() + str(exc)[1:] + ".") from None
        draft = self.store.load_draft(choice.trainee.id, v.id, code)
        note = ""
        if draft is not None and draft.vignette_version == v.version:
            draft.trainee = choice.trainee
            response = draft
            note = "Welcome back: your saved work on this case has been restored."
            if draft.mode != choice.mode:
                note += f" You started it as a {draft.mode} exercise, so it continues that way."
        else:
            if draft is not None:
                note = "This case was updated since your draft, so you are starting afresh."
            response = new_response(
                choice.trainee, v.id, v.version, fw.id, mode=choice.mode, session_code=code
            )
        self.ex = Exercise(fw, v, response, clock=self.clock)
        self.ex.stage = self.ex.resume_point()
        self.ex.visited.add(self.ex.stage)
        close_all(self.start_screen.widget)
        self._build_exercise()
        self.messages.clear()
        if note:
            self.messages.show(note, "success")
        self.autosave.flush()

    # -- the exercise screen -----------------------------------------------------------------
    def _build_exercise(self) -> None:
        ex = self.ex
        assert ex is not None
        self.stage_bar, self.stage_buttons = make_stage_bar(
            ex.stages, {s: stage(s).label for s in ex.stages}, self._safe(self.go)
        )
        self.case_column = self._case_column()
        self.todo = classed(w.HTML(), "arms-missing-stage")
        self.panel = classed(w.VBox(), "arms-stage-host")
        self.save_status = classed(w.HTML(), "arms-save-status")
        self.back = self._click(
            classed(w.Button(description="Back", icon="arrow-left"), "arms-back"), lambda: self.go_step(-1)
        )
        self.next = self._click(
            classed(w.Button(description="Next", icon="arrow-right"), "arms-next"), lambda: self.go_step(1)
        )
        self.submit_button = self._click(
            classed(w.Button(description="Submit", icon="check", button_style="success"), "arms-submit"),
            self.submit,
        )
        self.missing_box = classed(w.HTML(), "arms-missing")
        footer = w.VBox(
            [w.HBox([self.back, self.next, self.submit_button, self.save_status]), self.missing_box]
        )
        right = classed(
            w.VBox(
                [self.todo, self.panel, footer],
                layout=w.Layout(width="50%", min_width="380px", padding="0 0 0 12px"),
            ),
            "arms-stage-column",
        )
        t = ex.response.trainee
        head = w.HTML(
            f"<h2>{esc(ex.vignette.title)}</h2><p><small>Trainee {esc(t.id)} "
            f"&middot; {esc(ex.response.mode)} exercise</small></p>"
        )
        self.columns = classed(
            w.HBox([self.case_column, right], layout=w.Layout(flex_flow="row wrap")), "arms-columns"
        )
        self.body.children = [head, self.stage_bar, self.columns]
        self._show_stage()

    def _show_stage(self) -> None:
        ex = self.ex
        assert ex is not None
        if self.view is not None:
            close_all(self.view.widget)
        self.view = VIEWS[ex.stage](ex, self.changed)
        self.panel.children = [self.view.widget]
        self._refresh()

    def _refresh(self) -> None:
        ex = self.ex
        assert ex is not None
        missing = ex.missing()
        for stage_id, button in self.stage_buttons.items():
            mark_stage(
                button, stage(stage_id).label, status=ex.status(stage_id), current=stage_id == ex.stage
            )
        here = missing.get(ex.stage, [])
        self.todo.value = (
            ""
            if not here
            else '<div class="arms-msg arms-msg-info">Still to do '
            "here:<ul>" + "".join(f"<li>{esc(i)}</li>" for i in here) + "</ul></div>"
        )
        i = ex.stages.index(ex.stage)
        self.back.disabled, self.next.disabled = i == 0, i == len(ex.stages) - 1
        left = sum(len(v) for v in missing.values())
        self.missing_box.value = (
            "<small>Everything is in place: you can submit.</small>"
            if not left
            else f"<small>{left} thing{'s' if left > 1 else ''} to do before "
            "you can submit (see the stages marked ○).</small>"
        )
        if ex.revealed and "arms-follow-up-shown" not in self.case_column._dom_classes:
            self._replace_case_file()

    def _case_column(self) -> w.VBox:
        ex = self.ex
        assert ex is not None
        column = case_file(ex.vignette, ex.framework, include_follow_up=ex.revealed)
        if ex.revealed:
            column.add_class("arms-follow-up-shown")
        return column

    def _replace_case_file(self) -> None:
        old = self.case_column
        self.case_column = self._case_column()
        self.columns.children = [self.case_column, *self.columns.children[1:]]
        close_all(old)

    def go(self, stage: str) -> None:
        assert self.ex is not None
        if self.submitted:
            return
        self.ex.go(stage)
        self._show_stage()
        self.autosave.flush()

    def go_step(self, offset: int) -> None:
        assert self.ex is not None
        i = self.ex.stages.index(self.ex.stage) + offset
        if 0 <= i < len(self.ex.stages):
            self.go(self.ex.stages[i])

    def changed(self) -> None:
        """A view changed the exercise: redraw what depends on it and autosave."""
        if self.view is not None:
            self.view.refresh()
        self._refresh()
        self.autosave.changed()

    # -- saving ------------------------------------------------------------------------------
    def _write_draft(self) -> bool:
        """Store the draft; on failure say so and keep everything in the page."""
        if self.ex is None or self.submitted:
            return False
        self.ex.tick()
        try:
            saved = self.store.save_draft(self.ex.response)
        except StoreError as exc:
            self.save_status.value = '<span class="arms-save-failed">Not saved</span>'
            self.messages.show(
                f"Your work is still here on the page but was not saved: {exc}. "
                "It will be saved again at your next change.",
                "error",
            )
            return False
        if saved is False:
            self.messages.show(
                "This case has already been submitted (perhaps in another tab); "
                "this copy is no longer saved.",
                "warning",
            )
            return False
        self.save_status.value = f"<small>Draft saved {time.strftime('%H:%M:%S')}</small>"
        if "not saved" in self.messages.text:
            self.messages.clear()
        return True

    # -- submission --------------------------------------------------------------------------
    def submit(self) -> None:
        """Store, score against the key, store the scored submission, show the feedback.

        Guarded against double clicks (the flag, the disabled button) and idempotent in the
        store by response id, so a retry after a failure cannot make a second submission.
        """
        ex = self.ex
        if ex is None or self.submitted or self._submitting:
            return
        self._submitting = True
        self.submit_button.disabled = True
        self.submit_button.description = "Submitting..."
        try:
            self._submit(ex)
        finally:
            self._submitting = False
            if not self.submitted:
                self.submit_button.disabled = False
                self.submit_button.description = "Submit"

    def _submit(self, ex: Exercise) -> None:
        missing = ex.missing()
        if missing:
            items = [f"{stage(s).label}: {i}" for s in ex.stages for i in missing.get(s, ())]
            self.messages.show("Not submitted yet. Still to do:", "warning", items=items)
            return
        if not self.autosave.flush():
            return
        try:
            key = self.key_loader(ex.vignette.id)
        except Exception:  # noqa: BLE001
            log.exception("answer key for %s not loaded", ex.vignette.id)
            self.messages.show(
                "Your answers are saved, but this case cannot be scored right "
                "now (its answer key is unavailable). Tell your trainer.",
                "error",
            )
            return
        from arms_training.scoring import rules

        score = self.scorer or rules.score
        try:
            report = score(ex.response, key, ex.framework, vignette=ex.vignette)
        except ScoringError as exc:  # details go to the log, not to the trainee
            log.warning("scoring %s failed: %s", ex.response.response_id, exc)
            self.messages.show(
                "Your answers are saved, but they could not be scored. Tell your trainer.", "error"
            )
            return
        try:
            self.store.submit(
                ex.response,
                score=report.to_dict(),  # the JSON form is the store's; the views take the report
                key_version=key.key_version,
                framework_version=ex.framework.version,
            )
        except StoreError as exc:
            self.messages.show(
                f"Not submitted: {exc}. Your answers are still here; press Submit again in a moment.", "error"
            )
            return
        self.submitted = True
        self.autosave.cancel()
        self._show_feedback(report)

    def _show_feedback(self, report: ScoreReport) -> None:
        from arms_training.ui.exercise.feedback import FeedbackView

        ex = self.ex
        assert ex is not None
        try:
            self.feedback = FeedbackView(
                report,
                framework=ex.framework,
                vignette=ex.vignette,
                response=ex.response,
                on_again=self._safe(self.again),
            )
        except Exception:  # noqa: BLE001 - the submission is safe; say so whatever happens
            log.exception("feedback view failed")
            self.messages.show(
                f"Submitted: your score is {report.total:.0f} / 100. "
                "The detailed feedback could not be shown; tell your trainer.",
                "warning",
            )
            return
        old = list(self.body.children)
        self.columns.children = []  # the case file moves beside the feedback; close the rest
        self.body.children = [
            w.HBox([self.case_column, self.feedback.widget], layout=w.Layout(flex_flow="row wrap"))
        ]
        for child in old:
            close_all(child)
        self.view = None
        # In a trainer's session the end-of-session survey follows the feedback.
        self.feedback.widget.children = (
            *self.feedback.widget.children,
            *survey_widgets(ex.response, self.store),
        )
        self.messages.show("Submitted. Your feedback is below.", "success")

    def again(self) -> None:
        """Back to the start screen for another case, keeping who the trainee is."""
        trainee = self.ex.response.trainee if self.ex else None
        self.ex, self.submitted, self.feedback = None, False, None
        old = list(self.body.children)
        self.start_screen = self._new_start_screen()
        if trainee is not None:
            self.start_screen.trainee_id.value = trainee.id
            self.start_screen.agency.value = trainee.agency
            self.start_screen.role.value, self.start_screen.area.value = trainee.role, trainee.area
        if self.session is not None:
            self.start_screen.show_cards([i for i in self.session.vignette_ids if i in self.vignettes])
            self.start_screen.fix_mode(self.session.mode, f"Training session {self.session.code}.")
            self.start_screen.fix_session(self.session.code)
        self.body.children = [self.start_screen.widget]
        for child in old:
            close_all(child)
        self.messages.clear()
