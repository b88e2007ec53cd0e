"""The views of the calibration dashboard: a sortable table widget and one panel per tab.

Each panel reads its table from :class:`arms_training.calibration.dashboard.Dashboard` (which caches by
filters and settings) and redraws only when that changed since it last drew (:meth:`View.refresh`),
so a filter change costs the visible tab only. Every piece of text reaches markup through
:func:`arms_training.reports.calibration.frame_html` or :func:`esc`.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from typing import Any

import ipywidgets as w
import pandas as pd

from arms_training.agreement.registry import band_notes
from arms_training.calibration.dashboard import DIRECTION_MIN, Dashboard, page_of, sort_table
from arms_training.calibration.settings import CalibrationSettings
from arms_training.reports.calibration import esc, flagged_row, frame_html
from arms_training.ui.components import classed, close_all

__all__ = [
    "SortableTable",
    "View",
    "AssessorsView",
    "FactorsView",
    "ReliabilityView",
    "TableFigureView",
    "PlansView",
    "THRESHOLDS",
    "AUTO_RELIABILITY",
    "MAX_FEEDBACK",
    "figure",
    "detail_widgets",
    "feedback_item_html",
]

Safe = Callable[[Callable[..., Any]], Callable[..., Any]]
# Below this many responses in the filters, reliability is computed with the rest of the view;
# above, on request (its bootstrap takes seconds on a large cohort).
AUTO_RELIABILITY = 3000
# Drill-down: the feedback of this many of an assessor's latest responses is shown.
MAX_FEEDBACK = 30
THRESHOLDS = (  # (setting, label): CalibrationSettings documents each default
    ("exact_agreement_min", "Exact agreement below"),
    ("within_one_min", "Within one below"),
    ("risk_bias_max", "Risk bias above"),
    ("protective_bias_min", "Protective bias below"),
    ("plan_score_min", "Plan score below"),
    ("min_responses", "Assess from n responses"),
)


def figure(make: Callable[[], Any]) -> bytes:
    from arms_training.plots.calibration import figure_png

    return figure_png(make())


class SortableTable:
    """A table a quality lead can sort (column and direction) and page through."""

    def __init__(
        self,
        name: str,
        safe: Safe,
        *,
        sort: str | None = None,
        ascending: bool = True,
        page_size: int = 25,
        on_page: Callable[[pd.DataFrame], None] | None = None,
    ) -> None:
        self.name, self.page_size, self.on_page = name, page_size, on_page
        self.frame = pd.DataFrame()
        self.page = 0
        self.rows = pd.DataFrame()
        self._default = sort
        self.sort_by = classed(
            w.Dropdown(description="Sort by", options=[], layout=w.Layout(width="300px")), "arms-cal-sort"
        )
        self.ascending = classed(
            w.Checkbox(
                value=ascending, description="ascending", indent=False, layout=w.Layout(width="110px")
            ),
            "arms-cal-ascending",
        )
        self.prev = classed(
            w.Button(description="Previous", icon="chevron-left", layout=w.Layout(width="110px")),
            "arms-cal-prev",
        )
        self.next = classed(
            w.Button(description="Next", icon="chevron-right", layout=w.Layout(width="110px")),
            "arms-cal-next",
        )
        self.label = classed(w.HTML(), "arms-cal-page")
        self.html = classed(w.HTML(), "arms-cal-table")
        self._quiet = False
        self.sort_by.observe(lambda _c: None if self._quiet else safe(self.render)(True), names="value")
        self.ascending.observe(lambda _c: safe(self.render)(True), names="value")
        self.prev.on_click(lambda _b: safe(self.turn)(-1))
        self.next.on_click(lambda _b: safe(self.turn)(1))
        self.widget = classed(
            w.VBox([w.HBox([self.sort_by, self.ascending, self.prev, self.label, self.next]), self.html]),
            "arms-cal-table-view",
            f"arms-cal-table-{name}",
        )

    def set_frame(self, frame: pd.DataFrame) -> None:
        self.frame = frame
        columns = list(frame.columns)
        current = self.sort_by.value
        keep = current if current in columns else self._default
        options = [("(table order)", ""), *((str(c).replace("_", " "), c) for c in columns)]
        self._quiet = True
        try:
            if list(self.sort_by.options) != options:
                self.sort_by.options = options
            self.sort_by.value = keep if keep in columns else ""
        finally:
            self._quiet = False
        self.render(True)

    def turn(self, step: int) -> None:
        self.page += step
        self.render(False)

    def render(self, first_page: bool = False) -> None:
        if first_page:
            self.page = 0
        ordered = sort_table(self.frame, self.sort_by.value, ascending=self.ascending.value)
        self.rows, self.page, pages = page_of(ordered, self.page, self.page_size)
        self.prev.disabled, self.next.disabled = self.page == 0, self.page >= pages - 1
        self.label.value = f"<small>page {self.page + 1} of {pages} &middot; {len(self.frame)} rows</small>"
        self.html.value = frame_html(
            self.rows, row_class=flagged_row, empty="Nothing to show for these filters."
        )
        if self.on_page is not None:
            self.on_page(self.rows)


class View:
    """One tab. Subclasses build widgets in ``build`` and draw in ``render``."""

    name = ""

    def __init__(self, dash: Dashboard, safe: Safe) -> None:
        self.dash, self.safe = dash, safe
        self.drawn_for: tuple | None = None
        self.seconds = 0.0
        self.widget = classed(w.VBox(self.build()), "arms-cal-view", f"arms-cal-view-{self.name}")

    def build(self) -> list[w.Widget]:
        return []

    def key(self) -> tuple:
        st = self.dash.state
        return (self.dash.generation, st.filter_key(), st.settings)

    def refresh(self, force: bool = False) -> bool:
        if not force and self.drawn_for == self.key():
            return False
        t0 = time.perf_counter()
        self.render()
        self.drawn_for = self.key()
        self.seconds = time.perf_counter() - t0
        return True

    def render(self) -> None:
        raise NotImplementedError

    def _image(self) -> w.Image:
        return classed(
            w.Image(format="png", layout=w.Layout(max_width="1100px")),
            f"arms-cal-figure-{self.name}",
            "arms-cal-figure",
        )


class TableFigureView(View):
    """A table and its figure: agencies and drift."""

    def __init__(
        self,
        name: str,
        dash: Dashboard,
        safe: Safe,
        draw: Callable[[pd.DataFrame], Any],
        *,
        intro: str,
        sort: str | None = None,
    ) -> None:
        self.name, self.draw, self.intro, self.sort = name, draw, intro, sort
        super().__init__(dash, safe)

    def build(self) -> list[w.Widget]:
        self.table = SortableTable(self.name, self.safe, sort=self.sort)
        self.image = self._image()
        return [w.HTML(f"<p>{esc(self.intro)}</p>"), self.image, self.table.widget]

    def render(self) -> None:
        frame = self.dash.view(self.name)
        self.table.set_frame(frame)
        self.image.value = figure(lambda: self.draw(frame))


class FactorsView(View):
    name = "factors"

    def build(self) -> list[w.Widget]:
        self.mode = classed(
            w.ToggleButtons(
                options=[("By factor", "factor_summary"), ("By vignette and factor", "factors")],
                value="factor_summary",
            ),
            "arms-cal-factor-mode",
        )
        self.mode.observe(lambda _c: self.safe(self.render)(), names="value")
        self.table = SortableTable("factors", self.safe, sort="share_matching_key")
        self.image = self._image()
        return [
            w.HTML(
                "<p>Which factors the cohort rates least reliably against the key, and "
                f"in which direction (a mean difference beyond &plusmn;{DIRECTION_MIN:.2f} "
                "of a scale step is called over- or under-rated).</p>"
            ),
            self.image,
            self.mode,
            self.table.widget,
        ]

    def render(self) -> None:
        from arms_training.plots.calibration import factors_figure

        summary = self.dash.view("factor_summary")
        self.table.set_frame(self.dash.view(self.mode.value))
        self.image.value = figure(lambda: factors_figure(summary, direction_min=DIRECTION_MIN))


class PlansView(View):
    name = "plans"

    def build(self) -> list[w.Widget]:
        self.mode = classed(
            w.ToggleButtons(
                options=[("By kind of finding", "plan_findings"), ("By vignette and item", "plans")],
                value="plan_findings",
            ),
            "arms-cal-plan-mode",
        )
        self.mode.observe(lambda _c: self.safe(self.render)(), names="value")
        self.table = SortableTable("plans", self.safe)
        self.image = self._image()
        return [
            w.HTML(
                "<p>The plan rubric's findings most often failed in full exercises: "
                "unaddressed priorities, missing essentials, contraindicated and "
                "incomplete actions.</p>"
            ),
            self.image,
            self.mode,
            self.table.widget,
        ]

    def render(self) -> None:
        from arms_training.plots.calibration import plans_figure

        findings = self.dash.view("plan_findings")
        self.table.set_frame(self.dash.view(self.mode.value))
        self.image.value = figure(lambda: plans_figure(findings))


class ReliabilityView(View):
    name = "reliability"

    def build(self) -> list[w.Widget]:
        self.compute = classed(
            w.Button(description="Compute reliability", icon="calculator", button_style="primary"),
            "arms-cal-reliability-compute",
        )
        self.compute.on_click(lambda _b: self.safe(self.run)())
        self.n_boot = classed(
            w.BoundedIntText(
                value=self.dash.state.settings.n_boot,
                min=50,
                max=5000,
                step=50,
                description="Bootstrap",
                layout=w.Layout(width="180px"),
            ),
            "arms-cal-nboot",
        )
        self.progress = classed(
            w.FloatProgress(value=0, min=0, max=1, layout=w.Layout(width="260px")),
            "arms-cal-reliability-progress",
        )
        self.status = classed(w.HTML(), "arms-cal-reliability-status")
        self.scope = classed(w.Dropdown(description="Figure for", options=["cohort"]), "arms-cal-scope")
        self._drawing = True
        self.scope.observe(lambda _c: self.safe(self.draw)() if self._drawing else None, names="value")
        self.table = SortableTable("reliability", self.safe, page_size=60)
        self.image = self._image()
        self.bands = classed(w.HTML(), "arms-cal-bands")
        return [
            w.HTML(
                "<p>Agreement among assessors (each assessor's latest response per "
                "vignette; <i>insufficient</i> counts as missing), with bootstrap "
                "confidence intervals and the usual reading of each statistic.</p>"
            ),
            w.HBox([self.compute, self.n_boot, self.progress]),
            self.status,
            self.scope,
            self.image,
            self.bands,
            self.table.widget,
        ]

    def render(self) -> None:
        if not self.dash.on_request(self.name) or len(self.dash.subset()) <= AUTO_RELIABILITY:
            self.run()
            return
        self.table.set_frame(pd.DataFrame())
        self.image.layout.display = "none"
        self.status.value = (
            f"<p>{len(self.dash.subset())} responses match the filters: press "
            "<b>Compute reliability</b> (the bootstrap takes a few seconds for "
            "a large cohort; lower the replicates to go faster).</p>"
        )

    def run(self) -> None:
        n_boot = int(self.n_boot.value)
        if n_boot != self.dash.state.settings.n_boot:
            self.dash.set_state(settings=dataclasses.replace(self.dash.state.settings, n_boot=n_boot))
        t0 = time.perf_counter()

        def progress(fraction: float, label: str) -> None:
            self.progress.value = fraction
            self.status.value = f"<small>Computing: {esc(label)}...</small>"

        self.compute.disabled = True
        try:
            table = self.dash.view("reliability", progress=progress)
        finally:
            self.compute.disabled = False
        self.progress.value = 1.0
        self.table.set_frame(table)
        scopes = list(dict.fromkeys(table["scope"])) or ["cohort"]
        keep = self.scope.value if self.scope.value in scopes else scopes[0]
        self._drawing = False  # the figure is drawn once, below
        self.scope.options = scopes
        self.scope.value = keep
        self._drawing = True
        self.draw()
        notes = band_notes(table["statistic"]) if "bands" in table else []
        self.bands.value = "".join(f'<p class="arms-cal-note">{esc(b)}</p>' for b in notes)
        self.status.value = (
            f"<small>Computed in {time.perf_counter() - t0:.1f} s with "
            f"{self.dash.state.settings.n_boot} bootstrap replicates.</small>"
        )
        self.drawn_for = self.key()

    def draw(self) -> None:
        from arms_training.plots.calibration import reliability_figure

        frame = self.table.frame
        self.image.layout.display = "" if len(frame) else "none"
        if len(frame):
            self.image.value = figure(lambda: reliability_figure(frame, self.scope.value))


class AssessorsView(View):
    name = "assessors"

    def __init__(self, dash: Dashboard, safe: Safe, on_settings: Callable[[], None]) -> None:
        self.on_settings = on_settings
        self.selected: str | None = None
        super().__init__(dash, safe)

    def build(self) -> list[w.Widget]:
        defaults = CalibrationSettings()
        self.thresholds: dict[str, w.Widget] = {}
        for name, label in THRESHOLDS:
            default = getattr(defaults, name)
            kind = w.BoundedIntText if name == "min_responses" else w.BoundedFloatText
            bounds = dict(min=1, max=1000) if name == "min_responses" else dict(min=-3, max=3, step=0.05)
            box = classed(
                kind(
                    value=getattr(self.dash.state.settings, name),
                    description=label,
                    tooltip=f"default {default}",
                    style={"description_width": "150px"},
                    layout=w.Layout(width="250px"),
                    **bounds,
                ),
                f"arms-cal-threshold-{name}",
            )
            box.observe(lambda _c: self.safe(self.set_thresholds)(), names="value")
            self.thresholds[name] = box
        reset = classed(w.Button(description="Default thresholds"), "arms-cal-thresholds-reset")
        reset.on_click(lambda _b: self.safe(self.reset)())
        note = w.HTML(
            '<p class="arms-cal-note">Defaults (project choices, documented in CalibrationSettings): '
            + ", ".join(f"{esc(label.lower())} {getattr(defaults, n)}" for n, label in THRESHOLDS)
            + ". A flag needs at least that many responses; missing data never flags.</p>"
        )
        self.flagged_only = classed(
            w.Checkbox(description="Flagged assessors only", indent=False), "arms-cal-flagged-only"
        )
        self.flagged_only.observe(lambda _c: self.safe(self.render)(), names="value")
        self.table = SortableTable(
            "assessors", self.safe, sort="flagged", ascending=False, on_page=self._page_changed
        )
        self.image = self._image()
        self.pick = classed(
            w.Dropdown(description="Assessor", options=[], layout=w.Layout(width="340px")),
            "arms-cal-assessor",
        )
        self._picking = False
        self.pick.observe(
            lambda c: self.safe(self.show)(c["new"]) if c["new"] and not self._picking else None,
            names="value",
        )
        self.typed = classed(w.Text(placeholder="or type an assessor id"), "arms-cal-assessor-id")
        show = classed(w.Button(description="Show", icon="search"), "arms-cal-assessor-show")
        show.on_click(lambda _b: self.safe(self.show)(self.typed.value.strip()))
        self.detail = classed(w.VBox(), "arms-cal-detail")
        grid = w.GridBox(
            list(self.thresholds.values()) + [reset],
            layout=w.Layout(grid_template_columns="repeat(3, 260px)"),
        )
        return [
            grid,
            note,
            self.image,
            self.flagged_only,
            self.table.widget,
            w.HTML("<h3>One assessor</h3>"),
            w.HBox([self.pick, self.typed, show]),
            self.detail,
        ]

    def set_thresholds(self) -> None:
        values = {n: self.thresholds[n].value for n, _ in THRESHOLDS}
        settings = dataclasses.replace(self.dash.state.settings, **values)
        self.dash.set_state(settings=settings)
        self.on_settings()

    def reset(self) -> None:
        defaults = CalibrationSettings()
        for name, box in self.thresholds.items():
            box.value = getattr(defaults, name)

    def render(self) -> None:
        from arms_training.plots.calibration import assessors_figure

        table = self.dash.view("assessors")
        shown = table[table["flagged"]] if self.flagged_only.value and len(table) else table
        self.table.set_frame(shown)
        self.image.value = figure(lambda: assessors_figure(table, self.dash.state.settings))
        if self.selected:
            self.show(self.selected)

    def _page_changed(self, rows: pd.DataFrame) -> None:
        options = [
            (f"{t}{' (flagged)' if f else ''}", t)
            for t, f in zip(rows.get("trainee_id", []), rows.get("flagged", []), strict=True)
        ]
        self._picking = True
        try:
            self.pick.options = options
            self.pick.value = self.selected if self.selected in dict(options).values() else None
        finally:
            self._picking = False

    def show(self, trainee_id: str) -> None:
        """Drill down: the assessor's flags, their responses and each response's feedback."""
        from arms_training.plots.calibration import assessor_figure

        if not trainee_id:
            return
        self.selected = trainee_id
        old = list(self.detail.children)
        detail = self.dash.assessor_detail(trainee_id)
        subset = self.dash.subset()
        mean = float(subset["total"].mean()) if len(subset) else None
        png = figure(lambda: assessor_figure(detail.responses, trainee_id, cohort_mean=mean))
        self.detail.children = detail_widgets(self.dash, detail, png)
        for child in old:
            close_all(child)


def feedback_item_html(dash: Dashboard, row: int, heading: str) -> str:
    """One response's feedback as the trainee saw it (shared scoring and feedback HTML), in a
    ``<details>`` that opens on click."""
    from arms_training.reports.feedback import (
        factor_table_html,
        follow_up_html,
        level_html,
        parts_html,
        plan_html,
        priorities_html,
        total_html,
    )
    from arms_training.scoring.rules import ScoringError

    response = dash.response(row)
    try:
        report = dash.feedback(row)
    except (ScoringError, KeyError) as exc:
        body = f'<p class="arms-cal-note">Not scored: {esc(exc)}</p>'
    else:
        fw = dash.frameworks[response.framework]
        vignette = dash.library.vignettes.get(response.vignette_id)
        body = "".join(
            [
                total_html(report),
                parts_html(report),
                factor_table_html(report, fw, vignette, response) if vignette else "",
                priorities_html(report, fw),
                level_html(report, fw),
                plan_html(report, fw),
                follow_up_html(report, fw),
            ]
        )
    return f'<details class="arms-cal-feedback-item"><summary>{esc(heading)}</summary>{body}</details>'


def detail_widgets(dash: Dashboard, detail, png: bytes) -> list[w.Widget]:
    """The drill-down for one assessor (a :class:`~arms_training.calibration.dashboard.AssessorDetail`)."""
    a = detail.summary
    if a is None:
        head = (
            f"<p>No responses from <b>{esc(detail.trainee_id)}</b> match the filters"
            f"{f' ({detail.n_outside} outside them)' if detail.n_outside else ''}.</p>"
        )
        return [classed(w.HTML(head), "arms-cal-detail-summary")]
    flag = (
        f'<span class="arms-cal-flag">Flagged: {esc(a["flag_reasons"])}</span>'
        if a["flagged"]
        else "Not flagged." + (f" {esc(a['note'])}." if a["note"] else "")
    )
    outside = f" {detail.n_outside} more outside the filters." if detail.n_outside else ""
    head = (
        f"<h4>{esc(detail.trainee_id)} &middot; {esc(a['agency'])} &middot; "
        f"{esc(a['area'])}</h4><p>{flag}</p><p>{len(detail.responses)} responses in the "
        f"filters.{outside}</p>"
    )
    table = frame_html(detail.responses.drop(columns=["row"]), empty="No responses.")
    latest = detail.responses.tail(MAX_FEEDBACK).iloc[::-1]
    items = "".join(
        feedback_item_html(
            dash, int(r["row"]), f"{r['when']} · {r['vignette']} · {r['mode']} · total {r['total']:.1f}"
        )
        for _, r in latest.iterrows()
    )
    more = (
        f'<p class="arms-cal-note">Feedback shown for the latest {MAX_FEEDBACK}.</p>'
        if len(detail.responses) > MAX_FEEDBACK
        else ""
    )
    return [
        classed(w.HTML(head), "arms-cal-detail-summary"),
        classed(
            w.Image(value=png, format="png", layout=w.Layout(max_width="900px")), "arms-cal-detail-figure"
        ),
        classed(w.HTML(table), "arms-cal-detail-responses"),
        w.HTML("<h4>Feedback, response by response (click to open)</h4>" + more),
        classed(w.HTML(items), "arms-cal-feedback"),
    ]
