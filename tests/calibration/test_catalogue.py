"""Is a calibration table one record? Does a table registered in a test, and nothing else, reach
``tables()``, the dashboard's views, the command line's CSV files, the workbook, the HTML report
and the dashboard's downloads; and does the registry refuse a record it could not export?"""

from __future__ import annotations

import base64
import csv
import io
import re
from collections.abc import Iterator

import ipywidgets as w
import pandas as pd
import pytest
from openpyxl import load_workbook

from arms_training.calibration import catalogue
from arms_training.calibration.catalogue import BAD_RECORDS, Table, TableInputs, register, unregister
from arms_training.calibration.dashboard import VIEW_NAMES, Dashboard, DashboardState
from arms_training.calibration.demo_data import write_demo
from arms_training.calibration.reliability import with_bands
from arms_training.calibration.result import TABLE_NAMES, CalibrationSettings, Filters, tables
from arms_training.cli import main
from arms_training.content import load_library
from arms_training.io.frames import load_frames
from arms_training.reports.calibration import EXPORT_NAMES
from arms_training.reports.calibration_bundle import COMMAND_LINE_CSVS, SUMMARY_NAMES, CalibrationBundle
from arms_training.ui.calibration.app import CalibrationApp

LIB = load_library()
FAST = CalibrationSettings(n_boot=20)
BUILT_IN = (
    "assessors",
    "factors",
    "reliability",
    "agencies",
    "drift",
    "plans",
    "factor_summary",
    "plan_findings",
)
CSV_TABLES = ("assessors", "factors", "reliability", "agencies", "drift", "plans")


def _areas(t: TableInputs) -> pd.DataFrame:
    """Exact agreement with the key pooled per area: a table the package does not have."""
    g = t.scored.groupby("area", sort=True)
    sums = g[["n_exact", "n_factors"]].sum()
    return pd.DataFrame(
        {
            "area": sums.index.to_numpy(),
            "n": g.size().to_numpy(),
            "assessors": g["trainee_id"].nunique().to_numpy(),
            "exact_agreement": (sums["n_exact"] / sums["n_factors"]).to_numpy(),
        }
    )


def _slowest(t: TableInputs) -> pd.DataFrame:
    """The lowest totals: a summary (no CSV of its own) computed only on request."""
    if t.progress is not None:
        t.progress(0.5, "test_slowest")
    low = t.scored.nsmallest(3, "total", keep="first")
    return low[["trainee_id", "vignette_id", "total"]].reset_index(drop=True)


@pytest.fixture
def two_more() -> Iterator[tuple[Table, Table]]:
    """Two tables the package does not have, registered for one test: the recipe of
    docs/extending.md ("add a calibration table"), followed with nothing else edited."""
    areas = register(Table("test_areas", "Agreement by area", _areas))
    slowest = register(
        Table("test_slowest", "Lowest totals", _slowest, csv=False, on_request=True, report=False)
    )
    yield areas, slowest
    unregister("test_areas")
    unregister("test_slowest")


@pytest.fixture(scope="module")
def source(tmp_path_factory):
    path = tmp_path_factory.mktemp("catalogue") / "demo.jsonl"
    write_demo(path, 12, 4, seed=5, library=LIB)
    return path


def _sheets(data: bytes) -> dict[str, list[list]]:
    book = load_workbook(io.BytesIO(data))
    return {ws.title: [list(row) for row in ws.iter_rows(values_only=True)] for ws in book}


def _csv_rows(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


# ----------------------------------------------------------------------------- the records


def test_the_built_in_tables_in_export_order_with_their_flags():
    assert catalogue.names() == BUILT_IN
    assert catalogue.names(csv=True) == CSV_TABLES
    assert catalogue.names(csv=False) == ("factor_summary", "plan_findings")
    assert [r.name for r in catalogue.records() if r.on_request] == ["reliability"]
    assert [r.name for r in catalogue.records() if not r.report] == ["factors"]
    assert catalogue.table("reliability").annotate is with_bands
    assert catalogue.title("agencies") == "Police and probation"
    assert catalogue.title(BAD_RECORDS) == "Records not scored"
    # The constants other modules export are the registry's.
    assert TABLE_NAMES == CSV_TABLES and VIEW_NAMES == BUILT_IN
    assert list(EXPORT_NAMES) == [*BUILT_IN, BAD_RECORDS]
    assert list(COMMAND_LINE_CSVS) == [*CSV_TABLES, BAD_RECORDS] and SUMMARY_NAMES == BUILT_IN[6:]


@pytest.mark.parametrize(
    ("changes", "says"),
    [
        (dict(name="Areas"), "lower case"),
        (dict(name="by area"), "lower case"),
        (dict(name="1st"), "starting with a letter"),
        (dict(name=""), "not valid"),
        (dict(name="a" * 32), "at most 31"),  # a workbook sheet name; a longer one would be cut
        (dict(name=BAD_RECORDS), "carries it last"),
        (dict(title="  "), "heading is required"),
        (dict(build="test_areas"), "not callable"),
        (dict(annotate=3), "not callable"),
        (dict(csv="yes"), "csv='yes'"),
        (dict(on_request=1), "on_request=1"),
    ],
)
def test_a_record_that_could_not_be_exported_is_refused_when_built(changes, says):
    fields = dict(name="test_areas", title="Agreement by area", build=_areas) | changes
    with pytest.raises(ValueError, match=re.escape(says)):
        Table(**fields)


def test_register_refuses_a_name_or_title_taken_and_what_is_not_a_table():
    with pytest.raises(ValueError, match="'assessors' is already registered"):
        register(Table("assessors", "Assessors again", _areas))
    with pytest.raises(ValueError, match="title 'reliability' is already 'reliability''s title"):
        register(Table("reliability_again", "reliability", _areas))
    with pytest.raises(TypeError, match="needs a Table, got dict"):
        register({"name": "test_areas"})  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="'test_areas' is not valid; allowed: assessors, factors"):
        catalogue.table("test_areas")
    with pytest.raises(ValueError, match="not valid"):
        unregister("test_areas")
    assert catalogue.names() == BUILT_IN  # nothing refused was kept


def test_the_reliability_annotation_can_be_applied_twice(source):
    """The bundle annotates every table for the report, the dashboard's views already
    annotated included: twice must be once."""
    rel = tables(load_frames(source)[0], LIB, settings=FAST).reliability
    once = with_bands(rel)
    pd.testing.assert_frame_equal(with_bands(once), once)
    assert list(once.columns) == [*rel.columns, "ci_interpretation", "bands"]


# ---------------------------------------------------------- a new table, nothing else edited


def test_a_registered_table_reaches_every_view_and_export(two_more, source, tmp_path):
    frames = load_frames(source)[0]
    police = Filters(agency="police")

    # tables(): built in registration order after the built-in CSV tables, summaries on request.
    plain = tables(frames, LIB, settings=FAST, filters=police)
    assert list(plain.tables) == [*CSV_TABLES, "test_areas"]
    scores = plain.scores
    by_area = scores.groupby("area")
    want = pd.DataFrame(
        {
            "area": sorted(scores["area"].unique()),
            "n": by_area.size().to_numpy(),
            "assessors": by_area["trainee_id"].nunique().to_numpy(),
            "exact_agreement": (by_area["n_exact"].sum() / by_area["n_factors"].sum()).to_numpy(),
        }
    )
    pd.testing.assert_frame_equal(plain.table("test_areas"), want)
    assert plain.n_scored == len(scores) == want["n"].sum()
    with pytest.raises(ValueError, match="'test_slowest' was not built: tables\\(..., summaries=True\\)"):
        plain.table("test_slowest")
    full = tables(frames, LIB, settings=FAST, filters=police, summaries=True)
    assert list(full.tables) == [*BUILT_IN, "test_areas", "test_slowest"]
    assert list(full.table("test_slowest")["total"]) == sorted(scores["total"])[:3]

    # The dashboard: a view like the others, the same numbers for the same filter; the slow one
    # waits to be asked, and reports its progress when it is.
    d = Dashboard(LIB, state=DashboardState(settings=FAST, agency=("police",)))
    d.import_path(source)
    assert "test_areas" in VIEW_NAMES and "test_slowest" in VIEW_NAMES
    pd.testing.assert_frame_equal(d.view("test_areas"), plain.table("test_areas"))
    assert d.on_request("test_slowest") and d.on_request("reliability") and not d.on_request("test_areas")
    said: list[str] = []
    pd.testing.assert_frame_equal(
        d.view("test_slowest", progress=lambda f, s: said.append(s)), full.table("test_slowest")
    )
    assert said == ["test_slowest"] and not d.on_request("test_slowest")

    # The command line: test_areas.csv beside the others (not the summary), a sheet for each, and the
    # report's section titled by the record, before the records not scored.
    out = tmp_path / "cli"
    argv = ["calibrate", str(source), "--out", str(out / "tables"), "--agency", "police"]
    argv += ["--xlsx", str(out / "cal.xlsx"), "--report", str(out / "cal.html"), "--n-boot", "20"]
    assert main(argv) == 0
    written = sorted(p.name for p in (out / "tables").iterdir())
    assert written == sorted(f"{n}.csv" for n in [*CSV_TABLES, "test_areas", BAD_RECORDS])
    assert list(COMMAND_LINE_CSVS) == [*CSV_TABLES, "test_areas", BAD_RECORDS]
    rows = _csv_rows((out / "tables" / "test_areas.csv").read_bytes())
    assert rows[0] == list(want.columns) and [r[0] for r in rows[1:]] == list(want["area"])
    sheets = _sheets((out / "cal.xlsx").read_bytes())
    assert list(sheets) == [*BUILT_IN, "test_areas", "test_slowest", BAD_RECORDS]
    assert sheets["test_areas"][0] == list(want.columns)
    assert [r[1] for r in sheets["test_areas"][1:]] == list(want["n"])
    page = (out / "cal.html").read_text(encoding="utf-8")
    section = re.search(r"<section><h2>Agreement by area</h2>(.*?)</section>", page)
    assert section and all(f"<td>{area}</td>" in section.group(1) for area in want["area"])
    assert page.index("<h2>Agreement by area</h2>") < page.index("<h2>Records not scored</h2>")
    assert page.index("<h2>Risk management plans</h2>") < page.index("<h2>Agreement by area</h2>")
    assert "Lowest totals" not in page  # report=False

    # The bundle the dashboard's Export tab offers: the same file, with a byte-order mark.
    bundle = CalibrationBundle.of(d.result(summaries=True))
    assert list(bundle.tables) == [*BUILT_IN, "test_areas", "test_slowest", BAD_RECORDS]
    assert bundle.csv("test_areas") == b"\xef\xbb\xbf" + (out / "tables" / "test_areas.csv").read_bytes()
    assert "<h2>Agreement by area</h2>" in bundle.report(figures={})


def test_the_dashboards_export_tab_offers_a_registered_table(two_more, source):
    w.Widget.close_all()
    app = CalibrationApp(dashboard=Dashboard(LIB, state=DashboardState(settings=FAST)))
    app.path.value = str(source)
    app.path_button.click()
    app.tabs.selected_index = len(app.views)
    app.export_button.click()
    links = app.downloads.value
    for name in ("test_areas", "test_slowest"):
        match = re.search(
            rf'class="arms-cal-download-csv-{name}"[^>]*href="data:[^;]+;charset=[^;]+;base64,([^"]+)"', links
        )
        assert match, name
        assert _csv_rows(base64.b64decode(match.group(1)))[1:], name
    w.Widget.close_all()


def test_unregistering_takes_the_table_out_of_everything(source):
    register(Table("test_areas", "Agreement by area", _areas))
    try:
        assert "test_areas" in TABLE_NAMES and "test_areas" in EXPORT_NAMES
    finally:
        unregister("test_areas")
    assert TABLE_NAMES == CSV_TABLES and list(EXPORT_NAMES) == [*BUILT_IN, BAD_RECORDS]
    result = tables(load_frames(source)[0], LIB, settings=FAST)
    assert list(result.tables) == list(CSV_TABLES)
    with pytest.raises(ValueError, match="'test_areas' is not valid"):
        result.table("test_areas")
