"""Fixtures for the browser suite: real Voila servers (the ``arms-training serve`` command lines)
and Debian's Chromium driven by pytest-playwright.

Servers are module-scoped: a Voila start costs about five seconds, and each test opens its own
page (its own kernel) anyway. Without /usr/bin/chromium the browser tests are skipped, except on
CI (``CI=true``), where they fail: a CI run that silently skipped the browser proves nothing.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from .servers import (
    CHROMIUM,
    CHROMIUM_ARGS,
    RunningServer,
    chromium_problem,
    start_staff,
    start_trainee,
    wait_for_pool,
)

FIXTURES = Path(__file__).parent / "fixtures"
REPO = Path(__file__).resolve().parents[2]
RESULTS = REPO / "test-results"  # gitignored


def _on_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("true", "1")


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict) -> dict:
    """Debian's chromium with the flags that work here; never Playwright's downloaded browsers."""
    problem = chromium_problem()
    if problem is not None:
        if _on_ci():
            pytest.fail(f"CI=true and {problem}", pytrace=False)
        print(f"\nskipping browser tests: {problem}", file=sys.stderr)
        pytest.skip(problem)
    return {
        **browser_type_launch_args,
        "executable_path": str(CHROMIUM),
        "args": CHROMIUM_ARGS,
        "headless": True,
    }


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict) -> dict:
    return {**browser_context_args, "viewport": {"width": 1400, "height": 1000}}


@pytest.fixture(scope="session")
def results_dir() -> Path:
    RESULTS.mkdir(exist_ok=True)
    return RESULTS


def _serve(server: RunningServer) -> Iterator[RunningServer]:
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def trainee(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    """The trainee Voila on notebooks/trainee with a fresh SQLite store."""
    yield from _serve(start_trainee(tmp_path_factory.mktemp("trainee")))


@pytest.fixture(scope="module")
def pooled_trainee(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    """The trainee Voila with a pre-heated pool of two kernels, heated before it is used."""
    server = start_trainee(tmp_path_factory.mktemp("pooled"), pool=2, name="pooled")
    try:
        wait_for_pool(server, 2, awaits_request=True)
    except TimeoutError:
        server.stop()
        raise
    yield from _serve(server)


@pytest.fixture(scope="module")
def staff(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    """The token-protected staff Voila on notebooks/staff."""
    yield from _serve(start_staff(tmp_path_factory.mktemp("staff")))


@pytest.fixture(scope="module")
def boom(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    """The trainee settings serving tests/e2e/fixtures/boom: pages whose code fails."""
    yield from _serve(start_trainee(tmp_path_factory.mktemp("boom"), root=FIXTURES / "boom", name="boom"))
