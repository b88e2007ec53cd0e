"""Shared fixtures. The store ones run each store test on a real SQLite file and on a real
PostgreSQL: ``ARMS_TEST_PG_URL`` if set, else a throwaway cluster started from Debian's binaries
(tests/pg.py). Without the binaries PostgreSQL tests are skipped, except on CI (``CI=true``),
where they fail: a CI run that silently skipped PostgreSQL would prove nothing about it."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from arms_training.store import Store

from .pg import PostgresUnavailable, find_bindir, temporary_cluster, temporary_schema


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
    items.sort(key=lambda item: item.nodeid.startswith("tests/e2e/"))
