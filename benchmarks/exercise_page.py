"""Time to interactive of the trainee exercise page, against a one-button ipywidgets page.

Both pages are served by the trainee command line (``arms_training.serving.servers.trainee_server``) in
the same run and opened in headless Debian Chromium; a page is interactive when its start button
(class ``arms-start``) is visible and enabled. Three measurements:

* cold: no kernel pool, every page starts its kernel (median of --repeat pages, each in a fresh
  browser context, and again in one context whose cache is warm, as for a returning trainee);
* pooled: a pre-heated pool (``ServerSpec.pool``); goal: exercise page interactive in <= 0.5 s;
* crowd: --crowd trainees open the page at once with a pool of the same size, first as plain
  HTTP requests (the server's share: until each page's HTML is complete), then each in its own
  browser context of one Chromium; goal: every page interactive within 5 s. On a small machine
  the single Chromium booting --crowd JupyterLab front ends at once is itself the bottleneck;
  real trainees each bring their own browser.

Run from the repository root::

    .venv/bin/python benchmarks/exercise_page.py [--repeat 5] [--crowd 30]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from playwright.async_api import Error as PlaywrightError  # noqa: E402
from playwright.async_api import async_playwright  # noqa: E402
from playwright.sync_api import Browser, BrowserContext, sync_playwright  # noqa: E402

from tests.e2e.servers import (  # noqa: E402
    CHROMIUM,
    CHROMIUM_ARGS,
    RunningServer,
    chromium_problem,
    start_trainee,
    wait_for_pool,
)

BARE_ROOT = REPO / "benchmarks" / "bare"
READY = ".lm-Widget.arms-start:not([disabled])"
TIMEOUT_MS = 180_000
CROWD_TIMEOUT_MS = 120_000


def time_to_interactive(context: BrowserContext, url: str) -> tuple[float, float]:
    """Seconds until the start button is usable, and until the server finished the HTML
    (Voila streams the page while the notebook runs: the rest is the browser's work)."""
    page = context.new_page()
    try:
        start = time.perf_counter()
        page.goto(url, wait_until="commit", timeout=TIMEOUT_MS)
        page.wait_for_selector(READY, state="visible", timeout=TIMEOUT_MS)
        tti = time.perf_counter() - start
        html_done = page.evaluate("performance.getEntriesByType('navigation')[0].responseEnd / 1000")
        return tti, html_done
    finally:
        page.close()


Series = dict[str, list[tuple[float, float]]]
KINDS = ("first visit", "browser cache warm")


def series(
    browser: Browser, targets: dict[str, tuple[RunningServer, str]], repeat: int, pool: int
) -> dict[str, Series]:
    """Each page in fresh browser contexts (a first visit: nothing cached) and in one context
    visited again and again (a returning trainee: Voila's JavaScript comes from the browser
    cache). The pages take turns, so a busy moment on the machine hits both alike."""
    out: dict[str, Series] = {name: {kind: [] for kind in KINDS} for name in targets}
    warm = {name: browser.new_context() for name in targets}
    try:
        for name, (server, notebook) in targets.items():
            if pool:
                wait_for_pool(server, pool, awaits_request=name == "exercise")
            time_to_interactive(warm[name], server.render_url(notebook))  # fills the cache
        for _ in range(repeat):
            for kind in KINDS:
                for name, (server, notebook) in targets.items():
                    if pool:
                        # The pool refills in the background after each page; let it finish,
                        # so the next page meets a full pool and an idle machine.
                        wait_for_pool(server, pool, awaits_request=name == "exercise")
                    url = server.render_url(notebook)
                    if kind == "first visit":
                        context = browser.new_context()
                        try:
                            out[name][kind].append(time_to_interactive(context, url))
                        finally:
                            context.close()
                    else:
                        out[name][kind].append(time_to_interactive(warm[name], url))
    finally:
        for context in warm.values():
            context.close()
    return out


def describe(measured: list[tuple[float, float]]) -> str:
    times = [t for t, _ in measured]
    html_done = statistics.median(h for _, h in measured)
    return (
        f"median {statistics.median(times):5.2f} s (min {min(times):.2f}, "
        f"max {max(times):.2f}, n={len(times)}; HTML complete at {html_done:.2f} s)"
    )


def median(measured: list[tuple[float, float]]) -> float:
    return statistics.median(t for t, _ in measured)


def measure_series(workdir: Path, repeat: int, pool: int, extra_args: list[str]) -> tuple[Series, Series]:
    servers = []
    try:
        exercise = start_trainee(workdir, pool=pool, name=f"exercise-pool{pool}", extra_args=extra_args)
        servers.append(exercise)
        bare = start_trainee(
            workdir, root=BARE_ROOT, pool=pool, name=f"bare-pool{pool}", extra_args=extra_args
        )
        servers.append(bare)
        if pool:
            waited = [wait_for_pool(exercise, pool, awaits_request=True), wait_for_pool(bare, pool)]
            print(f"  pools of {pool} ready after {max(waited):.1f} s more")
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            try:
                got = series(
                    browser,
                    {"exercise": (exercise, "exercise.ipynb"), "bare": (bare, "one_button.ipynb")},
                    repeat,
                    pool,
                )
            finally:
                browser.close()
        return got["exercise"], got["bare"]
    finally:
        for s in servers:
            s.stop()


def report(ex: Series, bare: Series) -> None:
    for kind in ex:
        ratio = median(ex[kind]) / median(bare[kind])
        print(f"  {kind}:")
        print(f"    exercise page   {describe(ex[kind])}")
        print(f"    one-button page {describe(bare[kind])}")
        print(f"    ratio exercise / one-button: {ratio:.2f}")


async def _crowd_open(url: str, n: int) -> tuple[list[tuple[float, float]], list[str]]:
    """For each page that became interactive: seconds from the common start until it was, and
    until the server had sent its HTML; for the others, what they showed instead."""
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            contexts = [await browser.new_context() for _ in range(n)]
            pages = [await c.new_page() for c in contexts]
            start = time.perf_counter()

            async def one(page) -> tuple[float, float] | str:  # type: ignore[no-untyped-def]
                try:
                    sent = time.perf_counter() - start
                    await page.goto(url, wait_until="commit", timeout=CROWD_TIMEOUT_MS)
                    await page.wait_for_selector(READY, state="visible", timeout=CROWD_TIMEOUT_MS)
                    ready = time.perf_counter() - start
                    html_done = await page.evaluate(
                        "performance.getEntriesByType('navigation')[0].responseEnd / 1000"
                    )
                    return ready, sent + html_done
                except PlaywrightError:
                    html_end = await page.evaluate(
                        "(performance.getEntriesByType('navigation')[0] || {}).responseEnd || 0"
                    )
                    if not html_end:
                        return "the server was still sending the page's HTML"
                    return (
                        f"HTML complete after {sent + html_end / 1000:.1f} s, but the "
                        "browser had not drawn the widgets yet"
                    )

            results = await asyncio.gather(*(one(p) for p in pages))
        finally:
            await browser.close()
    return ([r for r in results if isinstance(r, tuple)], [r for r in results if isinstance(r, str)])


def _fetch_html(url: str) -> float:
    start = time.perf_counter()
    with urllib.request.urlopen(url, timeout=CROWD_TIMEOUT_MS / 1000) as resp:  # noqa: S310
        resp.read()
    return time.perf_counter() - start


def measure_crowd_http(workdir: Path, n: int, extra_args: list[str]) -> tuple[list[float], float]:
    """The server's share alone: n page requests at once over plain HTTP, each timed until its
    whole HTML (the notebook run to the end in its pre-heated kernel) has arrived."""
    server = start_trainee(workdir, pool=n, name=f"crowd-http{n}", extra_args=extra_args)
    try:
        heated = wait_for_pool(server, n, awaits_request=True, timeout=900)
        url = server.render_url("exercise.ipynb")
        with ThreadPoolExecutor(max_workers=n) as pool:
            return list(pool.map(_fetch_html, [url] * n)), heated
    finally:
        server.stop()


def measure_crowd(
    workdir: Path, n: int, extra_args: list[str]
) -> tuple[list[tuple[float, float]], list[str], float]:
    server = start_trainee(workdir, pool=n, name=f"crowd{n}", extra_args=extra_args)
    try:
        heated = wait_for_pool(server, n, awaits_request=True, timeout=900)
        times, failures = asyncio.run(_crowd_open(server.render_url("exercise.ipynb"), n))
        return times, failures, heated
    finally:
        server.stop()


def series_report(workdir: Path, repeat: int, extra_args: list[str]) -> None:
    print(
        f"Time to interactive (navigate -> start button enabled), headless Chromium, "
        f"{repeat} pages per series"
    )
    print("cold (no pool: each page starts its kernel):")
    ex_cold, bare_cold = measure_series(workdir, repeat, pool=0, extra_args=extra_args)
    report(ex_cold, bare_cold)

    pool = 2
    print(f"pre-heated pool of {pool}:")
    ex_pool, bare_pool = measure_series(workdir, repeat, pool=pool, extra_args=extra_args)
    report(ex_pool, bare_pool)
    for kind, measured in ex_pool.items():
        met = "met" if median(measured) <= 0.5 else "NOT met"
        print(f"  goal <= 0.5 s with a pool, {kind}: {met} ({median(measured):.2f} s)")


def crowd_report(workdir: Path, n: int, extra_args: list[str], *, browser: bool = True) -> None:
    print(f"{n} page requests at once over plain HTTP (the server's share), pool of {n}:")
    fetched, heated = measure_crowd_http(workdir, n, extra_args)
    print(
        f"  pool heated in {heated:.0f} s; all {n} pages' HTML complete after "
        f"{max(fetched):.2f} s (median {statistics.median(fetched):.2f}, first "
        f"{min(fetched):.2f})"
    )
    if not browser:
        return
    print(f"{n} trainees open the exercise page at once (one Chromium, {n} contexts), pool of {n}:")
    measured, failures, heated = measure_crowd(workdir, n, extra_args)
    ready = [r for r, _ in measured]
    html = [h for _, h in measured]
    within = sum(t <= 5.0 for t in ready)
    print(f"  pool heated in {heated:.0f} s after the server answered")
    if measured:
        print(
            f"  {len(ready)}/{n} interactive; the last after {max(ready):.2f} s (median "
            f"{statistics.median(ready):.2f}, first {min(ready):.2f}); {within}/{n} within 5 s"
        )
        print(f"  server HTML complete: median {statistics.median(html):.2f} s, last {max(html):.2f} s")
    for failure in failures:
        print(f"  not interactive after {CROWD_TIMEOUT_MS / 1000:.0f} s: {failure}")
    print(f"  goal: all {n} within 5 s: {'met' if within == n else 'NOT met'}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--repeat", type=int, default=5, help="pages per series (default 5; 0 skips the series)"
    )
    parser.add_argument(
        "--crowd", type=int, default=30, help="trainees opening the page at once (default 30; 0 skips it)"
    )
    parser.add_argument(
        "--http-only",
        action="store_true",
        help="measure the crowd over plain HTTP only (the server's share), not "
        "in one Chromium with a context per trainee",
    )
    parser.add_argument(
        "--voila-arg",
        action="append",
        default=[],
        metavar="ARG",
        help="append ARG to both servers' command lines, to try a setting "
        "(e.g. --voila-arg=--VoilaKernelManager.fill_delay=120)",
    )
    args = parser.parse_args(argv)
    if args.voila_arg:
        print("extra Voila arguments: " + " ".join(args.voila_arg))
    problem = chromium_problem()
    if problem:
        print(f"exercise_page: {problem}", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="arms-bench-") as tmp:
        workdir = Path(tmp)
        if args.repeat:
            series_report(workdir, args.repeat, args.voila_arg)
        if args.crowd:
            crowd_report(workdir, args.crowd, args.voila_arg, browser=not args.http_only)
    return 0


if __name__ == "__main__":
    sys.exit(main())
