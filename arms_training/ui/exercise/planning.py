"""The 'Plan' stage: risk management actions from the catalogue (or 'other'), each complete."""

from __future__ import annotations

from collections.abc import Callable

import ipywidgets as w

from arms_training.exercise.state import OTHER, Exercise
from arms_training.framework import Framework
from arms_training.responses import MAX_TEXT, PlanAction
from arms_training.stages import stage
from arms_training.ui.base import StageView
from arms_training.ui.components import Messages, classed, close_all, defaults_note_html, esc

__all__ = ["PlanView", "ActionEditor", "catalogue_options"]

KIND_LABELS = {
    "restrictive": "Restrictive",
    "both": "Restrictive and constructive",
    "constructive": "Constructive",
}
OWNERS = [
    ("choose the owner", ""),
    ("Police", "police"),
    ("Probation", "probation"),
    ("Joint", "joint"),
    ("Other agency", "other"),
]
REVIEW_WEEKS = (1, 2, 4, 6, 8, 12, 16, 26, 52)


def catalogue_options(fw: Framework) -> list[tuple[str, str | None]]:
    """Catalogue entries grouped restrictive, both, constructive; then 'other'."""
    out: list[tuple[str, str | None]] = [("choose an intervention", None)]
    for kind in ("restrictive", "both", "constructive"):
        out += [(f"{KIND_LABELS[kind]}: {i.label}", i.id) for i in fw.interventions if i.kind == kind]
    return out + [("Other (describe it)", OTHER)]


def _action_title(fw: Framework, action: PlanAction, index: int) -> str:
    if action.intervention == OTHER:
        name = action.label or "Other action"
        kind = "other"
    else:
        item = fw.intervention(action.intervention)
        name, kind = item.label, KIND_LABELS[item.kind].lower()
    return f"<b>Action {index + 1}: {esc(name)}</b> <small>({esc(kind)})</small>"


class ActionEditor:
    """Widgets for one plan action; each field writes through ``Exercise.update_action``."""

    def __init__(self, view: PlanView, index: int) -> None:
        ex, fw = view.ex, view.ex.framework
        action = ex.response.plan[index]
        self.index = index
        self.messages = Messages()
        off = ex.locked

        def text(field: str, placeholder: str) -> w.Textarea:
            box = classed(
                w.Textarea(
                    value=getattr(action, field),
                    placeholder=placeholder,
                    continuous_update=False,
                    disabled=off,
                    layout=w.Layout(width="98%", height="60px"),
                ),
                f"arms-action-{field}",
            )
            view.observe(box, lambda v: self.update(view, **{field: v}))
            return box

        self.title = w.HTML(_action_title(fw, action, index))
        self.remove = classed(
            w.Button(description="Remove", icon="trash", disabled=off, layout=w.Layout(width="auto")),
            "arms-action-remove",
        )
        view.on_click(self.remove, lambda: view.remove(index))
        rows: list[w.Widget] = [w.HBox([self.title, self.remove])]
        if action.intervention == OTHER:
            self.label = classed(
                w.Text(
                    value=action.label,
                    placeholder="What is the action?",
                    continuous_update=False,
                    disabled=off,
                    layout=w.Layout(width="98%"),
                ),
                "arms-action-label",
            )
            view.observe(self.label, lambda v: self.update(view, label=v))
            rows.append(self.label)
        else:
            rows.append(w.HTML(f"<small>{esc(fw.intervention(action.intervention).description)}</small>"))
        self.factors = classed(
            w.SelectMultiple(
                options=[(f.name, f.id) for f in fw.factors],
                value=tuple(action.factors),
                rows=4,
                description="Factors",
                disabled=off,
                layout=w.Layout(width="98%"),
            ),
            "arms-action-factors",
        )
        view.observe(self.factors, lambda v: self.update(view, factors=list(v)))
        self.objective = text("objective", "What it is meant to achieve")
        self.enforcement = text("enforcement", "How it is enforced or monitored")
        self.rationale = text(
            "rationale",
            "Why it is suitable and proportionate (no more "
            "restrictive than needed; any negative consequences)",
        )
        self.owner = classed(
            w.Dropdown(options=OWNERS, value=action.owner, description="Owner", disabled=off),
            "arms-action-owner",
        )
        view.observe(self.owner, lambda v: self.update(view, owner=v))
        weeks = [("choose", None)] + [(f"{n} week{'s' if n > 1 else ''}", n) for n in REVIEW_WEEKS]
        if action.review_weeks is not None and action.review_weeks not in REVIEW_WEEKS:
            weeks.append((f"{action.review_weeks} weeks", action.review_weeks))
        self.review = classed(
            w.Dropdown(options=weeks, value=action.review_weeks, description="Review in", disabled=off),
            "arms-action-review",
        )
        view.observe(self.review, lambda v: self.update(view, review_weeks=v))
        rows += [
            self.factors,
            self.objective,
            self.enforcement,
            self.rationale,
            w.HBox([self.owner, self.review]),
            self.messages.widget,
        ]
        self.widget = classed(
            w.VBox(rows, layout=w.Layout(border="1px solid #ddd", padding="4px 8px", margin="4px 0")),
            "arms-action",
            f"arms-action-{index}",
        )

    def update(self, view: PlanView, **changes: object) -> None:
        if view.apply(view.ex.update_action, self.index, messages=self.messages, **changes):
            self.title.value = _action_title(view.ex.framework, view.ex.response.plan[self.index], self.index)


class PlanView(StageView):
    stage = "plan"

    def __init__(self, ex: Exercise, on_change: Callable[[], None]) -> None:
        super().__init__(ex, on_change)
        fw = ex.framework
        self.catalogue = classed(
            w.Dropdown(
                options=catalogue_options(fw), value=None, disabled=ex.locked, layout=w.Layout(width="60%")
            ),
            "arms-plan-catalogue",
        )
        self.about = w.HTML()
        self.add = classed(
            w.Button(description="Add action", icon="plus", disabled=ex.locked), "arms-plan-add"
        )
        self.on_click(self.add, self.add_selected)
        self.observe(self.catalogue, lambda _v: self._describe())
        self.actions = classed(w.VBox(), "arms-plan-actions")
        self.editors: list[ActionEditor] = []
        priorities = ", ".join(fw.factor(f).name for f in ex.response.priorities) or "none yet"
        locked = (
            "<p><i>Your plan is fixed now that you have read the next visit.</i></p>" if ex.locked else ""
        )
        self.widget.children = [
            w.HTML(
                f"<h3>{esc(stage('plan').label)}</h3><p>Build the risk management plan. "
                "Each action says what it is meant to achieve, how it is enforced or "
                "monitored, and why it is suitable and proportionate; link it to the "
                f"factors it addresses, name the owner and when it is reviewed. Text fields "
                f"take up to {MAX_TEXT:,} characters.</p>"
                f"<p><b>Your priority factors:</b> {esc(priorities)}</p>{locked}"
            ),
            self.messages.widget,
            w.HBox([self.catalogue, self.add]),
            self.about,
            w.HTML(defaults_note_html(fw, "interventions")),
            self.actions,
        ]
        self.rebuild()

    def _describe(self) -> None:
        choice = self.catalogue.value
        if choice is None:
            self.about.value = ""
        elif choice == OTHER:
            self.about.value = "<small>Describe an action that is not in the catalogue.</small>"
        else:
            item = self.ex.framework.intervention(choice)
            self.about.value = f"<small>{esc(item.description)}</small>"

    def add_selected(self) -> None:
        if self.catalogue.value is None:
            self.messages.show("Choose an intervention from the list first.", "warning")
            return
        if self.apply(self.ex.add_action, self.catalogue.value):
            self.catalogue.value = None
            self.rebuild()

    def remove(self, index: int) -> None:
        if self.apply(self.ex.remove_action, index):
            self.rebuild()

    def rebuild(self) -> None:
        for editor in self.editors:
            close_all(editor.widget)
        self.editors = [ActionEditor(self, i) for i in range(len(self.ex.response.plan))]
        empty = [w.HTML("<p>No actions yet.</p>")] if not self.editors else []
        self.actions.children = [*empty, *(e.widget for e in self.editors)]
