"""Small helpers shared by the foundation tests."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
FIXTURE_LIBRARY = Path(__file__).parent / "fixtures" / "library"


def copy_library(tmp_path: Path, source: Path = FIXTURE_LIBRARY) -> Path:
    """A writable copy of a content folder (vignettes/ and answer_keys/) to break on purpose."""
    dest = tmp_path / "library"
    for sub in ("vignettes", "answer_keys"):
        shutil.copytree(source / sub, dest / sub)
    return dest


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"fixture text {old!r} not found in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def run_cli(*args: str, cwd: Path = REPO, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """``arms-training ARGS`` in a child process; ``env`` is added to this process's environment."""
    return subprocess.run(
        [sys.executable, "-m", "arms_training.cli", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **(env or {})},
    )
