"""Can a force add or replace a framework without editing the installed package, and does every
tool then find it?"""

from __future__ import annotations

from pathlib import Path

import pytest

from arms_training.framework import FRAMEWORK_DIR, available_frameworks, framework_by_id
from arms_training.locations import framework_dirs
from tests.factories import copy_library, edit, run_cli


def force_framework(folder: Path, framework_id: str = "force-2026", version: str = "2026.1") -> Path:
    """A copy of the shipped framework under another id (or the same id, another version)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{framework_id}.yaml"
    path.write_text((FRAMEWORK_DIR / "arms-2018.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    edit(path, "id: arms-2018", f"id: {framework_id}")
    edit(path, 'version: "2018.1"', f'version: "{version}"')
    return path


def test_the_search_path_is_the_named_folders_then_the_content_folder_then_the_package(tmp_path):
    one, two, content = tmp_path / "one", tmp_path / "two", tmp_path / "content"
    for d in (one, two, content / "frameworks"):
        d.mkdir(parents=True)
    env = {
        "ARMS_TRAINING_FRAMEWORKS": f"{one}:{tmp_path / 'missing'}:{two}",
        "ARMS_TRAINING_CONTENT": str(content),
    }
    assert framework_dirs(env) == (one, two, content / "frameworks", FRAMEWORK_DIR)
    assert framework_dirs({}) == (FRAMEWORK_DIR,)


def test_a_framework_in_a_named_folder_is_found_and_listed(tmp_path, monkeypatch):
    path = force_framework(tmp_path / "force")
    monkeypatch.setenv("ARMS_TRAINING_FRAMEWORKS", str(tmp_path / "force"))
    assert framework_by_id("force-2026").version == "2026.1"
    assert path in available_frameworks()
    assert framework_by_id("arms-2015").id == "arms-2015"  # the shipped ones are still there


def test_a_file_named_like_a_shipped_one_replaces_it(tmp_path, monkeypatch):
    force_framework(tmp_path / "force", "arms-2018", version="2018.force")
    monkeypatch.setenv("ARMS_TRAINING_FRAMEWORKS", str(tmp_path / "force"))
    assert framework_by_id("arms-2018").version == "2018.force"
    monkeypatch.delenv("ARMS_TRAINING_FRAMEWORKS")
    assert framework_by_id("arms-2018").version == "2018.1"


def test_an_unknown_framework_says_where_it_looked_and_how_to_add_one(tmp_path, monkeypatch):
    monkeypatch.setenv("ARMS_TRAINING_FRAMEWORKS", str(tmp_path))
    with pytest.raises(KeyError) as err:
        framework_by_id("nowhere-1")
    text = str(err.value)
    assert "installed: arms-2015, arms-2018" in text
    assert str(tmp_path) in text and "ARMS_TRAINING_FRAMEWORKS" in text


def test_validate_and_coverage_use_the_content_folders_own_framework(tmp_path):
    """A force's library on its own framework: validate finds the framework in the content folder
    and --coverage reports that framework, not only the default."""
    lib = copy_library(tmp_path)
    force_framework(lib / "frameworks")
    for sub in ("vignettes", "answer_keys"):
        edit(lib / sub / "t01-fixture.yaml", "framework: arms-2018", "framework: force-2026")
    result = run_cli("validate", str(lib), "--coverage", env={"ARMS_TRAINING_CONTENT": str(lib)})
    assert result.returncode == 0, result.stdout + result.stderr
    assert "framework force-2026" in result.stdout
    assert "1 frameworks, 1 vignettes, 1 answer keys" in result.stderr
