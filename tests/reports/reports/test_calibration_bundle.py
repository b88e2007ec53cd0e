"""Are the command line's files and the dashboard's downloads one export bundle? For the same
data and filters: the same CSV bytes, the same workbook sheets and cells, the same report apart
from when it was made and how each describes its source; and does a write that fails leave the
file that was there untouched?"""

from __future__ import annotations

import base64
import csv
import io
import json
import re
from datetime import date

import ipywidgets as w
import pytest
from openpyxl import load_workbook

from arms_training.calibration.dashboard import Dashboard, DashboardState
from arms_training.calibration.demo_data import write_demo
from arms_training.calibration.result import TABLE_NAMES, CalibrationSettings, tables
from arms_training.cli import main
from arms_training.content import load_library
from arms_training.io.frames import load_frames
from arms_training.reports.calibration import EXPORT_NAMES
from arms_training.reports.calibration_bundle import COMMAND_LINE_CSVS, CalibrationBundle, write_tables
from arms_training.ui.calibration.app import CalibrationApp

LIB = load_library()
SETTINGS = CalibrationSettings(n_boot=60)
BOM = b"\xef\xbb\xbf"
# The dashboard's reliability view also reads each interval against the bands: two more columns.
BAND_COLUMNS = 2


@pytest.fixture(scope="module")
def source(tmp_path_factory):
    """Demo responses with a line cut short and a record that does not validate."""
    path = tmp_path_factory.mktemp("bundle") / "other-server.jsonl"
    write_demo(path, 16, 6, seed=2, library=LIB)
    lines = path.read_text(encoding="utf-8").splitlines()
    bad = json.loads(lines[5])
    bad["trainee"]["agency"] = "army"
    path.write_text(
        "\n".join([*lines[:3], lines[3][:50], *lines[4:], json.dumps(bad)]) + "\n", encoding="utf-8"
    )
    return path


@pytest.fixture(scope="module")
def cli(source, tmp_path_factory):
    """What ``calibrate`` writes for police responses from March 2025 on."""
    out = tmp_path_factory.mktemp("cli")
    argv = [
        "calibrate",
        str(source),
        "--out",
        str(out / "tables"),
        "--xlsx",
        str(out / "calibration.xlsx"),
        "--report",
        str(out / "calibration.html"),
        "--agency",
        "police",
        "--since",
        "2025-03-01",
        "--n-boot",
        str(SETTINGS.n_boot),
    ]
    assert main(argv) == 0
    return out


def _data_uri(downloads: str, css: str) -> bytes:
    match = re.search(
        rf'class="{re.escape(css)}"[^>]*href="data:[^;]+(?:;charset=[^;]+)?;base64,([^"]+)"', downloads
    )
    assert match, css
    return base64.b64decode(match.group(1))


@pytest.fixture(scope="module")
def downloads(source):
    """What the dashboard's Export tab offers for the same file and filters, set in its widgets."""
    w.Widget.close_all()
    app = CalibrationApp(dashboard=Dashboard(LIB, state=DashboardState(settings=SETTINGS)))
    app.path.value = str(source)
    app.path_button.click()
    app.selects["agency"].value = ("police",)
    app.since.value = date(2025, 3, 1)
    app.tabs.selected_index = len(app.views)
    app.export_button.click()
    assert app.dash.problems, "the bad lines were read"
    links = app.downloads.value
    names = [*EXPORT_NAMES]
    got = {n: _data_uri(links, f"arms-cal-download-csv-{n}") for n in names}
    got["xlsx"] = _data_uri(links, "arms-cal-download-xlsx")
    got["html"] = _data_uri(links, "arms-cal-download-html")
    w.Widget.close_all()
    return got


def _rows(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


def _sheets(data: bytes) -> dict[str, list[list]]:
    book = load_workbook(io.BytesIO(data))
    return {ws.title: [list(row) for row in ws.iter_rows(values_only=True)] for ws in book}


def test_the_csv_files_are_the_dashboards_downloads_byte_for_byte(cli, downloads):
    written = sorted(p.name for p in (cli / "tables").iterdir())
    assert written == sorted(f"{n}.csv" for n in COMMAND_LINE_CSVS)
    for name in COMMAND_LINE_CSVS:
        ours = (cli / "tables" / f"{name}.csv").read_bytes()
        if name == "reliability":
            assert [r[:-BAND_COLUMNS] for r in _rows(downloads[name])] == _rows(ours)
            continue
        assert downloads[name] == BOM + ours, name
    bad = _rows(downloads["bad_records"])
    assert len(bad) == 3 and "malformed JSON" in bad[1][2] and bad[2][1] == "trainee.agency"


def test_the_workbook_has_the_dashboards_sheets_and_cells(cli, downloads):
    ours, theirs = _sheets((cli / "calibration.xlsx").read_bytes()), _sheets(downloads["xlsx"])
    assert list(ours) == list(theirs) == list(EXPORT_NAMES)
    for name, rows in theirs.items():
        if name == "reliability":
            rows = [r[:-BAND_COLUMNS] for r in rows]
        assert ours[name] == rows, name
    assert len(ours["factor_summary"]) > 1 and len(ours["plan_findings"]) > 1


def _without_when_and_what(page: str) -> tuple[str, list[str]]:
    """The report with its time of making and its description of the source taken out."""
    described = re.search(r"<p>Generated [^<]+ by arms-training\.</p><ul>(.*?)</ul>", page)
    assert described
    page = page.replace(described.group(0), "<p>Generated</p>")
    page = re.sub(r"<title>ARMS calibration report [^<]+</title>", "<title></title>", page)
    return page, re.findall(r"<li>(.*?)</li>", described.group(1))


def test_the_report_is_the_dashboards_report(cli, downloads):
    ours, ours_said = _without_when_and_what((cli / "calibration.html").read_text(encoding="utf-8"))
    theirs, theirs_said = _without_when_and_what(downloads["html"].decode("utf-8"))
    assert ours == theirs
    assert (
        ours_said[0].startswith("Source: ")
        and ours_said[1] == "Filters: submitted 2025-03-01 to ...; agency police"
    )
    assert theirs_said[0].startswith("Sources: other-server.jsonl: ")
    assert (
        "Records not scored" in ours
        and "malformed JSON" in ours
        and ours.count("data:image/png;base64,") == 6
    )


def _frames(path):
    return load_frames(path)[0]


def test_the_bundle_takes_the_summaries_the_result_carries(source):
    frames = _frames(source)
    bundle = CalibrationBundle.of(tables(frames, LIB, settings=SETTINGS, summaries=True))
    assert list(bundle.tables) == list(EXPORT_NAMES)
    plain = CalibrationBundle.of(tables(frames, LIB, settings=SETTINGS))
    assert list(plain.tables) == [*TABLE_NAMES, "bad_records"]
    assert bundle.csv("assessors") == BOM + bundle.csv("assessors", bom=False)
    assert list(bundle.csv_files(["drift", "plans"])) == ["drift", "plans"]
    # The command line's reliability table gains the band columns for the report only.
    assert "bands" in bundle.report_tables()["reliability"] and "bands" not in bundle.tables["reliability"]


def test_a_write_that_fails_leaves_the_files_that_were_there(source, tmp_path, monkeypatch):
    result = tables(_frames(source), LIB, settings=SETTINGS)
    out = tmp_path / "tables"
    out.mkdir()
    for name in COMMAND_LINE_CSVS:
        (out / f"{name}.csv").write_bytes(b"an earlier run\n")
    calls = []

    def disk_full_on_the_third(fd):
        calls.append(fd)
        if len(calls) == 3:
            raise OSError(28, "No space left on device")

    monkeypatch.setattr("arms_training.io.files.os.fsync", disk_full_on_the_third)
    with pytest.raises(OSError, match="No space left"):
        write_tables(result, out)
    contents = {p.name: p.read_bytes() for p in out.iterdir()}
    assert sorted(contents) == sorted(f"{n}.csv" for n in COMMAND_LINE_CSVS)  # no temporary file
    bundle = CalibrationBundle.of(result)
    for i, name in enumerate(COMMAND_LINE_CSVS):
        want = bundle.csv(name, bom=False) if i < 2 else b"an earlier run\n"
        assert contents[f"{name}.csv"] == want, name
