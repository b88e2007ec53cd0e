"""The quality lead's calibration dashboard (notebooks/staff/calibration.ipynb).

Load responses from the training database or import exports from other servers, filter them,
and read six views (assessors with a drill-down, factors, reliability, agencies, drift, plans);
export every table as CSV and XLSX and an HTML report. The logic lives in
:mod:`arms_training.calibration.dashboard` (unit-tested without widgets); this module builds the widgets and
wires them, all wiring in :meth:`CalibrationApp._wire`. Callbacks never raise: a problem is a
message on the page, and the kernel keeps running.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

import ipywidgets as w

from arms_training.calibration.dashboard import Dashboard, ImportReport, problem_groups
from arms_training.errors import ArmsError, StoreError
from arms_training.reports.calibration import esc
from arms_training.reports.calibration_bundle import CalibrationBundle
from arms_training.reports.session import download_link_html
from arms_training.ui.base import Expected, guard
from arms_training.ui.calibration.views import (
    AssessorsView,
    FactorsView,
    PlansView,
    ReliabilityView,
    TableFigureView,
    View,
)
from arms_training.ui.components import CSS, Kind, Messages, classed

__all__ = ["CalibrationApp", "CAL_CSS", "FILTERS", "TABS"]

UNEXPECTED = "Something went wrong on our side; the loaded responses are safe. Try again."
# A file of the wrong kind or a bad setting is the quality lead's to fix; a database error is
# shown plainly; anything else is ours.
CALIBRATION_ERRORS: Expected = (
    (StoreError, "error", lambda exc: f"The training database could not be read: {exc}"),
    (ArmsError, "warning", str),
)
FILTERS = (
    ("agency", "Agency"),
    ("area", "Area"),
    ("vignette", "Vignette"),
    ("session", "Session"),
    ("cohort", "Cohort"),
)
TABS = ("Assessors", "Factors", "Reliability", "Police & probation", "Drift", "Plans", "Export")
CAL_CSS = """
<style>
.arms-cal-app {font-size: 14px;}
.arms-cal-flagged-row td {background: #fdecea;}
.arms-cal-flag {color: #c62828; font-weight: bold;}
.arms-cal-na {color: #888;}
.arms-cal-note, .arms-cal-more, .arms-cal-timing {font-size: 12px; color: #555;}
.arms-cal-empty {color: #555; font-style: italic;}
.arms-cal-table .arms-table {font-size: 13px;}
.arms-cal-feedback-item {border: 1px solid #ddd; margin: 4px 0; padding: 2px 8px;}
.arms-cal-feedback-item summary {cursor: pointer; font-weight: bold;}
</style>
"""


class CalibrationApp:
    """The dashboard. Build with :meth:`from_environment` in the notebook (no query string is
    needed: the page opens empty and loads on request)."""

    def __init__(self, *, dashboard: Dashboard | None = None, store: Any = None) -> None:
        self.dash = dashboard or Dashboard()
        self._store_arg = store
        self._store = None
        self._quiet = False
        self.last_refresh = 0.0
        self.messages = Messages("arms-cal-message")
        self._build()
        self._wire()
        self._after_load()

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None, **kwargs: Any) -> CalibrationApp:
        return cls(**kwargs)

    @property
    def store(self):
        if self._store is None:
            from arms_training.store import Store

            arg = self._store_arg
            self._store = arg() if callable(arg) else (arg or Store())
        return self._store

    def safe(self, fn: Callable[..., Any]) -> Callable[..., Any]:
        """Callbacks never raise; the progress bar is reset however they end."""
        guarded_fn = guard(fn, lambda: self.messages, expected=CALIBRATION_ERRORS, unexpected=UNEXPECTED)

        def run(*args: Any) -> Any:
            try:
                return guarded_fn(*args)
            finally:
                self.progress.bar_style = ""

        return run

    # -- layout ------------------------------------------------------------------------------
    def _build(self) -> None:
        def button(text: str, css: str, **kw: Any) -> w.Button:
            return classed(w.Button(description=text, **kw), css)

        self.load_button = button(
            "Load from the training database",
            "arms-cal-load-store",
            icon="database",
            button_style="primary",
            layout=w.Layout(width="280px"),
        )
        self.upload = classed(
            w.FileUpload(accept=".jsonl,.ndjson,.json,.csv", multiple=True, description="Upload exports"),
            "arms-cal-upload",
        )
        self.path = classed(
            w.Text(placeholder="/path/on/this/server/export.jsonl", layout=w.Layout(width="420px")),
            "arms-cal-path",
        )
        self.path_button = button("Import", "arms-cal-import-path", icon="file-import")
        self.clear_button = button("Clear loaded responses", "arms-cal-clear", icon="trash")
        self.progress = classed(
            w.FloatProgress(value=0, min=0, max=1, layout=w.Layout(width="320px")), "arms-cal-progress"
        )
        self.progress_label = classed(w.HTML(), "arms-cal-progress-label")
        source = classed(
            w.VBox(
                [
                    w.HBox([self.load_button, self.upload, self.clear_button]),
                    w.HBox([w.HTML("File on the server:&nbsp;"), self.path, self.path_button]),
                    w.HTML(
                        '<p class="arms-cal-note">JSONL (one response per line), JSON, a folder of '
                        "JSON files, or CSV with a <code>response</code> column. Responses are "
                        "merged by response id (duplicates skipped). A browser upload is limited to "
                        "about 10 MB; for a larger export give its path on this server, or run "
                        "<code>arms-training calibrate</code>.</p>"
                    ),
                    w.HBox([self.progress, self.progress_label]),
                ]
            ),
            "arms-cal-source",
        )

        self.since = classed(w.DatePicker(description="From"), "arms-cal-since")
        self.until = classed(w.DatePicker(description="To"), "arms-cal-until")
        self.selects = {
            name: classed(
                w.SelectMultiple(options=[], rows=5, description=label, layout=w.Layout(width="380px")),
                f"arms-cal-{name}",
            )
            for name, label in FILTERS
        }
        self.clear_filters = button("Clear filters", "arms-cal-clear-filters", icon="filter")
        filters = classed(
            w.VBox(
                [
                    w.HBox([self.since, self.until, self.clear_filters]),
                    w.GridBox(
                        list(self.selects.values()), layout=w.Layout(grid_template_columns="repeat(3, 390px)")
                    ),
                    w.HTML(
                        '<p class="arms-cal-note">Hold Ctrl (or Cmd) to choose several. Cohort: the '
                        "month of a trainee's first response among the loaded responses.</p>"
                    ),
                ]
            ),
            "arms-cal-filters",
        )

        self.summary = classed(w.HTML(), "arms-cal-summary")
        self.timing = classed(w.HTML(), "arms-cal-timing")
        self.problems = classed(w.HTML(), "arms-cal-problems")
        d, safe = self.dash, self.safe
        from arms_training.plots.calibration import agencies_figure, drift_figure

        self.views: list[View] = [
            AssessorsView(d, safe, on_settings=lambda: self.refresh()),
            FactorsView(d, safe),
            ReliabilityView(d, safe),
            TableFigureView(
                "agencies",
                d,
                safe,
                agencies_figure,
                intro=(
                    "Police against probation, factor by factor: each agency's mean difference from "
                    "the key (per assessor, then averaged) and police minus probation with a Welch "
                    "confidence interval."
                ),
            ),
            TableFigureView(
                "drift",
                d,
                safe,
                drift_figure,
                sort="month",
                intro=("Agreement with the key and bias, month by month (by submission date, UTC)."),
            ),
            PlansView(d, safe),
        ]
        self.export_button = button(
            "Prepare exports", "arms-cal-export", icon="download", button_style="primary"
        )
        self.downloads = classed(w.HTML(), "arms-cal-downloads")
        export = classed(
            w.VBox(
                [
                    w.HTML(
                        "<p>Every table as CSV (as <code>arms-training calibrate</code> writes "
                        "them) and in one XLSX workbook, and an HTML calibration report with the "
                        "figures, for the quality-assurance record. Exports cover the current "
                        "filters and thresholds, reliability included.</p>"
                    ),
                    self.export_button,
                    self.downloads,
                ]
            ),
            "arms-cal-view",
            "arms-cal-view-export",
        )
        self.tabs = classed(
            w.Tab(children=[v.widget for v in self.views] + [export], titles=TABS), "arms-cal-tabs"
        )
        self.widget = classed(
            w.VBox(
                [
                    w.HTML(CSS + CAL_CSS),
                    w.HTML("<h2>ARMS calibration dashboard</h2>"),
                    self.messages.widget,
                    source,
                    filters,
                    self.summary,
                    self.timing,
                    self.problems,
                    self.tabs,
                ]
            ),
            "arms-app",
            "arms-cal-app",
        )

    def _wire(self) -> None:
        self.load_button.on_click(lambda _b: self.safe(self.load_store)())
        self.path_button.on_click(lambda _b: self.safe(self.import_path)())
        self.clear_button.on_click(lambda _b: self.safe(self.clear)())
        self.upload.observe(lambda c: self.safe(self.import_uploads)(c["new"]), names="value")
        for widget in (self.since, self.until, *self.selects.values()):
            widget.observe(lambda _c: None if self._quiet else self.safe(self.apply_filters)(), names="value")
        self.clear_filters.on_click(lambda _b: self.safe(self.reset_filters)())
        self.tabs.observe(lambda _c: self.safe(self.refresh)(), names="selected_index")
        self.export_button.on_click(lambda _b: self.safe(self.export)())

    # -- loading -----------------------------------------------------------------------------
    def _progress(self, fraction: float, label: str) -> None:
        self.progress.value = max(0.0, min(1.0, fraction))
        self.progress.bar_style = "info"
        self.progress_label.value = f"<small>{esc(label)}...</small>"

    def load_store(self) -> None:
        self._loaded([self.dash.load_store(self.store, progress=self._progress)])

    def import_path(self) -> None:
        path = self.path.value.strip()
        if not path:
            self.messages.show("Give the path of an export on this server first.", "warning")
            return
        self._loaded([self.dash.import_path(path, progress=self._progress)])

    def import_uploads(self, files: Any) -> None:
        if not files:
            return
        reports = []
        try:
            for f in files:
                reports.append(
                    self.dash.import_bytes(bytes(f["content"]), f["name"], progress=self._progress)
                )
        finally:
            self._loaded(reports)
            self._quiet, self.upload.value = True, ()
            self._quiet = False

    def clear(self) -> None:
        self.dash.clear()
        self._after_load()
        self.messages.show("The loaded responses were cleared.", "info")

    def _loaded(self, reports: list[ImportReport]) -> None:
        self.progress.value = 1.0
        self.progress_label.value = ""
        if not reports:
            return
        kind: Kind = "warning" if any(r.n_bad for r in reports) else "success"
        if not any(r.n_new for r in reports) and not self.dash.n_loaded:
            kind = "warning"
        self.messages.show(
            " ".join(r.message() for r in reports),
            kind,
            items=problem_groups(p for r in reports for p in r.problems),
        )
        self._after_load()

    def _after_load(self) -> None:
        options = self.dash.options()
        self._quiet = True
        try:
            for name, box in self.selects.items():
                keep = [v for v in box.value if v in dict(options[name]).values()]
                box.options = options[name]
                box.value = tuple(keep)
        finally:
            self._quiet = False
        groups = problem_groups(self.dash.problems)
        self.problems.value = (
            ""
            if not groups
            else (
                f"<details><summary>{len(groups)} kinds of problem: records not read or not "
                "scored (they are left out of every figure)</summary><ul>"
                + "".join(f"<li>{esc(g)}</li>" for g in groups)
                + "</ul></details>"
            )
        )
        self.apply_filters()

    # -- filters and refresh -----------------------------------------------------------------
    def apply_filters(self) -> None:
        self.dash.set_state(
            since=self.since.value,
            until=self.until.value,
            **{n: tuple(box.value) for n, box in self.selects.items()},
        )
        self.refresh()

    def reset_filters(self) -> None:
        self._quiet = True
        try:
            self.since.value = self.until.value = None
            for box in self.selects.values():
                box.value = ()
        finally:
            self._quiet = False
        self.apply_filters()

    def refresh(self) -> None:
        """Redraw the summary and the visible tab for the current filters and thresholds."""
        t0 = time.perf_counter()
        self._summary()
        index = self.tabs.selected_index or 0
        if index < len(self.views) and self.dash.n_loaded:
            self.views[index].refresh()
        self.last_refresh = time.perf_counter() - t0
        self.timing.value = f"<small>Updated in {self.last_refresh:.2f} s.</small>"

    def _summary(self) -> None:
        s = self.dash.summary()
        if not s["loaded"]:
            self.summary.value = (
                "<p>No responses loaded yet: load them from the training database or import an export.</p>"
            )
            return
        st = self.dash.state
        since, until = st.since, st.until
        if since and until and since > until:
            self.messages.show("The 'From' date is after the 'To' date: nothing can match.", "warning")
        elif not s["matching"]:
            self.messages.show(
                "No response matches these filters: widen the dates or clear a filter.", "warning"
            )
        self.summary.value = (
            f"<p><b>{s['matching']}</b> of {s['scored']} scored responses match the filters: "
            f"<b>{s['assessors']}</b> assessors, <b>{s['flagged']}</b> flagged. "
            f"<small>({s['loaded']} loaded, {s['not_scored']} not scored, {s['unreadable']} "
            f"unreadable, {s['duplicates']} duplicates skipped.)</small></p>"
        )

    # -- export ------------------------------------------------------------------------------
    def described(self) -> list[str]:
        st = self.dash.state
        chosen = [f"{label.lower()} {', '.join(getattr(st, n))}" for n, label in FILTERS if getattr(st, n)]
        if st.since or st.until:
            chosen.insert(0, f"submitted {st.since or '...'} to {st.until or '...'}")
        s = self.dash.summary()
        sources = "; ".join(r.message() for r in self.dash.reports) or "none"
        return [
            f"Sources: {sources}",
            f"Filters: {'; '.join(chosen) or 'none'}",
            f"{s['matching']} responses in the filters from {s['assessors']} assessors "
            f"({s['flagged']} flagged); {s['not_scored'] + s['unreadable']} records not "
            "scored (listed at the end).",
        ]

    def export(self) -> None:
        if not self.dash.n_loaded:
            self.messages.show("Load responses before exporting.", "warning")
            return
        self._progress(0.0, "reliability")
        d = self.dash
        result = d.result(progress=self._progress, summaries=True)
        bundle = CalibrationBundle.of(result, described=self.described())
        # Staff exports of personal data go in the audit log (arms-training audit reads it).
        self.store.record_action("export", actor="calibration dashboard", details={"responses": d.n_loaded})
        self._progress(0.5, "figures and the report")
        page = bundle.report()
        self._progress(0.8, "the XLSX workbook")
        stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M")
        links = [
            download_link_html(
                page.encode("utf-8"),
                f"arms-calibration-{stamp}.html",
                "text/html;charset=utf-8",
                "HTML report",
                css="arms-cal-download-html",
            ),
            download_link_html(
                bundle.workbook(),
                f"arms-calibration-{stamp}.xlsx",
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                "All tables (XLSX)",
                css="arms-cal-download-xlsx",
            ),
        ]
        links += [
            download_link_html(
                data,
                f"arms-calibration-{stamp}-{n}.csv",
                "text/csv;charset=utf-8",
                f"{n}.csv",
                css=f"arms-cal-download-csv-{n}",
            )
            for n, data in bundle.csv_files().items()
        ]
        self.downloads.value = (
            f"<p>Prepared {esc(stamp)} from {len(d.subset())} responses.</p>" + " &middot; ".join(links)
        )
        self.progress.value, self.progress_label.value = 1.0, ""
