"""Do ``arms-training score``, ``calibrate`` and ``demo-data`` do what a user expects, with clear
errors and exit codes?"""

from __future__ import annotations

import csv
import json
import uuid

import pytest

from arms_training.cli import main
from arms_training.content import load_library
from tests.factories import perfect

LIB = load_library()
VID = "v01-new-partner"


def write_response(path, **changes):
    key, v = LIB.keys[VID], LIB.vignettes[VID]
    response = perfect(key, v.version, **changes)
    path.write_text(response.to_json(), encoding="utf-8")
    return response


# ------------------------------------------------------------------------------------ score


def test_score_prints_the_report_as_json(tmp_path, capsys):
    path = tmp_path / "r.json"
    response = write_response(path)
    assert main(["score", str(path)]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["total"] == 100.0 and report["response_id"] == str(response.response_id)


def test_score_text_format(tmp_path, capsys):
    path = tmp_path / "r.json"
    ratings = dict(LIB.keys[VID].ratings) | {"opportunity": 2}
    write_response(path, ratings=ratings)
    assert main(["score", str(path), "--format", "text"]) == 0
    out = capsys.readouterr().out
    assert "Total" in out and "Opportunity" in out and "Feedback:" in out
    assert LIB.keys[VID].factors["opportunity"].rationale[:40] in out.replace("\n", " ")


def test_score_with_an_explicit_key_of_another_version(tmp_path, capsys):
    path = tmp_path / "r.json"
    response = write_response(path, key_version=LIB.keys[VID].key_version + 1)
    assert main(["score", str(path), "--key", str(LIB.key_paths[VID])]) == 1
    err = capsys.readouterr().err
    assert f"response {response.response_id}: key_version" in err


@pytest.mark.parametrize(
    "content, message",
    [
        ("{not json", "malformed JSON"),
        ('{"response_id": "x"}', "response_id"),
    ],
)
def test_score_rejects_a_malformed_file(tmp_path, capsys, content, message):
    path = tmp_path / "r.json"
    path.write_text(content, encoding="utf-8")
    assert main(["score", str(path)]) == 1
    assert message in capsys.readouterr().err


def test_score_unknown_vignette_and_rating_off_the_scale(tmp_path, capsys):
    path = tmp_path / "r.json"
    response = write_response(path, vignette_id="v99-nowhere")
    assert main(["score", str(path)]) == 1
    assert f"response {response.response_id}: vignette_id: no answer key" in capsys.readouterr().err
    response = write_response(path, ratings={"opportunity": 7})
    assert main(["score", str(path)]) == 1
    assert (
        f"response {response.response_id}: ratings.opportunity: rating 7 is not on the "
        "scale" in capsys.readouterr().err
    )


# ------------------------------------------------------------------------- demo-data, calibrate


@pytest.fixture(scope="module")
def demo_file(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo") / "demo.jsonl"
    assert (
        main(["demo-data", "--trainees", "12", "--responses-each", "6", "--seed", "2", "--out", str(out)])
        == 0
    )
    return out


def test_demo_data_writes_file_and_manifest(demo_file):
    assert len(demo_file.read_text(encoding="utf-8").splitlines()) == 72
    manifest = json.loads((demo_file.parent / "demo.jsonl.manifest.json").read_text())
    assert len(manifest["assessors"]) == 12


def test_calibrate_writes_tables_and_summary(demo_file, tmp_path, capsys):
    capsys.readouterr()
    out = tmp_path / "tables"
    assert main(["calibrate", str(demo_file), "--out", str(out)]) == 0
    stdout = capsys.readouterr().out
    for name in ("assessors", "factors", "reliability", "agencies", "drift", "plans"):
        assert (out / f"{name}.csv").exists()
    manifest = json.loads((demo_file.parent / "demo.jsonl.manifest.json").read_text())
    bad = {a["id"] for a in manifest["assessors"] if a["tendency"] != "accurate"}
    with (out / "assessors.csv").open(newline="", encoding="utf-8") as fh:
        flagged = {row["trainee_id"] for row in csv.DictReader(fh) if row["flagged"] == "True"}
    assert flagged == bad
    assert "72 responses read: 72 scored, 0 bad" in stdout
    for trainee in bad:
        assert f"flagged: {trainee}" in stdout


def test_calibrate_lists_bad_records_and_applies_filters(demo_file, tmp_path, capsys):
    source = tmp_path / "mixed.jsonl"
    lines = demo_file.read_text(encoding="utf-8").splitlines()
    broken = json.loads(lines[0]) | {"response_id": str(uuid.UUID(int=5)), "key_version": 99}
    source.write_text("\n".join([*lines, json.dumps(broken), "{oops"]) + "\n", encoding="utf-8")
    capsys.readouterr()
    assert main(["calibrate", str(source), "--out", str(tmp_path / "t"), "--agency", "police"]) == 0
    stdout = capsys.readouterr().out
    assert "2 bad" in stdout
    assert f"response {uuid.UUID(int=5)}: key_version" in stdout
    assert "malformed JSON" in stdout
    with (tmp_path / "t" / "bad_records.csv").open(newline="", encoding="utf-8") as fh:
        assert len(list(csv.DictReader(fh))) == 2
    with (tmp_path / "t" / "assessors.csv").open(newline="", encoding="utf-8") as fh:
        assert {row["agency"] for row in csv.DictReader(fh)} == {"police"}


def test_calibrate_a_folder_of_json_responses(demo_file, tmp_path, capsys):
    folder = tmp_path / "responses"
    folder.mkdir()
    for i, line in enumerate(demo_file.read_text(encoding="utf-8").splitlines()[:10]):
        (folder / f"r{i:02d}.json").write_text(line, encoding="utf-8")
    capsys.readouterr()
    assert main(["calibrate", str(folder), "--out", str(tmp_path / "t"), "--min-responses", "1"]) == 0
    assert "10 responses read: 10 scored" in capsys.readouterr().out


def test_calibrate_from_a_database_url(demo_file, tmp_path, capsys):
    store_module = pytest.importorskip("arms_training.store")
    from arms_training.io.frames import load_responses
    from arms_training.scoring.rules import score_response

    url = f"sqlite:///{tmp_path / 'training.sqlite'}"
    store = store_module.Store(url)
    try:
        for r in load_responses(demo_file)[0][:12]:
            report = score_response(r, library=LIB)
            store.submit(
                r, score=report.to_dict(), key_version=report.key_version, framework_version="2018.1"
            )
    finally:
        store.close()
    capsys.readouterr()
    assert main(["calibrate", url, "--out", str(tmp_path / "t"), "--min-responses", "1"]) == 0
    assert "12 responses read: 12 scored" in capsys.readouterr().out


def test_calibrate_missing_source_and_bad_date(tmp_path, capsys):
    assert main(["calibrate", str(tmp_path / "nothing.jsonl"), "--out", str(tmp_path)]) == 2
    assert "no such file" in capsys.readouterr().err
    source = tmp_path / "empty.jsonl"
    source.write_text("", encoding="utf-8")
    with pytest.raises(SystemExit) as usage:  # refused while reading the options
        main(["calibrate", str(source), "--out", str(tmp_path / "t"), "--since", "last tuesday"])
    assert usage.value.code == 2
    assert "'last tuesday' is not a date or time" in capsys.readouterr().err


def test_a_jsonl_file_is_not_called_malformed_yaml(tmp_path):
    from tests.factories import run_cli

    many = tmp_path / "many.jsonl"
    many.write_text('{"a": 1}\n{"a": 2}\n')
    done = run_cli("score", str(many), cwd=tmp_path)
    assert done.returncode == 1
    assert "holds many responses" in done.stderr and "arms-training calibrate" in done.stderr
    assert "YAML" not in done.stderr
