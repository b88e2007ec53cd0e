"""Does a failing ``demo-data`` leave an existing output file as it was (every command writes
through a temporary file moved into place only on success)?"""

from __future__ import annotations

from tests.factories import run_cli


def test_a_failed_run_leaves_the_existing_file_untouched(tmp_path):
    out = tmp_path / "demo.jsonl"
    out.write_text('{"kept": true}\n')
    manifest = tmp_path / "demo.jsonl.manifest.json"
    manifest.write_text("{}\n")
    # An empty content folder: nothing to answer, so the run fails after deciding to write.
    done = run_cli("demo-data", "--out", str(out), cwd=tmp_path, env={"ARMS_TRAINING_CONTENT": str(tmp_path)})
    assert done.returncode == 1
    assert out.read_text() == '{"kept": true}\n' and manifest.read_text() == "{}\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["demo.jsonl", "demo.jsonl.manifest.json"]


def test_a_good_run_replaces_the_file_whole(tmp_path):
    out = tmp_path / "demo.jsonl"
    out.write_text("old\n")
    done = run_cli("demo-data", "--trainees", "3", "--responses-each", "2", "--out", str(out), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert len(out.read_text().splitlines()) == 6 and "old" not in out.read_text()
