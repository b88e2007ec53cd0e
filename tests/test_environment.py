"""Do environment.yml and pyproject.toml list the same packages with the same lower bounds?"""

from __future__ import annotations

import re
import tomllib

import yaml

from tests.factories import REPO

# conda-forge names where they differ from PyPI's (psycopg's binary extra is built in there).
CONDA_NAME = {"psycopg[binary]": "psycopg"}


def _split(spec: str) -> tuple[str, str]:
    m = re.match(r"^\s*([A-Za-z0-9_.\-\[\]]+)\s*(.*)$", spec)
    name, constraint = m.group(1).lower(), m.group(2).replace(" ", "")
    return CONDA_NAME.get(name, name), constraint


def test_environment_mirrors_pyproject():
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    pip_specs = project["dependencies"] + project["optional-dependencies"]["test"]
    expected = dict(_split(s) for s in pip_specs)
    env = yaml.safe_load((REPO / "environment.yml").read_text())
    assert env["channels"] == ["conda-forge"]
    conda = dict(_split(s) for s in env["dependencies"] if isinstance(s, str))
    python = conda.pop("python")
    conda.pop("pip", None)
    assert python == "=3.11", "environment.yml pins python"
    assert conda == expected


def test_python_requirement_admits_the_pinned_python():
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    assert project["requires-python"].startswith(">=3.11")
