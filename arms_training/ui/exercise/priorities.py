"""The 'Priorities' and 'Level' stages: priority factors, priority for work, level of management."""

from __future__ import annotations

from collections.abc import Callable

import ipywidgets as w

from arms_training.exercise.state import Exercise
from arms_training.framework import Framework
from arms_training.responses import MAX_TEXT
from arms_training.stages import stage
from arms_training.ui.base import StageView
from arms_training.ui.components import Messages, classed, defaults_note_html, esc

__all__ = ["PrioritiesView", "LevelView", "matrix_html"]


class PrioritiesView(StageView):
    stage = "prioritise"

    def __init__(self, ex: Exercise, on_change: Callable[[], None]) -> None:
        super().__init__(ex, on_change)
        fw, r = ex.framework, ex.response
        self.boxes: dict[str, w.Checkbox] = {}
        groups: list[w.Widget] = []
        for kind, title in (("risk", "Risk factors"), ("protective", "Protective factors")):
            groups.append(w.HTML(f"<h4>{title}</h4>"))
            for f in fw.factors:
                if f.kind != kind:
                    continue
                box = classed(
                    w.Checkbox(
                        value=f.id in r.priorities,
                        indent=False,
                        description=f"{f.name} (your rating: {fw.rating_label(r.ratings.get(f.id))})",
                        disabled=ex.locked,
                        layout=w.Layout(width="auto"),
                    ),
                    "arms-priority",
                    f"arms-priority-{f.id}",
                )
                self.observe(box, lambda _v: self.apply(ex.set_priorities, self.chosen()))
                self.boxes[f.id] = box
                groups.append(box)
        self.level = classed(
            w.ToggleButtons(
                options=[(p.label, p.id) for p in fw.priority_levels],
                value=r.priority_level,
                disabled=ex.locked,
            ),
            "arms-priority-level",
        )
        self.observe(self.level, lambda v: self.apply(ex.set_priority_level, v))
        self.widget.children = [
            w.HTML(
                f"<h3>{esc(stage('prioritise').label)}</h3><p>Tick the factors that need "
                "work (risk factors to manage, protective factors to build) and give the "
                "overall priority for work.</p>"
            ),
            self.messages.widget,
            *groups,
            w.HTML("<h4>Overall priority for work</h4>"),
            self.level,
            w.HTML(defaults_note_html(fw, "priority_levels")),
        ]

    def chosen(self) -> list[str]:
        return [fid for fid, box in self.boxes.items() if box.value]


def matrix_html(fw: Framework, static: str | None, priority: str | None) -> str:
    """The level matrix with the cell for (static, priority) marked."""
    head = "".join(f"<th>{esc(p.label)}</th>" for p in fw.priority_levels)
    rows = ""
    for c in fw.static_tool.categories:
        cells = ""
        for p in fw.priority_levels:
            level = fw.label("level", fw.level_for(c.id, p.id))
            hit = c.id == static and p.id == priority
            style = ' style="background:#cfe0f5;font-weight:bold" class="arms-matrix-hit"' if hit else ""
            cells += f"<td{style}>{esc(level)}</td>"
        rows += f"<tr><th>{esc(c.label)}</th>{cells}</tr>"
    return (
        f'<table class="arms-table arms-matrix"><tr><th>{esc(fw.static_tool.name)} '
        f"\\ priority for work</th>{head}</tr>{rows}</table>"
    )


class LevelView(StageView):
    stage = "level"

    def __init__(self, ex: Exercise, on_change: Callable[[], None]) -> None:
        super().__init__(ex, on_change)
        fw, r = ex.framework, ex.response
        self.mode = classed(
            w.RadioButtons(
                options=[
                    ("Use the matrix result", "matrix"),
                    ("Override by professional judgement", "override"),
                ],
                value=ex.level_mode,
                disabled=ex.locked,
            ),
            "arms-level-mode",
        )
        self.override = classed(
            w.Dropdown(
                options=[("choose a level", None)] + [(lv.label, lv.id) for lv in fw.risk_management_levels],
                value=ex.override_level,
                description="Level",
                disabled=ex.locked,
            ),
            "arms-level-override",
        )
        self.rationale = classed(
            w.Textarea(
                value=r.override_rationale or "",
                continuous_update=False,
                disabled=ex.locked,
                placeholder=f"Why the matrix result does not fit this case (required for an "
                f"override, up to {MAX_TEXT:,} characters)",
                layout=w.Layout(width="98%", height="90px"),
            ),
            "arms-level-rationale",
        )
        self.override_messages = Messages()
        self.override_box = w.VBox([self.override, self.rationale, self.override_messages.widget])
        self.matrix = w.HTML()
        self.result = classed(w.HTML(), "arms-level-result")
        self.observe(self.mode, lambda v: self.apply(ex.choose_level, v))
        self.observe(
            self.override,
            lambda v: self.apply(ex.choose_level, "override", level=v, messages=self.override_messages),
        )
        self.observe(
            self.rationale,
            lambda v: self.apply(ex.choose_level, "override", rationale=v, messages=self.override_messages),
        )
        st = ex.vignette.static_tool
        self.widget.children = [
            w.HTML(
                f"<h3>{esc(stage('level').label)}</h3>"
                f"<p><b>Static tool ({esc(st.name)}):</b> "
                f"{esc(fw.label('static', st.category))}</p>"
            ),
            self.messages.widget,
            self.matrix,
            w.HTML(defaults_note_html(fw, "level_matrix")),
            self.mode,
            self.override_box,
            self.result,
            w.HTML(defaults_note_html(fw, "visit_frequency")),
        ]
        self.refresh()

    def refresh(self) -> None:
        ex, fw = self.ex, self.ex.framework
        r = ex.response
        self.matrix.value = matrix_html(fw, ex.static_category, r.priority_level)
        self.override_box.layout.display = "" if ex.level_mode == "override" else "none"
        matrix = ex.matrix_level()
        parts = []
        if r.priority_level is None:
            parts.append(
                "<p>Choose the overall priority for work (Priorities stage) to see the matrix result.</p>"
            )
        else:
            priority = fw.label("priority", r.priority_level)
            parts.append(
                f"<p><b>Priority for work:</b> {esc(priority)}"
                f" &middot; <b>Matrix result:</b> "
                f"{esc(fw.label('level', matrix) if matrix else 'none')}</p>"
            )
        level = r.risk_management_level
        if level:
            kind = "override" if ex.level_mode == "override" else "matrix result"
            parts.append(
                f"<p><b>Level of risk management ({kind}):</b> "
                f"{esc(fw.label('level', level))}; visits "
                f"{esc(ex.visit_frequency(level))}.</p>"
            )
        elif ex.level_mode == "override":
            parts.append("<p>An override needs a level and the rationale for it.</p>")
        self.result.value = "".join(parts)
