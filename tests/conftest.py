"""Shared fixtures. The store ones run each store test on a real SQLite file and on a real
PostgreSQL: ``ARMS_TEST_PG_URL`` if set, else a throwaway cluster started from Debian's binaries
(tests/pg.py). Without the binaries PostgreSQL tests are skipped, except on CI (``CI=true``),
where they fail: a CI run that silently skipped PostgreSQL would prove nothing about it.

Tests leave no trace: before anything is imported, HOME, the XDG folders, Jupyter's and
IPython's and matplotlib's folders and ARMS_TRAINING_DATA point into one temporary sandbox for
the whole run (every server, kernel and command the tests start inherits it), removed at the
end; the run fails if the checkout's data/ or the real home's Jupyter, IPython or matplotlib
folders changed meanwhile."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from arms_training.store import Store

from .pg import PostgresUnavailable, find_bindir, temporary_cluster, temporary_schema

# Set before any test module imports the apps (their log file is placed at import).
SANDBOX = Path(tempfile.mkdtemp(prefix="arms-tests-"))
REAL_HOME = Path.home()
_SANDBOXED = {
    "HOME": "home",
    "XDG_DATA_HOME": "home/.local/share",
    "XDG_CONFIG_HOME": "home/.config",
    "XDG_CACHE_HOME": "home/.cache",
    "JUPYTER_CONFIG_DIR": "home/.jupyter",
    "JUPYTER_DATA_DIR": "home/.local/share/jupyter",
    "JUPYTER_RUNTIME_DIR": "home/.local/share/jupyter/runtime",
    "IPYTHONDIR": "home/.ipython",
    "MPLCONFIGDIR": "home/.config/matplotlib",
    "ARMS_TRAINING_DATA": "data",
}
for _name, _sub in _SANDBOXED.items():
    (SANDBOX / _sub).mkdir(parents=True, exist_ok=True)
    os.environ[_name] = str(SANDBOX / _sub)


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    """A PostgreSQL database URL for the whole test run."""
    env = os.environ.get("ARMS_TEST_PG_URL")
    if env:
        yield env
        return
    try:
        find_bindir()
    except PostgresUnavailable as exc:
        if os.environ.get("CI", "").lower() in ("true", "1"):
            pytest.fail(f"CI=true and {exc}", pytrace=False)
        pytest.skip(str(exc))
    with temporary_cluster() as cluster:
        yield cluster.url


@pytest.fixture
def pg_schema_url(pg_url: str) -> Iterator[str]:
    """A URL for an empty schema of its own in the test PostgreSQL database."""
    with temporary_schema(pg_url) as url:
        yield url


@pytest.fixture
def sqlite_url(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'arms-training.sqlite'}"


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def store_url(request) -> str:
    """An empty database on each backend in turn."""
    fixture = "sqlite_url" if request.param == "sqlite" else "pg_schema_url"
    return request.getfixturevalue(fixture)


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    with Store(store_url) as opened:
        yield opened


def pytest_collection_modifyitems(config, items):
    # Playwright's sync API leaves an event loop running in the main thread once a browser test
    # has run, and any later test that starts its own loop (asyncio.run) then fails: browser
    # tests go last. The sort is stable, so the order within each group is kept.
    items.sort(key=lambda item: item.nodeid.startswith(("tests/e2e/", "tests/deploy/test_nginx.py")))


# -- no trace ---------------------------------------------------------------------------------

REPO = Path(__file__).resolve().parent.parent
WATCHED = [
    REPO / "data",
    REAL_HOME / ".local" / "share" / "jupyter",
    REAL_HOME / ".ipython",
    REAL_HOME / ".cache" / "matplotlib",
    REAL_HOME / ".local" / "share" / "arms-training",
]


def _snapshot() -> dict[str, tuple[int, int]]:
    seen = {}
    for root in WATCHED:
        if not root.exists():
            continue
        for path in [root, *root.rglob("*")]:
            try:
                st = path.lstat()
            except OSError:
                continue
            seen[str(path)] = (st.st_mtime_ns, st.st_size)
    return seen


_BEFORE: dict[str, tuple[int, int]] = {}


def _on_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("true", "1")


def pytest_configure(config):
    _BEFORE.update(_snapshot())


def pytest_sessionfinish(session, exitstatus):
    after = _snapshot()
    changed = sorted(p for p in set(after) | set(_BEFORE) if after.get(p) != _BEFORE.get(p))
    if changed:
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        message = "tests wrote outside their sandbox:\n  " + "\n  ".join(changed[:20])
        # The checkout's data/ is this checkout's alone; the home folder is shared with whatever
        # else runs on a developer's machine (another checkout's tests, a notebook), so a change
        # there fails the run only on CI, where nothing else runs.
        fatal = any(Path(p).is_relative_to(REPO / "data") for p in changed) or _on_ci()
        if reporter is not None:
            reporter.write_line(message + ("" if fatal else "\n  (not fatal outside CI)"), red=fatal)
        if fatal:
            session.exitstatus = 1
    shutil.rmtree(SANDBOX, ignore_errors=True)
