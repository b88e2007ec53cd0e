"""The 'Read the case' stage: what to look for while reading, beside the case file."""

from __future__ import annotations

from collections.abc import Callable

import ipywidgets as w

from arms_training.exercise.state import Exercise
from arms_training.stages import stage
from arms_training.ui.base import StageView
from arms_training.ui.components import classed, esc


class ReadingView(StageView):
    stage = "gather"

    def __init__(self, ex: Exercise, on_change: Callable[[], None]) -> None:
        super().__init__(ex, on_change)
        v = ex.vignette
        focus = "".join(f"<li>{esc(f)}</li>" for f in v.learning_focus)
        steps = " &rarr; ".join(esc(stage(s).label) for s in ex.stages)
        mode = (
            "Quick exercise: ratings and priorities only."
            if ex.response.mode == "quick"
            else "Full exercise: all five ARMS stages."
        )
        intro = classed(
            w.HTML(
                f"<h3>{esc(stage('gather').label)}</h3>"
                f"<p>{esc(mode)} About {v.estimated_minutes} minutes. Steps: {steps}.</p>"
                "<p>Read the case file on the left. Each paragraph has an id (for example "
                "<span class='arms-para-id'>p1</span>) that you cite as evidence when you rate a "
                "factor. Underlined terms explain themselves when you point at them; the glossary "
                "below the case file sets police and probation words side by side.</p>"
                f"<p><b>Learning focus</b></p><ul>{focus}</ul>"
                "<p>The case file stays on screen at every stage.</p>"
            ),
            "arms-reading",
        )
        self.widget.children = [self.messages.widget, intro]
