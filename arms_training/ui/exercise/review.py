"""The 'Review' stage: the next visit, opened only once the plan is done; re-rate and re-assess."""

from __future__ import annotations

import functools
from collections.abc import Callable

import ipywidgets as w

from arms_training.exercise.state import Exercise, rating_options
from arms_training.stages import stage
from arms_training.ui.base import StageView
from arms_training.ui.components import classed, esc, section_html

__all__ = ["ReviewView"]


class ReviewView(StageView):
    stage = "review"

    def __init__(self, ex: Exercise, on_change: Callable[[], None]) -> None:
        super().__init__(ex, on_change)
        self.reveal: w.Button | None = None
        self.significant: w.ToggleButtons | None = None
        self.ratings: dict[str, w.Dropdown] = {}
        self.level: w.Dropdown | None = None
        self.result = classed(w.HTML(), "arms-review-result")
        self.build()

    def build(self) -> None:
        head = w.HTML(f"<h3>{esc(stage('review').label)}</h3>")
        if self.ex.revealed:
            self.widget.children = [head, self.messages.widget, *self._review()]
        else:
            self.widget.children = [head, self.messages.widget, *self._gate()]

    def _gate(self) -> list[w.Widget]:
        ex = self.ex
        if not ex.can_reveal():
            missing = ex.missing()
            todo = "".join(
                f"<li>{esc(item)}</li>"
                for stage in ("rate", "prioritise", "level", "plan")
                for item in missing.get(stage, ())
            )
            return [
                w.HTML(
                    "<p>The next visit opens once your first assessment and plan are "
                    f"complete. Still to do:</p><ul>{todo}</ul>"
                )
            ]
        self.reveal = classed(
            w.Button(
                description="Open the next visit",
                icon="folder-open",
                button_style="warning",
                layout=w.Layout(width="auto"),
            ),
            "arms-review-reveal",
        )
        self.on_click(self.reveal, self.open_next_visit)
        return [
            w.HTML(
                "<p>Your first assessment and plan are complete. When you open the next "
                "visit they are fixed, as they would be in practice; you then record what "
                "changed here.</p>"
            ),
            self.reveal,
        ]

    def open_next_visit(self) -> None:
        if self.apply(self.ex.reveal_follow_up):
            self.build()

    def _review(self) -> list[w.Widget]:
        ex, fw = self.ex, self.ex.framework
        fu, vfu = ex.response.follow_up, ex.vignette.follow_up
        if fu is None or vfu is None:
            return []
        when = f" ({esc(vfu.when)})" if vfu.when else ""
        visit = classed(
            w.HTML(
                f"<h4>{esc(vfu.title)}{when}</h4>"
                + "".join(section_html(s, fw.glossary) for s in vfu.sections)
            ),
            "arms-case-file",
            "arms-follow-up",
        )
        self.significant = classed(
            w.ToggleButtons(
                options=[("Yes: significant change", True), ("No: not significant", False)],
                value=fu.significant_change,
                style={"button_width": "auto"},
            ),
            "arms-review-significant",
        )
        self.observe(self.significant, lambda v: self.apply(ex.set_significant_change, v))
        rows: list[w.Widget] = []
        for f in fw.factors:
            dd = classed(
                w.Dropdown(
                    options=[("not rated", None), *rating_options(fw)],
                    value=fu.ratings.get(f.id),
                    description=f.name,
                    style={"description_width": "260px"},
                    layout=w.Layout(width="560px"),
                ),
                "arms-review-rating",
                f"arms-review-rating-{f.id}",
            )
            first = fw.rating_label(ex.response.ratings.get(f.id))
            self.observe(dd, functools.partial(self.apply, ex.set_follow_up_rating, f.id))
            self.ratings[f.id] = dd
            rows.append(w.HBox([dd, w.HTML(f"<small>first rating: {esc(first)}</small>")]))
        self.level = classed(
            w.Dropdown(
                options=[("choose a level", None)] + [(lv.label, lv.id) for lv in fw.risk_management_levels],
                value=fu.risk_management_level,
                description="Level",
            ),
            "arms-review-level",
        )
        self.observe(self.level, lambda v: self.apply(ex.set_follow_up_level, v))
        first_level = ex.response.risk_management_level
        self.refresh()
        return [
            visit,
            w.HTML(
                "<h4>Is this a significant change?</h4><p><small>A change likely to alter "
                "the overall assessment or the plan; it triggers an ARMS review.</small></p>"
            ),
            self.significant,
            w.HTML(
                "<h4>Re-rate the factors</h4><p><small>Your first ratings are filled in; "
                "change those the new information moves.</small></p>"
            ),
            *rows,
            w.HTML(
                "<h4>Re-assess the level of risk management</h4><p><small>Your first level: "
                f"{esc(fw.label('level', first_level) if first_level else 'none')}"
                "</small></p>"
            ),
            self.level,
            self.result,
        ]

    def refresh(self) -> None:
        fu = self.ex.response.follow_up
        if fu is None or fu.risk_management_level is None:
            self.result.value = ""
            return
        fw = self.ex.framework
        level = fu.risk_management_level
        self.result.value = (
            f"<p>Visits at level {esc(fw.label('level', level))}: {esc(self.ex.visit_frequency(level))}.</p>"
        )
