"""Can a quality lead use the calibration dashboard in a real browser on the token-protected
staff server: load responses (an export on the server, then the training database, merged
without duplicates), filter, drill into a flagged assessor's feedback, and download exports
that open?"""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import pytest
from openpyxl import load_workbook
from playwright.sync_api import Locator, Page, expect

from arms_training.calibration.dashboard import Dashboard, DashboardState
from arms_training.calibration.demo_data import write_demo
from arms_training.content import load_library
from arms_training.framework import framework_by_id
from arms_training.responses import Response
from arms_training.scoring.rules import score
from arms_training.store import DB_FILENAME, Store

from .pages import ACTION_TIMEOUT, PAGE_TIMEOUT
from .servers import RunningServer

pytestmark = pytest.mark.e2e

LOAD_TIMEOUT = 120_000  # importing and scoring 320 responses on a busy CI machine


class CalibrationPage:
    """The dashboard as a quality lead uses it; selectors are the app's ``arms-cal-*``
    classes, the DOM below them is ipywidgets'."""

    def __init__(self, page: Page, url: str) -> None:
        self.page, self.url = page, url

    def cls(self, name: str) -> Locator:
        return self.page.locator(f".jupyter-widgets.{name}")

    def open(self) -> CalibrationPage:
        self.page.goto(self.url)
        expect(self.cls("arms-cal-load-store")).to_be_enabled(timeout=PAGE_TIMEOUT)
        return self

    def message(self) -> Locator:
        return self.page.locator(".arms-cal-message .arms-msg")

    def import_path(self, path: Path) -> None:
        box = self.page.locator(".arms-cal-path input")
        box.fill(str(path))
        box.blur()
        self.cls("arms-cal-import-path").click()

    def tab(self, title: str) -> None:
        self.page.locator(".arms-cal-tabs .lm-TabBar-tab", has_text=title).click()

    def download(self, css: str) -> tuple[str, bytes]:
        with self.page.expect_download(timeout=ACTION_TIMEOUT) as info:
            self.page.locator(f"a.{css}").click()
        d = info.value
        return d.suggested_filename, Path(d.path()).read_bytes()


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> tuple[Path, set[str]]:
    path = tmp_path_factory.mktemp("calibration") / "other-server-export.jsonl"
    manifest = write_demo(path, 40, 8, seed=0, library=load_library())
    return path, {a["id"] for a in manifest["assessors"] if a["tendency"] != "accurate"}


def test_load_filter_drill_down_and_export(staff: RunningServer, page: Page, demo, results_dir: Path) -> None:
    path, bad = demo
    # This server's own database already holds ten of the exported responses.
    lib, fw = load_library(), framework_by_id("arms-2018")
    with Store(f"sqlite:///{staff.data_dir / DB_FILENAME}") as store:
        for line in path.read_text().splitlines()[:10]:
            r = Response.model_validate_json(line)
            store.submit(
                r,
                score=score(r, lib.keys[r.vignette_id], fw).to_dict(),
                key_version=r.key_version,
                framework_version=fw.version,
            )

    cal = CalibrationPage(page, staff.url("/voila/render/calibration.ipynb", token=True)).open()
    expect(cal.cls("arms-cal-summary")).to_contain_text("No responses loaded yet")

    cal.cls("arms-cal-load-store").click()
    expect(cal.message()).to_contain_text("10 records read, 10 new", timeout=LOAD_TIMEOUT)
    cal.import_path(path)
    expect(cal.message()).to_contain_text("310 new; 10 duplicates skipped", timeout=LOAD_TIMEOUT)
    summary = cal.cls("arms-cal-summary")
    expect(summary).to_contain_text(
        f"320 of 320 scored responses match the filters: 40 assessors, {len(bad)} flagged"
    )
    table = cal.page.locator(".arms-cal-table-assessors .arms-cal-table")
    expect(table.locator("tr.arms-cal-flagged-row")).to_have_count(len(bad))  # first page

    cal.page.locator(".arms-cal-agency select").select_option(label="police")
    expect(summary).to_contain_text("160 of 320 scored responses", timeout=ACTION_TIMEOUT)
    expect(table).not_to_contain_text("probation")
    picker = cal.page.locator(".arms-cal-assessor select")
    labels = picker.locator("option").all_inner_texts()  # ipywidgets shows spaces as nbsp
    index = next(i for i, text in enumerate(labels) if "(flagged)" in text)
    trainee = labels[index].split()[0]
    assert trainee in bad
    picker.select_option(index=index)
    detail = cal.cls("arms-cal-detail-summary")
    expect(detail).to_contain_text(trainee, timeout=ACTION_TIMEOUT)
    expect(detail).to_contain_text("Flagged:")
    items = cal.page.locator(".arms-cal-feedback .arms-cal-feedback-item")
    expect(items).to_have_count(8)
    items.first.locator("summary").first.click()
    expect(items.first).to_contain_text("Expert consensus")
    cal.cls("arms-cal-detail").screenshot(path=str(results_dir / "calibration-drill-down.png"))

    # Sort the assessors: least exact agreement first.
    d = Dashboard(lib, state=DashboardState(agency=("police",)))
    d.import_path(path)
    worst = d.view("assessors").sort_values("exact_agreement", kind="stable")["trainee_id"]
    view = cal.page.locator(".arms-cal-table-assessors")
    view.locator(".arms-cal-sort select").select_option(label="exact agreement")
    view.locator(".arms-cal-ascending input").check()
    expect(table.locator("tbody tr").first).to_contain_text(worst.iloc[0], timeout=ACTION_TIMEOUT)

    cal.tab("Export")
    cal.cls("arms-cal-export").click()
    expect(cal.page.locator("a.arms-cal-download-xlsx")).to_be_visible(timeout=LOAD_TIMEOUT)
    name, data = cal.download("arms-cal-download-csv-assessors")
    assert re.fullmatch(r"arms-calibration-\d{8}-\d{4}-assessors\.csv", name)
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    assert len(rows) == 20 and {r["agency"] for r in rows} == {"police"}
    assert {r["trainee_id"] for r in rows if r["flagged"] == "True"} == {r["trainee_id"] for r in rows} & bad
    name, data = cal.download("arms-cal-download-xlsx")
    book = load_workbook(io.BytesIO(data))
    assert book["assessors"].max_row == 21 and "reliability" in book.sheetnames
    name, data = cal.download("arms-cal-download-html")
    page_html = data.decode()
    assert name.endswith(".html") and "ARMS calibration report" in page_html
    assert "agency police" in page_html and page_html.count("data:image/png") >= 5
    assert json.dumps(trainee)[1:-1] in page_html
