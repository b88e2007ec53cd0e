"""The feedback screen, shown only after the response is submitted and scored.

This module is imported by the submit handler, never before: it pulls in matplotlib (through
:mod:`.chart`) and holds key-derived text.
"""

from __future__ import annotations

import base64
import logging
from collections.abc import Callable

import ipywidgets as w

from arms_training.content import Vignette
from arms_training.framework import Framework
from arms_training.plots.feedback import profile_png
from arms_training.reports.feedback import (
    factor_table_html,
    feedback_html,
    follow_up_html,
    level_html,
    parts_html,
    plan_html,
    priorities_html,
    time_html,
    total_html,
)
from arms_training.responses import Response
from arms_training.scoring.report import ScoreReport
from arms_training.ui.components import classed, esc

__all__ = ["FeedbackView", "download_link_html"]

log = logging.getLogger("arms_training.ui")


def download_link_html(page: str, filename: str) -> str:
    """A link that saves ``page`` as a file, with the page carried in a data: URI."""
    data = base64.b64encode(page.encode("utf-8")).decode("ascii")
    return (
        f'<a class="arms-feedback-download" download="{esc(filename)}" '
        f'href="data:text/html;charset=utf-8;base64,{data}">Download this feedback '
        "(HTML)</a>"
    )


class FeedbackView:
    """Total and parts, the profile chart, the factor table, priorities, level, plan, time."""

    def __init__(
        self,
        report: ScoreReport,
        *,
        framework: Framework,
        vignette: Vignette,
        response: Response,
        on_again: Callable[[], None] | None = None,
    ) -> None:
        self.report = report
        try:
            png: bytes | None = profile_png(report, framework)
        except Exception:  # noqa: BLE001 - a chart failure must not hide the feedback
            log.exception("profile chart failed")
            png = None
        self.chart = classed(
            w.Image(value=png or b"", format="png", layout=w.Layout(max_width="900px")), "arms-feedback-chart"
        )
        page = feedback_html(report, framework=framework, vignette=vignette, response=response, chart_png=png)
        name = f"arms-feedback-{vignette.id}-{response.trainee.id.replace(' ', '_')}.html"
        self.download = classed(w.HTML(download_link_html(page, name)), "arms-feedback-download")
        self.total = classed(w.HTML(total_html(report)), "arms-feedback-total")
        table = classed(
            w.HTML(factor_table_html(report, framework, vignette, response)), "arms-feedback-factors"
        )
        sections = [
            w.HTML(
                f"<h2>Feedback: {esc(vignette.title)}</h2><p>Your answers are saved. Here "
                "is how they compare with the expert panel. Click a paragraph id to read "
                "the paragraph.</p>"
            ),
            self.total,
            classed(w.HTML(parts_html(report)), "arms-feedback-parts"),
            self.chart if png else w.HTML("<p>(The chart could not be drawn.)</p>"),
            w.HTML("<h3>Factor by factor</h3>"),
            table,
            classed(w.HTML(priorities_html(report, framework)), "arms-feedback-priorities"),
            classed(w.HTML(level_html(report, framework)), "arms-feedback-level"),
            classed(w.HTML(plan_html(report, framework)), "arms-feedback-plan"),
            classed(w.HTML(follow_up_html(report, framework)), "arms-feedback-follow-up"),
            classed(w.HTML(time_html(response)), "arms-feedback-time"),
            self.download,
        ]
        if on_again is not None:
            again = classed(w.Button(description="Try another case", icon="redo"), "arms-again")
            again.on_click(lambda _b: on_again())
            sections.append(again)
        self.widget = classed(w.VBox(sections), "arms-feedback")
