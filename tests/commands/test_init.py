"""Does ``arms-training init DIR`` give a force a library it can edit and point at, without ever
overwriting one?"""

from __future__ import annotations

from arms_training.locations import shipped_library
from tests.factories import edit, run_cli


def test_init_copies_the_library_and_says_how_to_use_it(tmp_path):
    dest = tmp_path / "force-cases"
    done = run_cli("init", str(dest), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    shipped = sorted(p.name for p in (shipped_library() / "vignettes").glob("*.yaml"))
    assert sorted(p.name for p in (dest / "vignettes").glob("*.yaml")) == shipped
    assert len(list((dest / "answer_keys").glob("*.yaml"))) == len(shipped)
    assert (dest / "frameworks").is_dir()
    assert f"export ARMS_TRAINING_CONTENT={dest.resolve()}" in done.stdout
    assert not list(tmp_path.glob(".*.tmp"))

    # The copy is what every tool then reads.
    edit(dest / "vignettes" / shipped[0], "title: ", "title: Force edit - ")
    done = run_cli("validate", cwd=tmp_path, env={"ARMS_TRAINING_CONTENT": str(dest)})
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"{len(shipped)} vignettes, {len(shipped)} answer keys" in done.stderr


def test_init_never_overwrites_a_library(tmp_path):
    dest = tmp_path / "cases"
    (dest / "vignettes").mkdir(parents=True)
    (dest / "vignettes" / "mine.yaml").write_text("edited: true\n")
    done = run_cli("init", str(dest), cwd=tmp_path)
    assert done.returncode == 2 and "already exists; nothing was copied" in done.stderr
    assert (dest / "vignettes" / "mine.yaml").read_text() == "edited: true\n"
    assert not (dest / "answer_keys").exists()


def test_nothing_found_names_the_folder_and_the_variable(tmp_path):
    done = run_cli("validate", cwd=tmp_path, env={"ARMS_TRAINING_CONTENT": str(tmp_path / "empty")})
    assert done.returncode == 1
    assert f"no vignettes found in {tmp_path / 'empty' / 'vignettes'}" in done.stderr
    assert "ARMS_TRAINING_CONTENT" in done.stderr
    out = tmp_path / "demo.jsonl"
    done = run_cli("demo-data", "--out", str(out), cwd=tmp_path, env={"ARMS_TRAINING_CONTENT": str(tmp_path)})
    assert done.returncode == 1 and str(tmp_path) in done.stderr and "ARMS_TRAINING_CONTENT" in done.stderr
