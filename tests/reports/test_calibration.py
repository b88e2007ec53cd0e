"""Do the calibration exports open, match what ``arms-training calibrate`` writes, keep trainee
text inert (escaped in HTML, never a formula in a spreadsheet), and do the figures draw for
real and for empty views?"""

from __future__ import annotations

import base64
import csv
import io
import re
from html.parser import HTMLParser

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure
from openpyxl import load_workbook

from arms_training.calibration.dashboard import Dashboard, DashboardState
from arms_training.calibration.demo_data import generate
from arms_training.calibration.result import TABLE_NAMES, CalibrationSettings
from arms_training.content import load_library
from arms_training.plots import calibration as plots
from arms_training.reports.calibration import (
    EXPORT_NAMES,
    cell_html,
    csv_bytes,
    export_tables,
    frame_html,
    report_figures,
    report_html,
    table_csv,
    workbook_bytes,
)
from arms_training.reports.calibration_bundle import write_tables

LIB = load_library()
XSS = "<script>alert(1)</script>"
FORMULA = "=1+1"
PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def dash():
    responses, _ = generate(30, 8, seed=2, library=LIB)
    d = Dashboard(LIB, state=DashboardState(settings=CalibrationSettings(n_boot=60)))
    d.import_responses(responses, "demo")
    return d


@pytest.fixture(scope="module")
def exported(dash):
    return export_tables(
        dash.result(),
        {"factor_summary": dash.view("factor_summary"), "plan_findings": dash.view("plan_findings")},
    )


class _Checker(HTMLParser):
    """Counts tags and fails on an unbalanced table, section or details."""

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.tags: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        if tag in ("table", "section", "details", "tr", "ul"):
            self.stack.append(tag)

    def handle_endtag(self, tag):
        if tag in ("table", "section", "details", "tr", "ul"):
            assert self.stack and self.stack.pop() == tag, tag


def test_every_table_is_exported_in_order(exported):
    assert list(exported) == list(EXPORT_NAMES)


def test_csv_is_what_calibrate_writes_plus_a_byte_order_mark(dash, exported, tmp_path):
    write_tables(dash.result(), tmp_path)
    for name in TABLE_NAMES:
        if name == "reliability":
            continue  # the dashboard's has AC1, ICC and band columns besides
        assert csv_bytes(exported[name]) == b"\xef\xbb\xbf" + (tmp_path / f"{name}.csv").read_bytes()
    assert table_csv(exported["assessors"]).startswith("trainee_id,agency,area,n,")


def test_spreadsheet_cells_are_never_formulas():
    t = pd.DataFrame(
        {
            "who": [FORMULA, "-2+3", "@SUM(A1)", "plain\x07bell"],
            "value": [-0.5, np.nan, 1.0, 2.0],
            "flag": [True, False, True, False],
            "when": pd.to_datetime(["2025-01-01"] * 4, utc=True),
        }
    )
    rows = list(csv.reader(io.StringIO(csv_bytes(t).decode("utf-8-sig"))))
    assert [r[0] for r in rows[1:]] == ["'=1+1", "'-2+3", "'@SUM(A1)", "plain\x07bell"]
    assert rows[1][1] == "-0.5"
    book = load_workbook(io.BytesIO(workbook_bytes({"t": t})))
    ws = book["t"]
    assert [c.value for c in ws["A"]] == ["who", "'=1+1", "'-2+3", "'@SUM(A1)", "plainbell"]
    assert all(c.data_type != "f" for row in ws.iter_rows() for c in row)
    assert [c.value for c in ws["B"]] == ["value", -0.5, None, 1, 2]
    assert ws["C2"].value is True and ws["D2"].value.startswith("2025-01-01")
    assert ws.freeze_panes == "A2" and ws.auto_filter.ref == "A1:D5"


def test_the_workbook_opens_with_a_sheet_per_table(exported):
    book = load_workbook(io.BytesIO(workbook_bytes(exported)))
    assert book.sheetnames == list(EXPORT_NAMES)
    ws = book["assessors"]
    assert ws.max_row == len(exported["assessors"]) + 1
    header = [c.value for c in ws[1]]
    assert header == list(exported["assessors"].columns)


def test_html_cells_escape_and_mark_what_is_not_computable():
    assert cell_html("trainee_id", XSS) == "&lt;script&gt;alert(1)&lt;/script&gt;"
    assert "not computable" in cell_html("value", float("nan"))
    assert cell_html("exact_agreement", 0.625) == "62%"
    assert cell_html("risk_bias", 0.3) == "+0.30"
    assert cell_html("mean_total", 87.25) == "87.2"
    t = pd.DataFrame({"trainee_id": [XSS], "flagged": [True]})
    out = frame_html(t, row_class=lambda r: "arms-cal-flagged-row" if r["flagged"] else "")
    assert XSS not in out and 'class="arms-cal-flagged-row"' in out
    assert "No rows" in frame_html(t.iloc[0:0])


def test_the_report_holds_the_figures_and_every_flagged_assessor(dash, exported):
    figures = report_figures(exported, dash.state.settings)
    assert set(figures) == {
        "assessors",
        "factor_summary",
        "reliability",
        "agencies",
        "drift",
        "plan_findings",
    }
    assert all(png and png.startswith(PNG) for png in figures.values())
    page = report_html(
        exported,
        figures=figures,
        settings=dash.state.settings,
        described=[f"Sources: {XSS}"],
        problems=[f"1 record: {XSS}"],
    )
    checker = _Checker()
    checker.feed(page)
    assert not checker.stack
    assert XSS not in page and page.count("&lt;script&gt;") == 2
    images = re.findall(r'src="data:image/png;base64,([^"]+)"', page)
    assert len(images) == 6 and all(base64.b64decode(i).startswith(PNG) for i in images)
    flagged = exported["assessors"][exported["assessors"]["flagged"]]
    for trainee in flagged["trainee_id"]:
        assert trainee in page
    assert f"Assessors flagged ({len(flagged)} of {len(exported['assessors'])})" in page
    assert "Koo &amp; Li" in page and "Landis &amp; Koch" in page and "Krippendorff" in page


def test_the_report_of_an_empty_selection_says_so(dash):
    dash.state = DashboardState(settings=dash.state.settings, agency=("nobody",))
    try:
        tables = export_tables(
            dash.result(),
            {"factor_summary": dash.view("factor_summary"), "plan_findings": dash.view("plan_findings")},
        )
        page = report_html(tables, settings=dash.state.settings)
    finally:
        dash.state = DashboardState(settings=dash.state.settings)
    assert "No assessor is flagged" in page and "No agreement statistic" in page
    assert page.count("data:image/png;base64,") == 6  # figures that say there is no data


def test_every_figure_draws_for_data_and_for_nothing(dash):
    d = dash
    views = {
        n: d.view(n)
        for n in ("assessors", "factor_summary", "reliability", "agencies", "drift", "plan_findings")
    }
    detail = d.assessor_detail(views["assessors"]["trainee_id"].iloc[0])
    made = [
        plots.assessors_figure(views["assessors"], d.state.settings),
        plots.factors_figure(views["factor_summary"]),
        plots.reliability_figure(views["reliability"]),
        plots.reliability_figure(views["reliability"], "v01-new-partner"),
        plots.agencies_figure(views["agencies"]),
        plots.drift_figure(views["drift"]),
        plots.plans_figure(views["plan_findings"]),
        plots.assessor_figure(detail.responses, detail.trainee_id, cohort_mean=70.0),
    ]
    empty = [
        plots.assessors_figure(views["assessors"].iloc[0:0]),
        plots.factors_figure(views["factor_summary"].iloc[0:0]),
        plots.reliability_figure(views["reliability"].iloc[0:0]),
        plots.agencies_figure(views["agencies"].iloc[0:0]),
        plots.drift_figure(views["drift"].iloc[0:0]),
        plots.plans_figure(views["plan_findings"].iloc[0:0]),
        plots.assessor_figure(detail.responses.iloc[0:0], "x"),
    ]
    for fig in made + empty:
        assert isinstance(fig, Figure)
        assert plots.figure_png(fig).startswith(PNG)
