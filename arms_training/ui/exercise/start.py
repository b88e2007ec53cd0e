"""The start screen: who the trainee is, which case, which mode. Reports through ``on_start``."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import ipywidgets as w

from arms_training.content import Vignette
from arms_training.exercise.state import InputError, make_trainee
from arms_training.responses import AGENCIES, Trainee
from arms_training.ui.base import guard
from arms_training.ui.components import Messages, classed, esc

__all__ = ["StartScreen", "StartChoice", "card_html"]

DIFFICULTY = {"introductory": "Introductory", "intermediate": "Intermediate", "advanced": "Advanced"}


@dataclass(frozen=True)
class StartChoice:
    trainee: Trainee
    vignette_id: str
    mode: Literal["full", "quick"]


def card_html(v: Vignette) -> str:
    focus = "".join(f"<li>{esc(f)}</li>" for f in v.learning_focus)
    follow = " &middot; includes a follow-up visit" if v.follow_up else ""
    return (
        f"<h4>{esc(v.title)}</h4><p><small>{esc(DIFFICULTY.get(v.difficulty, v.difficulty))}"
        f" &middot; about {v.estimated_minutes} minutes{follow}</small></p>"
        f"<p>{esc(v.summary)}</p><p><small>Focus:</small></p><ul>{focus}</ul>"
    )


class StartScreen:
    def __init__(
        self,
        vignettes: Mapping[str, Vignette],
        on_start: Callable[[StartChoice], None],
        *,
        proxy_user: str | None = None,
        selected: str | None = None,
        on_join: Callable[[str], None] | None = None,
    ) -> None:
        self.vignettes = dict(vignettes)
        self.on_start = on_start
        self.on_join = on_join
        self.messages = Messages()
        self.messages.widget.add_class("arms-start-message")
        self.selected: str | None = None
        self.trainee_id = classed(
            w.Text(
                value=proxy_user or "",
                description="Trainee id",
                disabled=proxy_user is not None,
                placeholder="a pseudonym, e.g. blue-heron-7",
                style={"description_width": "90px"},
            ),
            "arms-trainee-id",
        )
        self.agency = classed(
            w.Dropdown(
                options=[("choose", None)] + [(a.capitalize(), a) for a in AGENCIES],
                value=None,
                description="Agency",
                style={"description_width": "90px"},
            ),
            "arms-agency",
        )
        self.role = classed(
            w.Text(
                description="Role", placeholder="e.g. offender manager", style={"description_width": "90px"}
            ),
            "arms-role",
        )
        self.area = classed(
            w.Text(description="Area", placeholder="optional", style={"description_width": "90px"}),
            "arms-area",
        )
        self.mode = classed(
            w.ToggleButtons(
                options=[
                    ("Full exercise (five stages)", "full"),
                    ("Quick (ratings and priorities)", "quick"),
                ],
                value="full",
                style={"button_width": "auto"},
            ),
            "arms-mode",
        )
        # For a trainee who was told the code in the room rather than given the link.
        self.session_code = classed(
            w.Text(
                description="Session code",
                placeholder="from your trainer, if any",
                style={"description_width": "90px"},
            ),
            "arms-session-code-entry",
        )
        self.join = classed(w.Button(description="Join session", icon="users"), "arms-join-session")
        self.join.on_click(lambda _b: self._guard(self._join_clicked))
        self.start = classed(w.Button(description="Start", button_style="primary", icon="play"), "arms-start")
        self.start.on_click(lambda _b: self._start_clicked())
        self.cards_box = classed(w.Box(layout=w.Layout(flex_flow="row wrap")), "arms-cards")
        self.cards: dict[str, w.VBox] = {}
        self.note = classed(w.HTML(), "arms-start-note")
        who = (
            f"<p>Signed in as <b>{esc(proxy_user)}</b>.</p>"
            if proxy_user
            else "<p>Choose a trainee id you will remember: use the same id to come back to a "
            "case you have started. Do not use your name.</p>"
        )
        self.widget = classed(
            w.VBox(
                [
                    w.HTML("<h2>ARMS practice exercise</h2>" + who),
                    self.trainee_id,
                    self.agency,
                    self.role,
                    self.area,
                    w.HBox([self.session_code, self.join]),
                    self.note,
                    w.HTML("<h3>Choose a case</h3>"),
                    self.cards_box,
                    w.HTML("<h3>Choose how much to do</h3>"),
                    self.mode,
                    self.messages.widget,
                    self.start,
                ]
            ),
            "arms-start-screen",
        )
        self.show_cards(list(self.vignettes))
        if selected in self.vignettes:
            self.choose(selected)

    def show_cards(self, ids: Sequence[str]) -> None:
        self.cards = {}
        for vid in ids:
            v = self.vignettes.get(vid)
            if v is None:
                continue
            button = classed(w.Button(description="Choose this case"), "arms-choose", f"arms-choose-{vid}")
            button.on_click(lambda _b, vid=vid: self._guard(self.choose, vid))
            self.cards[vid] = classed(
                w.VBox([w.HTML(card_html(v)), button], layout=w.Layout(width="300px")),
                "arms-card",
                f"arms-card-{vid}",
            )
        self.cards_box.children = list(self.cards.values())
        if self.selected not in self.cards:
            self.selected = None
        if len(self.cards) == 1:
            self.choose(next(iter(self.cards)))
        if not self.cards:
            self.messages.show("No cases are available yet; ask your trainer.", "warning")

    def fix_mode(self, mode: Literal["full", "quick"], why: str) -> None:
        self.mode.value = mode
        self.mode.disabled = True
        self.note.value = f"<p>{esc(why)}</p>"

    def fix_session(self, code: str) -> None:
        """The trainee is in session ``code``: show it and stop them joining another."""
        self.session_code.value = code
        self.session_code.disabled = self.join.disabled = True

    def _join_clicked(self) -> None:
        code = self.session_code.value.strip()
        if not code:
            raise InputError("Type the session code your trainer gave you.")
        if self.on_join is not None:
            self.on_join(code)

    def choose(self, vignette_id: str) -> None:
        if vignette_id not in self.cards:
            raise InputError("That case is not available here; choose one of the cards.")
        self.selected = vignette_id
        for vid, card in self.cards.items():
            card.remove_class("arms-card-selected")
            card.children[1].description = "Choose this case"
            card.children[1].button_style = ""
            if vid == vignette_id:
                card.add_class("arms-card-selected")
                card.children[1].description = "Chosen"
                card.children[1].button_style = "info"

    def choice(self) -> StartChoice:
        trainee = make_trainee(
            self.trainee_id.value, self.agency.value or "", self.role.value, self.area.value
        )
        if self.selected is None:
            raise InputError("Choose a case from the cards.")
        return StartChoice(trainee, self.selected, self.mode.value)

    def _start_clicked(self) -> None:
        self._guard(lambda: self.on_start(self.choice()))

    def _guard(self, fn: Callable[..., object], *args: object) -> None:
        guard(fn, lambda: self.messages)(*args)
