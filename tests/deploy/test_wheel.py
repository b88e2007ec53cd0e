"""Does the package work as a new user installs it: built as a wheel, installed (not editable)
into a fresh virtual environment, and run from a folder outside the checkout?

The wheel is installed with ``--no-deps``: its dependencies come from this test environment,
made visible to the fresh one by a ``.pth`` file and a link to Jupyter's data folder (Voila's
templates), so the test needs no network and takes seconds; ``pip check`` then proves that the
wheel's declared requirements are all met. Nothing of the checkout is importable there: the
checkout is not on the path, and the working folder is a temporary one.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import sysconfig
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.e2e.servers import free_port
from tests.factories import REPO

pytestmark = pytest.mark.slow


@dataclass(frozen=True)
class Installed:
    python: Path
    script: Path
    work: Path
    env: dict[str, str]

    def run(self, *args: str, timeout: float = 300) -> subprocess.CompletedProcess:
        return subprocess.run(
            [str(self.script), *args],
            cwd=self.work,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Installed]:
    root = tmp_path_factory.mktemp("wheel")
    started = time.monotonic()
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(root),
            str(REPO),
        ],
        check=True,
        capture_output=True,
    )
    (wheel,) = root.glob("arms_training-*.whl")
    venv = root / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    purelib = Path(
        subprocess.run(
            [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
    )
    # This environment's packages after the fresh one's own (a plain path line: its .pth files,
    # the editable install of the checkout among them, are not run).
    (purelib / "zz_test_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    (venv / "share").mkdir(exist_ok=True)
    (venv / "share" / "jupyter").symlink_to(Path(sys.prefix) / "share" / "jupyter")
    pip = [sys.executable, "-m", "pip", "--python", str(python)]
    subprocess.run([*pip, "install", "--no-deps", "-q", str(wheel)], check=True, capture_output=True)
    check = subprocess.run([*pip, "check"], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
    work = root / "elsewhere"
    work.mkdir()
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("ARMS_TRAINING_") and k not in ("PYTHONPATH", "VIRTUAL_ENV")
    }
    env["HOME"] = str(root / "home")  # an installed package keeps its data under XDG_DATA_HOME
    env["XDG_DATA_HOME"] = str(root / "home" / "share")
    print(f"\nwheel built and installed in {time.monotonic() - started:.1f} s", file=sys.stderr)
    yield Installed(python, venv / "bin" / "arms-training", work, env)


def test_the_installed_package_is_the_wheel_and_carries_its_content(installed):
    done = subprocess.run(
        [
            str(installed.python),
            "-c",
            "import arms_training, json; from arms_training.locations import notebook_root, shipped_library;"
            "print(json.dumps([arms_training.__file__, str(notebook_root()), str(shipped_library())]))",
        ],
        cwd=installed.work,
        env=installed.env,
        capture_output=True,
        text=True,
        check=True,
    )
    package, notebooks, library = map(Path, json.loads(done.stdout))
    site = package.parent.parent
    assert not package.is_relative_to(REPO) and package.is_relative_to(installed.python.parent.parent)
    assert (
        notebooks == site / "arms_training" / "notebooks"
        and (notebooks / "trainee" / "exercise.ipynb").is_file()
    )
    assert library == site / "arms_training" / "library"
    assert len(list((library / "answer_keys").glob("*.yaml"))) == len(
        list((REPO / "answer_keys").glob("*.yaml"))
    )
    # The keys stay outside both served folders.
    for served in ("trainee", "staff"):
        assert not (library / "answer_keys").is_relative_to(notebooks / served)
        assert not list((notebooks / served).rglob("*.yaml"))


def test_every_command_works_from_another_folder(installed):
    validate = installed.run("validate")
    assert validate.returncode == 0, validate.stdout + validate.stderr
    cases = len(list((REPO / "vignettes").glob("*.yaml")))
    assert f"{cases} vignettes, {cases} answer keys" in validate.stderr

    demo = installed.run("demo-data", "--trainees", "6", "--responses-each", "3", "--out", "demo.jsonl")
    assert demo.returncode == 0, demo.stderr
    first = (installed.work / "demo.jsonl").read_text().splitlines()[0]
    (installed.work / "one.json").write_text(first)
    score = installed.run("score", "one.json", "--format", "text")
    assert score.returncode == 0 and "Total" in score.stdout, score.stderr

    calibrate = installed.run("calibrate", "demo.jsonl", "--out", "tables")
    assert calibrate.returncode == 0, calibrate.stderr
    assert (installed.work / "tables" / "assessors.csv").is_file()


def test_serve_answers_the_trainee_page_and_stops_on_sigterm(installed):
    trainee, staff = free_port(), free_port()
    proc = subprocess.Popen(
        [str(installed.script), "serve", "--port", str(trainee), "--staff-port", str(staff)],
        cwd=installed.work,
        env=installed.env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert proc.stdout is not None
        lines = []
        for line in proc.stdout:
            lines.append(line)
            if "Press Ctrl+C to stop." in line:
                break
        assert proc.poll() is None, "".join(lines)
        with urllib.request.urlopen(
            f"http://127.0.0.1:{trainee}/voila/render/exercise.ipynb", timeout=120
        ) as page:
            assert page.status == 200
            assert "arms" in page.read().decode().lower()
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=60) == 0
