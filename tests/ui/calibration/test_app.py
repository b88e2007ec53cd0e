"""Does the calibration dashboard build with no request, load, filter, sort, drill down and
export from its widgets, escape what trainees typed, and meet bad input with a message?

Plain pytest: set ``.value``, click, read widget state.
"""

from __future__ import annotations

import base64
import csv
import html
import io
import json
import re
import uuid
from datetime import UTC, date, datetime

import ipywidgets as w
import nbformat
import pytest
from openpyxl import load_workbook

from arms_training.calibration.dashboard import Dashboard, DashboardState
from arms_training.calibration.demo_data import write_demo
from arms_training.calibration.settings import CalibrationSettings
from arms_training.content import load_library
from arms_training.framework import framework_by_id
from arms_training.responses import Response
from arms_training.scoring.rules import score
from arms_training.store import Store
from arms_training.ui.calibration import views as calibration_views
from arms_training.ui.calibration.app import CalibrationApp
from tests.factories import REPO

LIB = load_library()
FW = framework_by_id("arms-2018")
XSS = "<img src=x onerror=alert(1)>"
FORMULA = '=HYPERLINK("http://evil.example","click")'


@pytest.fixture(autouse=True)
def fresh_widgets():
    w.Widget.close_all()
    yield
    w.Widget.close_all()


@pytest.fixture(scope="module")
def demo_path(tmp_path_factory):
    path = tmp_path_factory.mktemp("cal") / "demo.jsonl"
    manifest = write_demo(path, 40, 8, seed=0, library=LIB)
    return path, {a["id"] for a in manifest["assessors"] if a["tendency"] != "accurate"}


def app_with(path=None, **kw) -> CalibrationApp:
    app = CalibrationApp(
        dashboard=Dashboard(LIB, state=DashboardState(settings=CalibrationSettings(n_boot=60))), **kw
    )
    if path is not None:
        app.path.value = str(path)
        app.path_button.click()
    return app


def page_text(widget) -> str:
    return html.unescape(re.sub(r"<[^>]+>", " ", widget.value))


def data_uri(downloads: str, css: str) -> bytes:
    match = re.search(
        rf'class="{re.escape(css)}"[^>]*href="data:[^;]+(?:;charset=[^;]+)?;'
        r'base64,([^"]+)"',
        downloads,
    )
    assert match, css
    return base64.b64decode(match.group(1))


def test_the_notebook_is_three_lines_and_builds_with_no_request(monkeypatch, tmp_path):
    """No query string, no store access until asked: the page opens empty."""
    monkeypatch.setenv("ARMS_TRAINING_DATA", str(tmp_path))
    monkeypatch.delenv("QUERY_STRING", raising=False)
    nb = nbformat.read(REPO / "notebooks" / "staff" / "calibration.ipynb", as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert len(code) == 1 and len(code[0].source.splitlines()) <= 4
    assert all(not c.get("outputs") for c in code)
    app = CalibrationApp.from_environment({})
    assert "No responses loaded yet" in app.summary.value
    assert not list(tmp_path.iterdir())  # the store was not opened
    assert "arms-cal-app" in app.widget._dom_classes


def test_load_filter_sort_and_flag(demo_path):
    path, bad = demo_path
    app = app_with(path)
    assert "320 new" in app.messages.text
    view = app.views[0]
    flagged = {r for r in view.table.frame.loc[view.table.frame["flagged"], "trainee_id"]}
    assert flagged == bad
    assert f"<b>{len(bad)}</b> flagged" in app.summary.value
    assert "Updated in" in app.timing.value and bytes(view.image.value).startswith(b"\x89PNG")
    # default order: flagged first
    first_page = view.table.rows
    assert first_page["flagged"].iloc[0] and len(first_page) == 25
    view.table.sort_by.value = "exact_agreement"
    view.table.ascending.value = True
    assert list(view.table.rows["exact_agreement"]) == sorted(view.table.rows["exact_agreement"])
    view.table.ascending.value = False
    assert view.table.rows["exact_agreement"].is_monotonic_decreasing
    view.table.next.click()
    assert "page 2 of 2" in view.table.label.value and len(view.table.rows) == 15
    # filter: police only
    app.selects["agency"].value = ("police",)
    assert set(view.table.frame["agency"]) == {"police"}
    assert view.table.sort_by.value == "exact_agreement"  # the sort choice survives a filter
    app.clear_filters.click()
    assert len(view.table.frame) == 40
    view.flagged_only.value = True
    assert set(view.table.frame["trainee_id"]) == bad


def test_thresholds_change_the_flags(demo_path):
    app = app_with(demo_path[0])
    view = app.views[0]
    before = int(view.table.frame["flagged"].sum())
    view.thresholds["exact_agreement_min"].value = 0.95
    assert app.dash.state.settings.exact_agreement_min == 0.95
    assert int(view.table.frame["flagged"].sum()) > before
    assert "flagged" in app.summary.value
    view.thresholds["protective_bias_min"].value = 0.5  # not allowed: > 0
    assert "protective_bias_min" in app.messages.text
    view.reset()
    assert int(view.table.frame["flagged"].sum()) == before


def test_drill_down_into_an_assessor(demo_path):
    path, bad = demo_path
    app = app_with(path)
    view = app.views[0]
    trainee = sorted(bad)[0]
    view.typed.value = trainee
    view.show(trainee)
    summary, fig, responses, _, feedback = view.detail.children
    assert "Flagged" in summary.value and bytes(fig.value).startswith(b"\x89PNG")
    assert responses.value.count("<tr>") == 8 + 1
    assert feedback.value.count('class="arms-cal-feedback-item"') == 8
    assert "Expert consensus" in feedback.value and "Your score" in feedback.value
    # picking from the dropdown (the assessors on the table's page) shows another one
    other = [v for _, v in view.pick.options if v != trainee][0]
    view.pick.value = other
    assert other in view.detail.children[0].value
    view.show("nobody-by-that-id")
    assert "No responses from" in view.detail.children[0].value


def test_every_tab_draws_and_reliability_waits_for_a_large_cohort(demo_path, monkeypatch):
    app = app_with(demo_path[0])
    for i, view in enumerate(app.views):
        app.tabs.selected_index = i
        assert view.drawn_for == view.key(), view.name
        assert view.table.html.value, view.name
    rel = app.views[2]
    assert "gwet_ac1" in rel.table.html.value and "icc(2,1)" in rel.table.html.value
    assert "Koo &amp; Li" in rel.bands.value
    assert "cohort" in rel.scope.options
    rel.scope.value = "v01-new-partner"
    assert bytes(rel.image.value).startswith(b"\x89PNG")
    monkeypatch.setattr(calibration_views, "AUTO_RELIABILITY", 10)
    app.tabs.selected_index = 0
    app.selects["agency"].value = ("probation",)
    app.tabs.selected_index = 2
    assert "press" in rel.status.value and rel.table.frame.empty
    rel.n_boot.value = 50
    rel.compute.click()
    assert not rel.table.frame.empty and rel.progress.value == 1.0
    assert app.dash.state.settings.n_boot == 50


def test_export_gives_csv_xlsx_and_html_that_open(demo_path):
    app = app_with(demo_path[0])
    app.tabs.selected_index = 6
    app.export_button.click()
    links = app.downloads.value
    for name in (
        "assessors",
        "factors",
        "reliability",
        "agencies",
        "drift",
        "plans",
        "factor_summary",
        "plan_findings",
        "bad_records",
    ):
        rows = list(
            csv.reader(io.StringIO(data_uri(links, f"arms-cal-download-csv-{name}").decode("utf-8-sig")))
        )
        assert rows and rows[0], name
    book = load_workbook(io.BytesIO(data_uri(links, "arms-cal-download-xlsx")))
    assert {"assessors", "reliability", "plans", "factor_summary"} <= set(book.sheetnames)
    assert book["assessors"].max_row == 41
    page = data_uri(links, "arms-cal-download-html").decode()
    assert page.startswith("<!doctype html>") and page.count("data:image/png;base64,") >= 5
    assert "Assessors flagged (18 of 40)" in page


def test_trainee_text_is_escaped_and_formula_guarded(demo_path, tmp_path):
    path, _ = demo_path
    records = [json.loads(x) for x in path.read_text().splitlines()[:8]]
    for r in records:
        r["trainee"]["id"] = XSS
        r["trainee"]["area"] = FORMULA
        r["response_id"] = str(uuid.uuid4())
    hostile = tmp_path / "hostile.jsonl"
    hostile.write_text("\n".join(json.dumps(r) for r in records))
    app = app_with(path)
    app.path.value = str(hostile)
    app.path_button.click()
    view = app.views[0]
    view.show(XSS)
    everything = view.table.html.value + "".join(
        c.value for c in view.detail.children if isinstance(c, w.HTML)
    )
    assert XSS not in everything and html.escape(XSS) in everything
    view.thresholds["exact_agreement_min"].value = 1.0  # everyone flagged: all in the report
    app.export()
    rows = list(
        csv.DictReader(
            io.StringIO(data_uri(app.downloads.value, "arms-cal-download-csv-assessors").decode("utf-8-sig"))
        )
    )
    areas = [r["area"] for r in rows if r["trainee_id"] == XSS]
    assert areas == ["'" + FORMULA]
    book = load_workbook(io.BytesIO(data_uri(app.downloads.value, "arms-cal-download-xlsx")))
    cells = [c.value for row in book["assessors"].iter_rows() for c in row]
    assert "'" + FORMULA in cells and FORMULA not in cells
    page = data_uri(app.downloads.value, "arms-cal-download-html").decode()
    assert XSS not in page and html.escape(XSS) in page


def upload(name: str, content: bytes) -> dict:
    """One file as ipywidgets' FileUpload holds it after the browser sent it."""
    return {
        "name": name,
        "type": "",
        "size": len(content),
        "content": memoryview(content),
        "last_modified": datetime(2025, 1, 1, tzinfo=UTC),
    }


def test_bad_input_is_a_message_not_a_crash(demo_path, tmp_path):
    app = app_with()
    app.path_button.click()
    assert "Give the path" in app.messages.text
    app.path.value = str(tmp_path / "missing.jsonl")
    app.path_button.click()
    assert "no such file or folder" in app.messages.text
    app.upload.value = (upload("scores.xlsx", b"PK\x03\x04rest"),)
    assert "Excel workbook" in app.messages.text and app.dash.n_loaded == 0
    assert app.upload.value == ()
    good = demo_path[0].read_text().splitlines()[0]
    app.upload.value = (upload("one.jsonl", good.encode()),)
    assert "1 new" in app.messages.text and app.dash.n_loaded == 1
    note = app.views[0].table.frame["note"].iloc[0]
    assert "not assessed" in note
    app.tabs.selected_index = 2
    assert "fewer than 2 raters" in page_text(app.views[2].table.html)
    app.tabs.selected_index = 0
    app.selects["agency"].value = ()
    app.since.value = date(2031, 1, 1)
    assert "No response matches these filters" in app.messages.text
    assert "Nothing to show" in app.views[0].table.html.value
    app.clear_button.click()
    assert app.dash.n_loaded == 0 and "No responses loaded yet" in app.summary.value


def test_load_from_the_training_database(demo_path, tmp_path):
    records = demo_path[0].read_text().splitlines()[:6]
    url = f"sqlite:///{tmp_path}/arms.sqlite"
    with Store(url) as store:
        for rec in records:
            r = Response.model_validate_json(rec)
            store.submit(
                r,
                score=score(r, LIB.keys[r.vignette_id], FW).to_dict(),
                key_version=r.key_version,
                framework_version=FW.version,
            )
    app = app_with(store=lambda: Store(url))
    app.load_button.click()
    assert "training database: 6 records read, 6 new" in app.messages.text
    app.load_button.click()  # a second load picks up only what is new
    assert "0 new; 6 duplicates skipped" in app.messages.text and app.dash.n_loaded == 6


def test_an_unreadable_database_is_a_message(tmp_path):
    (tmp_path / "not-a-db.sqlite").write_text("this is not sqlite")
    app = app_with(store=lambda: Store(f"sqlite:///{tmp_path}/not-a-db.sqlite"))
    app.load_button.click()
    assert "could not be read" in app.messages.text or "database" in app.messages.text.lower()
