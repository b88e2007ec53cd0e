"""Does every notebook the servers offer run from top to bottom in a fresh kernel, with no
Voila request (no query string, no proxy header) and an empty data directory?

Each notebook runs under ``pytest --nbval-lax`` in a subprocess (its own kernel, this repo's
pytest settings left out), so a notebook that raises fails here rather than in front of a
trainee or a quality lead.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.factories import REPO

NOTEBOOKS = sorted(
    [*(REPO / "notebooks" / "trainee").glob("*.ipynb"), *(REPO / "notebooks" / "staff").glob("*.ipynb")]
)

pytestmark = pytest.mark.slow


def test_the_served_folders_hold_the_expected_notebooks():
    names = {p.relative_to(REPO / "notebooks").as_posix() for p in NOTEBOOKS}
    assert {"trainee/exercise.ipynb", "staff/session.ipynb", "staff/calibration.ipynb"} <= names


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.relative_to(REPO).as_posix())
def test_notebook_runs_headless(notebook: Path, tmp_path: Path) -> None:
    ini = tmp_path / "pytest.ini"
    ini.write_text("[pytest]\n")
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("ARMS_TRAINING_DB_URL", "QUERY_STRING", "ARMS_TRAINING_STAFF_TOKEN")
    }
    env["ARMS_TRAINING_DATA"] = str(tmp_path / "data")
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "--nbval-lax",
            "-c",
            str(ini),
            "--rootdir",
            str(tmp_path),
            "-p",
            "no:cacheprovider",
            "-q",
            str(notebook),
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, f"{notebook.name} failed:\n{proc.stdout[-4000:]}\n{proc.stderr[-2000:]}"
    assert "passed" in proc.stdout
