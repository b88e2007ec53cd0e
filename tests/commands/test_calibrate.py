"""``arms-training calibrate``: are duplicate response ids scored once, do ``--xlsx`` and
``--report`` write safe, complete files (or fail clearly, leaving what was there), and does a
stored record that no longer validates become a listed bad record instead of a crash?"""

from __future__ import annotations

import csv
import html
import json
import os

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from arms_training.calibration.demo_data import generate
from arms_training.calibration.result import TABLE_NAMES
from arms_training.cli import main
from arms_training.content import load_library
from arms_training.scoring.rules import score_response

LIB = load_library()
EVIL_ID = '=HYPERLINK("http://x.example","click")'
EVIL_AREA = "+44 North"


def read_csv(path):
    with path.open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


@pytest.fixture(scope="module")
def demo():
    """Demo responses of 12 assessors (6 each); the first careless one's id and area look like
    spreadsheet formulas."""
    responses, assessors = generate(12, 6, seed=3, library=LIB)
    evil = next(a.id for a in assessors if a.tendency != "accurate")
    out = []
    for r in responses:
        if r.trainee.id == evil:
            r = r.model_copy(
                update={"trainee": r.trainee.model_copy(update={"id": EVIL_ID, "area": EVIL_AREA})}
            )
        out.append(r)
    return out


def write_jsonl(path, lines):
    path.write_text("".join(line.rstrip("\n") + "\n" for line in lines), encoding="utf-8")
    return path


# ------------------------------------------------------------------------------- duplicates


def test_a_duplicated_record_is_scored_once_and_reported(demo, tmp_path, capsys):
    lines = [r.to_json().replace("\n", "") for r in demo]
    once = write_jsonl(tmp_path / "once.jsonl", lines)
    # The second copy differs (as a re-export after an edit would): the first must win.
    second = json.loads(lines[4]) | {"ratings": {}, "priorities": []}
    twice = write_jsonl(tmp_path / "twice.jsonl", [*lines, json.dumps(second), lines[0]])
    capsys.readouterr()
    assert main(["calibrate", str(once), "--out", str(tmp_path / "a"), "--n-boot", "50"]) == 0
    capsys.readouterr()
    assert main(["calibrate", str(twice), "--out", str(tmp_path / "b"), "--n-boot", "50"]) == 0
    out = capsys.readouterr().out
    n = len(lines)
    assert f"{n + 2} responses read: {n} scored, 0 bad, 2 duplicates skipped, " in out
    assert str(demo[4].response_id) in out and str(demo[0].response_id) in out
    for name in TABLE_NAMES:
        assert (tmp_path / "a" / f"{name}.csv").read_bytes() == (
            tmp_path / "b" / f"{name}.csv"
        ).read_bytes(), name
    bad = read_csv(tmp_path / "b" / "bad_records.csv")
    assert [(r["record"], r["field"]) for r in bad] == [
        (f"response {demo[4].response_id} (copy 2)", "response_id"),
        (f"response {demo[0].response_id} (copy 2)", "response_id"),
    ]
    assert all("first copy is kept" in r["problem"] for r in bad)


# ------------------------------------------------------------------------- --xlsx, --report


@pytest.fixture(scope="module")
def exported(demo, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("exports")
    source = write_jsonl(tmp / "demo.jsonl", [r.to_json().replace("\n", "") for r in demo] + ["{not json"])
    assert (
        main(
            [
                "calibrate",
                str(source),
                "--out",
                str(tmp / "tables"),
                "--n-boot",
                "50",
                "--xlsx",
                str(tmp / "book" / "calibration.xlsx"),
                "--report",
                str(tmp / "calibration.html"),
            ]
        )
        == 0
    )
    return tmp


def test_the_workbook_holds_every_table_with_formula_text_kept_inert(exported):
    book = load_workbook(exported / "book" / "calibration.xlsx")
    # The dashboard's workbook: the six tables, its two summaries, the records not scored.
    assert book.sheetnames == [*TABLE_NAMES, "factor_summary", "plan_findings", "bad_records"]
    assert book["factor_summary"].max_row > 1 and book["plan_findings"].max_row > 1
    for name in TABLE_NAMES:
        rows = read_csv(exported / "tables" / f"{name}.csv")
        assert book[name].max_row == len(rows) + 1, name
    ws = book["assessors"]
    header = [c.value for c in ws[1]]
    rows = [dict(zip(header, (c.value for c in row), strict=True)) for row in ws.iter_rows(min_row=2)]
    evil = [r for r in rows if r["trainee_id"] == "'" + EVIL_ID]
    assert len(evil) == 1 and evil[0]["area"] == "'" + EVIL_AREA
    assert evil[0]["flagged"] is True
    assert all(c.data_type != "f" for sheet in book for row in sheet.iter_rows() for c in row)
    assert [c.value for c in book["bad_records"]["C"]][1].startswith("malformed JSON")


def test_the_workbook_alone_carries_the_dashboards_summaries(demo, tmp_path):
    """``--xlsx`` without ``--report`` still computes the two summaries the workbook holds."""
    source = write_jsonl(tmp_path / "demo.jsonl", [r.to_json().replace("\n", "") for r in demo])
    book = tmp_path / "calibration.xlsx"
    argv = ["calibrate", str(source), "--out", str(tmp_path / "t"), "--xlsx", str(book), "--n-boot", "20"]
    assert main(argv) == 0
    sheets = load_workbook(book).sheetnames
    assert sheets == [*TABLE_NAMES, "factor_summary", "plan_findings", "bad_records"]
    assert sorted(p.name for p in (tmp_path / "t").iterdir()) == sorted(
        f"{n}.csv" for n in [*TABLE_NAMES, "bad_records"]
    )


def test_the_report_lists_every_flagged_assessor(exported):
    page = (exported / "calibration.html").read_text(encoding="utf-8")
    flagged = [
        r["trainee_id"] for r in read_csv(exported / "tables" / "assessors.csv") if r["flagged"] == "True"
    ]
    assert len(flagged) >= 2 and "'" + EVIL_ID in flagged
    assert f"Assessors flagged ({len(flagged)} of 12)" in page
    for trainee in flagged:
        shown = trainee[1:] if trainee.startswith("'") else trainee  # CSV guard, not in HTML
        assert html.escape(shown, quote=True) in page, trainee
    assert EVIL_ID not in page  # escaped
    assert "Factors rated least reliably" in page and "Krippendorff (2004)" in page
    assert "malformed JSON" in page and "0 duplicates skipped" in page


@pytest.mark.parametrize("option", ["--xlsx", "--report"])
def test_an_output_that_cannot_be_written_is_a_clear_error(demo, tmp_path, capsys, option):
    source = write_jsonl(tmp_path / "demo.jsonl", [demo[0].to_json().replace("\n", "")])
    capsys.readouterr()
    assert main(["calibrate", str(source), "--out", str(tmp_path / "t"), option, str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert f"calibrate: {option} {tmp_path} is a folder" in err
    blocker = tmp_path / "a-file"
    blocker.write_text("", encoding="utf-8")
    target = blocker / "out.file"
    assert main(["calibrate", str(source), "--out", str(tmp_path / "t"), option, str(target)]) == 2
    assert f"{target}: {blocker} is not a folder" in capsys.readouterr().err
    assert not (tmp_path / "t").exists()  # checked before any work


def test_a_write_that_fails_late_exits_2_naming_the_file_and_keeps_the_old_one(
    demo, tmp_path, capsys, monkeypatch
):
    """The disk fills up while the workbook is written: the command says so, and the workbook
    an earlier run wrote is still there, whole; no temporary file is left beside it."""
    if not os.path.isdir("/proc/self/fd"):
        pytest.skip("needs /proc to tell which file is being written")
    source = write_jsonl(tmp_path / "demo.jsonl", [r.to_json().replace("\n", "") for r in demo])
    target = tmp_path / "book" / "calibration.xlsx"
    argv = ["calibrate", str(source), "--out", str(tmp_path / "t"), "--xlsx", str(target)]
    assert main(argv) == 0
    before = target.read_bytes()
    fsync = os.fsync
    refused = []

    def disk_full_for_the_workbook(fd):
        name = os.readlink(f"/proc/self/fd/{fd}")
        if ".calibration.xlsx." in name:
            refused.append(name)
            raise OSError(28, "No space left on device")
        fsync(fd)

    monkeypatch.setattr("arms_training.io.files.os.fsync", disk_full_for_the_workbook)
    capsys.readouterr()
    assert main([*argv, "--min-responses", "1"]) == 2
    assert f"calibrate: cannot write {target}: No space left on device" in capsys.readouterr().err
    assert refused and target.read_bytes() == before
    assert [p.name for p in target.parent.iterdir()] == ["calibration.xlsx"]


# ------------------------------------------------------------------ a stored bad record


def test_a_stored_record_that_no_longer_validates_is_listed_not_fatal(demo, tmp_path, capsys):
    from arms_training.store import Store
    from arms_training.store import schema as t

    url = f"sqlite:///{tmp_path / 'training.sqlite'}"
    with Store(url) as store:
        for r in demo[:10]:
            report = score_response(r, library=LIB)
            store.submit(
                r, score=report.to_dict(), key_version=report.key_version, framework_version="2018.1"
            )
        broken = demo[3].to_json_dict() | {"mode": "sideways"}
        with store.engine.begin() as conn:
            conn.execute(
                t.submissions.update()
                .where(t.submissions.c.response_id == str(demo[3].response_id))
                .values(response=broken)
            )
    capsys.readouterr()
    assert (
        main(
            [
                "calibrate",
                url,
                "--out",
                str(tmp_path / "t"),
                "--min-responses",
                "1",
                "--n-boot",
                "20",
                "--report",
                str(tmp_path / "r.html"),
            ]
        )
        == 0
    )
    out = capsys.readouterr().out
    assert "10 responses read: 9 scored, 1 bad, 0 duplicates skipped" in out
    (row,) = read_csv(tmp_path / "t" / "bad_records.csv")
    assert row["record"] == f"submission {demo[3].response_id} (response {demo[3].response_id})"
    assert row["field"] == "mode"
    page = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert "Source: sqlite:///" in page and "1 record: mode" in page


def test_the_report_never_shows_a_database_password():
    from arms_training.commands.calibrate import _shown_source

    shown = _shown_source("postgresql+psycopg://lead:s3cret@db.example/arms")
    assert "s3cret" not in shown and shown.startswith("postgresql+psycopg://lead:")
    assert isinstance(sa.engine.make_url(shown), sa.engine.URL)


# ------------------------------------------------------------------- sources that hold nothing


def test_a_mistyped_sqlite_url_is_refused_not_created(tmp_path, capsys):
    missing = tmp_path / "tyop.sqlite"
    code = main(["calibrate", f"sqlite:///{missing}", "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert code == 2 and f"there is no database file at {missing}" in err and "--create-database" in err
    assert not missing.exists() and not (tmp_path / "out").exists()
    code = main(["calibrate", f"sqlite:///{missing}", "--out", str(tmp_path / "out"), "--create-database"])
    assert missing.exists() and code == 1  # created on request; it is empty, so nothing to tabulate


def test_an_empty_file_is_an_error_with_a_message(tmp_path, capsys):
    empty = tmp_path / "empty.jsonl"
    empty.write_text("")
    code = main(["calibrate", str(empty), "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert code in (1, 2) and err.strip() and str(empty) in err
    assert not (tmp_path / "out").exists()


def test_an_unreachable_postgresql_speaks_to_a_command_line_user(tmp_path, capsys):
    url = "postgresql+psycopg://nobody@127.0.0.1:9/arms?connect_timeout=1"
    code = main(["calibrate", url, "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert code == 2 and "cannot use the training database" in err and "draft" not in err
