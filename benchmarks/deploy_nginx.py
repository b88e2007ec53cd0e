"""Submissions per second through nginx (the shipped deploy/nginx configuration) with two trainee
Voila servers sharing one PostgreSQL, against the same room submitting to one server directly.

N trainees (browsers of their own, Debian's Chromium) open the exercise in a session, rate and
prioritise (quick mode), and wait on the Submit button; then every Submit is clicked at once and
the clock runs until the store holds all N submissions. Each submission is the whole path: the
click down the page's websocket (through nginx and its sticky routing, or straight to the
server), scoring in the page's kernel, and the write to PostgreSQL. Prints the figures.

    .venv/bin/python benchmarks/deploy_nginx.py            # 8 trainees
    .venv/bin/python benchmarks/deploy_nginx.py --trainees 12
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from playwright.sync_api import expect, sync_playwright  # noqa: E402

from arms_training.serving.servers import trainee_server  # noqa: E402
from arms_training.store import Store  # noqa: E402
from tests.deploy.nginx import STAFF_HOST, TRAINEE_HOST, start_nginx  # noqa: E402
from tests.e2e.pages import ACTION_TIMEOUT, V01_RATINGS, ExercisePage  # noqa: E402
from tests.e2e.servers import CHROMIUM, CHROMIUM_ARGS, free_port, kernel_processes, start_server  # noqa: E402
from tests.pg import temporary_cluster, temporary_schema  # noqa: E402


def ready_to_submit(ex: ExercisePage, code: str, trainee_id: str) -> None:
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


def room(browser, url: str, db_url: str, n: int, label: str) -> tuple[float, int]:
    """Seconds from the first click until all ``n`` submissions are stored."""
    with Store(db_url) as store:
        code = store.create_session(["v01-new-partner"], mode="quick", trainer="bench").code
        pages = []
        for i in range(n):
            context = browser.new_context(ignore_https_errors=True, viewport={"width": 1366, "height": 900})
            ex = ExercisePage(context.new_page(), url).open(f"?session={code}")
            ready_to_submit(ex, code, f"{label}-{i:02d}")
            pages.append(ex)
        start = time.perf_counter()
        for ex in pages:
            ex.cls("arms-submit").click(no_wait_after=True)
        deadline = start + 180
        while (done := len(store.submitted_responses(session_code=code))) < n:
            if time.perf_counter() > deadline:
                raise RuntimeError(f"{label}: only {done} of {n} submissions stored after 180 s")
            pages[0].page.wait_for_timeout(20)  # lets Playwright deliver the pages' events
        seconds = time.perf_counter() - start
        for ex in pages:
            ex.page.context.close()
    return seconds, n


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--trainees", type=int, default=8)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="arms-bench-deploy-"))
    with temporary_cluster() as cluster, temporary_schema(cluster.url) as db_url:
        env = {"ARMS_TRAINING_DB_URL": db_url}
        servers = [
            start_server(
                trainee_server(
                    port=free_port(),
                    max_kernels=0,
                    max_kernels_per_client=0,
                    client_address_header="X-Real-IP",
                ),
                data_dir=work / name,
                log_path=work / f"{name}.log",
                extra_env=env,
            )
            for name in ("a", "b")
        ]
        nginx = start_nginx(work / "nginx", trainees=[s.spec.port for s in servers], staff=free_port())
        rules = f"--host-resolver-rules=MAP {TRAINEE_HOST} 127.0.0.1, MAP {STAFF_HOST} 127.0.0.1"
        try:
            with sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=[*CHROMIUM_ARGS, rules])
                direct_s, n = room(
                    browser, servers[0].render_url("exercise.ipynb"), db_url, args.trainees, "direct"
                )
                before = [len(kernel_processes(s)) for s in servers]
                proxied_s, _ = room(
                    browser,
                    nginx.url(TRAINEE_HOST, "/voila/render/exercise.ipynb"),
                    db_url,
                    args.trainees,
                    "nginx",
                )
                spread = [len(kernel_processes(s)) - b for s, b in zip(servers, before, strict=True)]
                browser.close()
        finally:
            nginx.stop()
            for s in servers:
                s.stop()
    print(f"{n} trainees submitting at once (quick mode, scored in their kernels, stored in PostgreSQL)")
    print(f"  one server, direct:          {direct_s:6.2f} s  {n / direct_s:6.1f} submissions/s")
    print(
        f"  two servers through nginx:   {proxied_s:6.2f} s  {n / proxied_s:6.1f} submissions/s "
        f"(pages per server {spread[0]} + {spread[1]})"
    )
    print(f"  ratio (nginx, two servers / one server): {direct_s / proxied_s:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
