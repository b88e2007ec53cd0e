"""The trainee's end-of-session evaluation: Likert statements and a comment, saved to the store.

The exercise shows it under the feedback when the response belongs to a session::

    self.feedback.widget.children = (*self.feedback.widget.children,
                                     *survey_widgets(ex.response, self.store))

Answering again replaces the earlier answers (the store keeps one evaluation per trainee and
session). The view reports through ``on_saved`` and never raises into the kernel.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

import ipywidgets as w

from arms_training.responses import Response, Trainee
from arms_training.session.survey import Survey, SurveyError, check_answers, default_survey
from arms_training.store.errors import SessionError, StoreError
from arms_training.ui.components import Messages, classed, esc

if TYPE_CHECKING:
    from arms_training.store import Store

__all__ = ["SurveyView", "survey_widgets"]

log = logging.getLogger("arms_training.ui")


class SurveyView:
    """One statement per row with five answer buttons, a comment box and a Send button."""

    def __init__(
        self,
        session_code: str,
        trainee: Trainee,
        *,
        store: Store,
        survey: Survey | None = None,
        on_saved: Callable[[dict[str, int], str], None] | None = None,
    ) -> None:
        self.session_code = session_code
        self.trainee = trainee
        self.store = store
        self.survey = survey or default_survey()
        self.on_saved = on_saved
        self.saved = False
        self.messages = Messages("arms-survey-message")
        options = [(lv.label, lv.value) for lv in self.survey.scale]
        self.answers: dict[str, w.ToggleButtons] = {}
        rows = []
        for s in self.survey.statements:
            buttons = classed(
                w.ToggleButtons(options=options, value=None, style={"button_width": "auto"}),
                "arms-survey-answer",
                f"arms-survey-answer-{s.id}",
            )
            self.answers[s.id] = buttons
            rows.append(
                classed(
                    w.VBox([w.HTML(f"<p><b>{esc(s.text)}</b></p>"), buttons]),
                    "arms-survey-statement",
                    f"arms-survey-statement-{s.id}",
                )
            )
        self.comment = classed(
            w.Textarea(placeholder=self.survey.comment_prompt, layout=w.Layout(width="90%", height="80px")),
            "arms-survey-comment",
        )
        self.send_button = classed(
            w.Button(description="Send", button_style="primary", icon="paper-plane"), "arms-survey-send"
        )
        self.send_button.on_click(lambda _b: self.send())
        note = (
            f'<p class="arms-default-note">{esc(self.survey.project_default)}</p>'
            if self.survey.project_default
            else ""
        )
        self.widget = classed(
            w.VBox(
                [
                    w.HTML(f"<h3>{esc(self.survey.title)}</h3><p>{esc(self.survey.intro)}</p>{note}"),
                    *rows,
                    w.HTML(f"<p>{esc(self.survey.comment_prompt)}</p>"),
                    self.comment,
                    self.messages.widget,
                    self.send_button,
                ]
            ),
            "arms-survey",
        )

    def values(self) -> dict[str, int | None]:
        return {sid: b.value for sid, b in self.answers.items()}

    def send(self) -> bool:
        """Check and store the answers; say what is missing or what went wrong."""
        try:
            answers, comment = check_answers(self.survey, self.values(), self.comment.value)
            self.store.save_survey(self.session_code, self.trainee, answers, comment)
        except (SurveyError, SessionError) as exc:
            text = str(exc)
            self.messages.show(text[:1].upper() + text[1:] + ".", "warning")
            return False
        except StoreError as exc:
            self.messages.show(
                f"Not sent: {exc}. Your answers are still here; press Send again in a moment.", "error"
            )
            return False
        except Exception:  # noqa: BLE001 - the page must survive anything
            log.exception("survey save failed")
            self.messages.show(
                "Something went wrong on our side; your answers are still here. Try again.", "error"
            )
            return False
        self.saved = True
        self.send_button.description = "Send again"
        self.messages.show(
            "Thank you: your evaluation is saved. You can change it and send again.", "success"
        )
        if self.on_saved is not None:
            try:
                self.on_saved(answers, comment)
            except Exception:  # noqa: BLE001
                log.exception("survey on_saved callback failed")
        return True


def survey_widgets(response: Response, store: Store, *, survey: Survey | None = None) -> list[w.Widget]:
    """``[survey widget]`` for a response submitted in a session, ``[]`` otherwise (so the
    exercise can splice the result into its children unconditionally)."""
    if not response.session_code:
        return []
    view = SurveyView(response.session_code, response.trainee, store=store, survey=survey)
    return [view.widget]
