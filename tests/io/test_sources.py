"""Is every response source read one way? The same bad record gives the same problems from a
JSONL file, a JSON list, a CSV export, uploaded bytes, a folder and a database, each named by
where the record is; and do the command line and the dashboard list a bad file's records with
the same lines?"""

from __future__ import annotations

import copy
import csv
import io
import json
from pathlib import Path

import pytest

from arms_training.calibration.dashboard import Dashboard, DashboardState, problem_groups
from arms_training.calibration.demo_data import generate
from arms_training.calibration.result import CalibrationSettings, bad_records_frame
from arms_training.cli import main
from arms_training.content import load_library
from arms_training.errors import ContentError, SourceError
from arms_training.io.frames import load_frames, load_responses
from arms_training.io.sources import BOM, read_records
from arms_training.responses import MAX_TEXT, Response
from arms_training.scoring.rules import score_response
from arms_training.store import Store
from arms_training.store import schema as t

LIB = load_library()
FAST = CalibrationSettings(n_boot=20)


@pytest.fixture(scope="module")
def good() -> list[Response]:
    responses, _ = generate(2, 3, seed=5, library=LIB)
    return responses[:3]


def _drop(field: str):
    def change(d: dict) -> None:
        del d[field]

    return change


# What is wrong with the middle record, and the (field, start of message) it must be listed with.
BAD = {
    "agency": (lambda d: d["trainee"].update(agency="army"), ("trainee.agency", "Input should be")),
    "mode": (lambda d: d.update(mode="sideways"), ("mode", "Input should be 'full' or 'quick'")),
    "rating": (lambda d: d["ratings"].update(opportunity="2"), ("ratings.opportunity", "")),
    "field": (lambda d: d.update(surprise=1), ("surprise", "unknown field; allowed: ")),
    "missing": (_drop("trainee"), ("trainee", "missing required field")),
    "note": (
        lambda d: d.update(notes={"opportunity": "x" * (MAX_TEXT + 1)}),
        ("notes.opportunity", f"note longer than {MAX_TEXT} characters"),
    ),
}


def _records(good: list[Response], change) -> list[dict]:
    records = [r.to_json_dict() for r in good]
    records[1] = copy.deepcopy(records[1])
    change(records[1])
    return records


def _csv_text(records: list[dict]) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(["response_id", "response"])
    for rec in records:
        writer.writerow([rec.get("response_id", ""), json.dumps(rec)])
    return buf.getvalue()


def _sources(tmp_path: Path, records: list[dict]) -> dict[str, tuple[object, str]]:
    """Each kind of source holding ``records``, and the name its second record must have."""
    lines = "".join(json.dumps(r) + "\n" for r in records)
    jsonl = tmp_path / "export.jsonl"
    jsonl.write_text(lines, encoding="utf-8")
    listed = tmp_path / "export.json"
    listed.write_text(json.dumps(records, indent=1), encoding="utf-8")
    table = tmp_path / "export.csv"
    table.write_text(_csv_text(records), encoding="utf-8")
    folder = tmp_path / "folder"
    folder.mkdir()
    for i, rec in enumerate(records):
        (folder / f"r{i}.json").write_text(json.dumps(rec, indent=2), encoding="utf-8")
    return {
        "jsonl": (jsonl, f"{jsonl}:2"),
        "json list": (listed, f"{listed}[1]"),
        "csv": (table, f"{table}:row 3"),
        "folder": (folder, f"{folder}/r1.json"),
        "uploaded jsonl": (lines.encode(), "upload.jsonl:2"),
        "uploaded csv": (_csv_text(records).encode(), "upload.csv:row 3"),
    }


def _submit(store: Store, responses: list[Response]) -> None:
    for r in responses:
        report = score_response(r, library=LIB)
        store.submit(r, score=report.to_dict(), key_version=report.key_version, framework_version="2018.1")


def _corrupt(store: Store, response_id: str, record: dict) -> None:
    """A stored record edited by hand (or an older format): the row now holds ``record``."""
    with store.engine.begin() as conn:
        conn.execute(
            t.submissions.update().where(t.submissions.c.response_id == response_id).values(response=record)
        )


def _one_bad(records) -> tuple[int, ContentError]:
    items = [r.item for r in records]
    bad = [i for i in items if isinstance(i, ContentError)]
    assert len(items) == 3 and len(bad) == 1, items
    return len(items) - 1, bad[0]


@pytest.mark.parametrize("kind", sorted(BAD))
def test_the_same_bad_record_gives_the_same_problems_from_every_source(kind, good, tmp_path, store_url):
    change, (field, message) = BAD[kind]
    records = _records(good, change)
    rid = records[1].get("response_id")
    suffix = f" (response {rid})" if rid else ""
    seen: dict[str, list[tuple[str, str]]] = {}
    for what, (source, where) in _sources(tmp_path, records).items():
        name = {"uploaded jsonl": "upload.jsonl", "uploaded csv": "upload.csv"}.get(what)
        n_good, bad = _one_bad(read_records(source, name=name))
        assert n_good == 2, what
        assert {p.path for p in bad.problems} == {where + suffix}, what
        seen[what] = [(p.field, p.message) for p in bad.problems]
    with Store(store_url) as store:
        _submit(store, good)
        _corrupt(store, str(good[1].response_id), records[1])
    n_good, bad = _one_bad(read_records(store_url))
    assert {p.path for p in bad.problems} == {f"submission {good[1].response_id}{suffix}"}
    seen["database"] = [(p.field, p.message) for p in bad.problems]

    first = seen["jsonl"]
    assert all(found == first for found in seen.values()), seen
    assert any(f == field and m.startswith(message) for f, m in first), first


def test_malformed_json_reads_the_same_from_a_line_a_cell_and_an_upload(good, tmp_path):
    records = [json.dumps(r.to_json_dict()) for r in good]
    records[1] = records[1][:40]
    jsonl = tmp_path / "cut.jsonl"
    jsonl.write_text("\n".join(records) + "\n", encoding="utf-8")
    table = tmp_path / "cut.csv"
    buf = io.StringIO()
    csv.writer(buf).writerows([["response"], *([r] for r in records)])
    table.write_text(buf.getvalue(), encoding="utf-8")
    found = {}
    for source, name in ((jsonl, None), (table, None), (jsonl.read_bytes(), "cut.jsonl")):
        _, bad = _one_bad(read_records(source, name=name))
        (problem,) = bad.problems
        found[problem.path] = (problem.field, problem.message)
    assert set(found) == {f"{jsonl}:2", f"{table}:row 3", "cut.jsonl:2"}
    assert len(set(found.values())) == 1
    assert next(iter(found.values()))[1].startswith("malformed JSON: ")


def test_a_jsonl_file_yields_every_record_and_never_stops_at_a_bad_one(good, tmp_path):
    path = tmp_path / "batch.jsonl"
    line = good[0].to_json().replace("\n", "")
    path.write_text(line + "\n{not json\n\n   \n" + good[1].to_json().replace("\n", "") + "\n")
    items = [r.item for r in read_records(path)]
    assert [type(i).__name__ for i in items] == ["Response", "ContentError", "Response"]
    assert (
        str(items[1])
        == f"{path}:2: (file): malformed JSON: Expecting property name enclosed in double quotes"
    )


def test_a_byte_order_mark_starts_a_file_it_is_not_part_of_the_first_record(good, tmp_path, monkeypatch):
    """Notepad and Excel put one before the first line; every reader drops it there, the fast
    parallel loader too, and the record read back from the file is the same response."""
    import arms_training.io.frames as frames

    path = tmp_path / "marked.jsonl"
    path.write_bytes(BOM + b"".join(r.to_json().replace("\n", "").encode() + b"\n" for r in good))
    assert load_responses(path) == (good, [])
    assert [r.item for r in read_records(path.read_bytes(), name="marked.jsonl")] == good
    monkeypatch.setattr(frames, "PARALLEL_MIN_BYTES", 0)
    loaded, problems = load_frames(path, workers=2)
    assert problems == [] and [loaded.objects[i] for i in range(len(loaded))] == good


def test_a_folder_reads_each_file_as_score_and_validate_read_one(good, tmp_path):
    folder = tmp_path / "responses"
    folder.mkdir()
    (folder / "a.json").write_text(good[0].to_json(), encoding="utf-8")
    (folder / "b.json").write_text('{\n  "response_id": \n}', encoding="utf-8")
    (folder / "c.json").write_bytes(good[1].to_json().encode().replace(b"demo-", b"demo\xff", 1))
    (folder / "d.json").write_text("", encoding="utf-8")
    (folder / "notes.txt").write_text("not read", encoding="utf-8")
    items = [r.item for r in read_records(folder)]
    assert isinstance(items[0], Response) and items[0] == good[0]
    shown = [str(i) for i in items[1:]]
    assert shown[0].startswith(f"{folder}/b.json: line 3: malformed JSON: ")
    assert shown[1].startswith(f"{folder}/c.json: line ") and "not UTF-8: byte 0xff" in shown[1]
    assert shown[2] == f"{folder}/d.json: (file): file is empty"


@pytest.mark.parametrize(
    "content, name, says",
    [
        (b"PK\x03\x04" + b"\x00" * 100, "scores.xlsx", "Excel workbook"),
        (b"statistic,scope,ci_low\nx,y,1\n", "reliability.csv", r"calibration table \(reliability.csv\)"),
        (b'[{"response_id": ', "broken.json", "not valid JSON"),
    ],
)
def test_a_file_of_the_wrong_kind_is_refused_alike_by_the_command_line_and_the_dashboard(
    content, name, says, tmp_path, capsys
):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(SourceError, match=says) as refused:
        Dashboard(LIB).import_path(path)
    capsys.readouterr()
    assert main(["calibrate", str(path), "--out", str(tmp_path / "out")]) == 2
    assert capsys.readouterr().err == f"calibrate: {refused.value}\n"
    assert not (tmp_path / "out").exists()


def test_a_missing_source_and_an_empty_folder_are_clear(tmp_path):
    with pytest.raises(SourceError, match=f"^{tmp_path / 'nope.jsonl'}: no such file or folder$"):
        list(read_records(tmp_path / "nope.jsonl"))
    with pytest.raises(SourceError, match="is a folder with no .json files"):
        list(read_records(tmp_path))


# ---------------------------------------------------------- the command line and the dashboard


def _mixed(good: list[Response]) -> list[str]:
    """Good records and bad ones of each sort a batch meets: unreadable, invalid, unscorable."""
    lines = [r.to_json().replace("\n", "") for r in good]
    broken = good[1].to_json_dict() | {"mode": "sideways"}
    del broken["trainee"]
    unknown = good[2].to_json_dict() | {"vignette_id": "v99-not-installed", "response_id": "0" * 32}
    return [
        lines[0],
        "{not json",
        json.dumps(broken),
        lines[2],
        json.dumps(unknown),
        json.dumps(good[0].to_json_dict() | {"notes": {"x": "y" * (MAX_TEXT + 1)}, "response_id": "1" * 32}),
    ]


def _cli_bad_records(source: str, out: Path) -> list[dict]:
    argv = ["calibrate", source, "--out", str(out), "--report", str(out / "r.html"), "--n-boot", "20"]
    assert main([*argv, "--min-responses", "1"]) == 0
    with (out / "bad_records.csv").open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def _dashboard_bad_records(d: Dashboard) -> list[dict]:
    return bad_records_frame(d.result()).astype(str).replace("nan", "").to_dict("records")


def _report_problems(page: str) -> str:
    return page.split("<h2>Records not scored</h2>", 1)[1]


@pytest.mark.parametrize("kind", ["jsonl", "csv", "folder"])
def test_the_command_line_and_the_dashboard_list_a_bad_file_alike(kind, good, tmp_path):
    from arms_training.reports.calibration_bundle import CalibrationBundle

    lines = _mixed(good)
    if kind == "jsonl":
        source = tmp_path / "mixed.jsonl"
        source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    elif kind == "csv":
        source = tmp_path / "mixed.csv"
        buf = io.StringIO()
        csv.writer(buf).writerows([["response"], *([x] for x in lines)])
        source.write_text(buf.getvalue(), encoding="utf-8")
    else:
        source = tmp_path / "mixed"
        source.mkdir()
        for i, x in enumerate(lines):
            (source / f"{i:02d}.json").write_text(x, encoding="utf-8")
    cli = _cli_bad_records(str(source), tmp_path / "out")
    d = Dashboard(LIB, state=DashboardState(settings=CalibrationSettings(n_boot=20, min_responses=1)))
    d.import_path(source)
    assert cli == _dashboard_bad_records(d)
    assert len({r["record"] for r in cli}) == 4 and {r["field"] for r in cli} >= {"mode", "trainee"}
    bundle = CalibrationBundle.of(d.result(), described=["x"])
    page = (tmp_path / "out" / "r.html").read_text(encoding="utf-8")
    assert _report_problems(bundle.report(figures={})) == _report_problems(page)
    assert list(bundle.problems) == problem_groups(d.problems)


def test_the_command_line_and_the_dashboard_list_a_database_alike(good, tmp_path, store_url):
    with Store(store_url) as store:
        _submit(store, good)
        broken = good[1].to_json_dict() | {"mode": "sideways"}
        _corrupt(store, str(good[1].response_id), broken)
        d = Dashboard(LIB, state=DashboardState(settings=FAST))
        report = d.load_store(store)
    assert (report.n_records, report.n_new, report.n_bad) == (3, 2, 1)
    cli = _cli_bad_records(store_url, tmp_path / "out")
    assert cli == _dashboard_bad_records(d)
    assert cli == [
        {
            "record": f"submission {good[1].response_id} (response {good[1].response_id})",
            "field": "mode",
            "problem": "Input should be 'full' or 'quick' (got 'sideways')",
        }
    ]
