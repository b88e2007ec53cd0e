"""More than one machine, tested: nginx (Debian's, with the shipped configuration) in front of
two trainee Voila servers and one staff server sharing one PostgreSQL. A trainer's session on
the staff server receives submissions from trainees served by both trainee servers, and the
live view shows them all; a page's kernel websocket reaches the server that rendered it (the
page could not work otherwise), over TLS, by host name.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from playwright.sync_api import BrowserContext, expect, sync_playwright

from arms_training.content import load_library
from arms_training.serving.servers import staff_server, trainee_server
from tests.deploy.nginx import STAFF_HOST, TRAINEE_HOST, Nginx, nginx_problem, start_nginx
from tests.e2e.pages import ACTION_TIMEOUT, PAGE_TIMEOUT, V01_RATINGS, ExercisePage
from tests.e2e.servers import (
    CHROMIUM,
    CHROMIUM_ARGS,
    RunningServer,
    chromium_problem,
    free_port,
    kernel_processes,
    start_server,
)
from tests.pg import temporary_schema

pytestmark = [pytest.mark.e2e, pytest.mark.postgres, pytest.mark.slow]

CASE = "v01-new-partner"
LIVE_TIMEOUT = 30_000


@dataclass
class Deployment:
    trainees: list[RunningServer]
    staff: RunningServer
    nginx: Nginx
    db_url: str


@pytest.fixture(scope="module")
def deployment(pg_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    for problem in (nginx_problem(), chromium_problem()):
        if problem:
            if __import__("os").environ.get("CI", "").lower() in ("true", "1"):
                pytest.fail(f"CI=true and {problem}", pytrace=False)
            pytest.skip(problem)
    work = tmp_path_factory.mktemp("deploy")
    with temporary_schema(pg_url) as db_url:
        shared = {"ARMS_TRAINING_DB_URL": db_url}
        started: list[RunningServer] = []
        nginx = None
        try:
            for name in ("trainee-a", "trainee-b"):
                spec = trainee_server(port=free_port(), client_address_header="X-Real-IP")
                started.append(
                    start_server(spec, data_dir=work / name, log_path=work / f"{name}.log", extra_env=shared)
                )
            nginx_port = free_port()
            public = f"https://{TRAINEE_HOST}:{nginx_port}/voila/render/exercise.ipynb"
            staff = start_server(
                staff_server(port=free_port(), token=secrets.token_urlsafe(18)),
                data_dir=work / "staff",
                log_path=work / "staff.log",
                extra_env={**shared, "ARMS_TRAINING_TRAINEE_URL": public},
            )
            started.append(staff)
            nginx = start_nginx(
                work / "nginx",
                trainees=[s.spec.port for s in started[:2]],
                staff=staff.spec.port,
                port=nginx_port,
            )
            yield Deployment(started[:2], staff, nginx, db_url)
        finally:
            if nginx is not None:
                nginx.stop()
            for server in started:
                server.stop()


def _contexts(playwright) -> Iterator[BrowserContext]:
    browser = playwright.chromium.launch(
        executable_path=str(CHROMIUM),
        headless=True,
        args=[
            *CHROMIUM_ARGS,
            f"--host-resolver-rules=MAP {TRAINEE_HOST} 127.0.0.1, MAP {STAFF_HOST} 127.0.0.1",
        ],
    )
    try:
        while True:
            yield browser.new_context(ignore_https_errors=True, viewport={"width": 1366, "height": 900})
    finally:
        browser.close()


def _submit_quick(ex: ExercisePage, code: str, trainee_id: str) -> None:
    """From the start screen of session ``code``: start, rate, prioritise, submit."""
    expect(ex.cls("arms-start-note")).to_contain_text(f"Training session {code}")
    ex.page.locator(".arms-trainee-id input").fill(trainee_id)
    ex.choose("arms-agency", "Police")
    ex.fill_text("arms-role", "offender manager")
    ex.cls("arms-start").click()
    expect(ex.cls("arms-stage-bar")).to_be_visible(timeout=ACTION_TIMEOUT)
    ex.go("rate")
    for factor, value in V01_RATINGS.items():
        ex.rate(factor, value)
    ex.go("prioritise")
    ex.prioritise(["opportunity", "intimate_relationships"], "Medium")
    expect(ex.cls("arms-missing")).to_contain_text("you can submit", timeout=ACTION_TIMEOUT)
    ex.submit()


def test_a_session_on_the_staff_server_sees_trainees_of_both_trainee_servers(deployment: Deployment):
    nginx = deployment.nginx
    title = load_library().vignettes[CASE].title
    with sync_playwright() as playwright:
        contexts = _contexts(playwright)
        trainer_page = next(contexts).new_page()
        trainer_page.goto(
            nginx.url(STAFF_HOST, f"/voila/render/session.ipynb?token={deployment.staff.token}")
        )
        start = trainer_page.locator(".jupyter-widgets.arms-session-start")
        expect(start).to_be_enabled(timeout=PAGE_TIMEOUT)
        trainer_page.locator(".arms-session-cases select").select_option(label=f"{title} ({CASE})")
        trainer_page.locator(".arms-session-mode button", has_text="Quick").click()
        trainer_page.locator(".arms-session-names button", has_text="Show pseudonyms").click()
        start.click()
        code_box = trainer_page.locator(".arms-session-banner .arms-session-code")
        expect(code_box).to_have_text(re.compile(r"^\s*[A-Z0-9]{4,8}\s*$"), timeout=ACTION_TIMEOUT)
        code = code_box.inner_text().strip()
        join = trainer_page.locator(".arms-session-banner a").get_attribute("href")
        assert join == nginx.url(TRAINEE_HOST, f"/voila/render/exercise.ipynb?session={code}")

        # New browsers are spread over the two servers: open pages, each in a browser of its
        # own, until both servers have rendered one; each page's kernel is on the server that
        # rendered it (its websocket went there through nginx, or the page would not work).
        on_server: dict[int, ExercisePage] = {}
        for _attempt in range(12):
            before = [len(kernel_processes(s)) for s in deployment.trainees]
            ex = ExercisePage(next(contexts).new_page(), join).open()
            after = [len(kernel_processes(s)) for s in deployment.trainees]
            (which,) = [i for i in range(2) if after[i] > before[i]]
            on_server.setdefault(which, ex)
            if len(on_server) == 2:
                break
        assert len(on_server) == 2, "nginx sent every new browser to the same server"

        ids = {}
        for which, ex in sorted(on_server.items()):
            ids[which] = f"pc-server-{'ab'[which]}"
            _submit_quick(ex, code, ids[which])
            expect(ex.page.locator(".arms-msg-error")).to_have_count(0)

        counts = trainer_page.locator(".arms-session-counts tr", has_text="Submitted")
        expect(counts).to_contain_text("2", timeout=LIVE_TIMEOUT)
        people = trainer_page.locator(".jupyter-widgets.arms-session-people-box")
        for trainee_id in ids.values():
            expect(people).to_contain_text(trainee_id, timeout=LIVE_TIMEOUT)
        contexts.close()  # before Playwright's loop stops


def test_the_kernel_limit_counts_browsers_not_the_proxy(deployment: Deployment):
    """nginx sets X-Real-IP; the trainee servers count by it, so the proxy's single address
    does not make the whole room one client."""
    log = deployment.nginx.root / "arms-training.conf"
    assert "proxy_set_header X-Real-IP $remote_addr;" in log.read_text()
    assert all(s.spec.client_address_header == "X-Real-IP" for s in deployment.trainees)
