"""Memory of one trainee's kernel, against the kernel of a one-button ipywidgets page.

Kernel memory is the budget of a training session (one kernel per open page). Both pages are
served by the trainee command line in the same run and opened in headless Debian Chromium; once
the start button is usable, the kernel (the Voila server's ``ipykernel`` child) is read from
/proc: VmRSS, and the private part (Private_Clean + Private_Dirty of smaps_rollup), which is
what each extra trainee really costs. Goal: exercise kernel RSS <= 1.3 x the bare kernel's.

Both ways of serving are measured: kernels started per page (no pool) and kernels from a
pre-heated pool (``ServerSpec.pool``), where the notebook waits for the request. For
information the exercise kernel is read again with a case open (still before submission) and
after a quick exercise is submitted (the feedback imports matplotlib).

Run from the repository root::

    .venv/bin/python benchmarks/kernel_memory.py
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from playwright.sync_api import Browser, Page, sync_playwright  # noqa: E402

from tests.e2e.pages import V01_RATINGS, ExercisePage, WsRecorder  # noqa: E402
from tests.e2e.servers import (  # noqa: E402
    CHROMIUM,
    CHROMIUM_ARGS,
    RunningServer,
    chromium_problem,
    kernel_processes,
    start_trainee,
    wait_for_pool,
)

BARE_ROOT = REPO / "benchmarks" / "bare"
MB = 1024 * 1024


def proc_memory(pid: int) -> dict[str, int]:
    """VmRSS and the private bytes of a process, from /proc."""
    out = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            out["rss"] = int(line.split()[1]) * 1024
    private = 0
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
        if line.startswith(("Private_Clean:", "Private_Dirty:")):
            private += int(line.split()[1]) * 1024
    out["private"] = private
    return out


def page_kernel(server: RunningServer, recorder: WsRecorder) -> int:
    """The pid of the kernel the page talks to: its id is in the page's websocket URL and in the
    kernel's connection-file name on its command line."""
    kernel_id = next(
        u.split("/api/kernels/")[1].split("/")[0] for u in recorder.sockets if "/api/kernels/" in u
    )
    for k in kernel_processes(server):
        if any(kernel_id in part for part in k.cmdline()):
            return k.pid
    raise RuntimeError(f"no kernel process for {kernel_id}")


def settled(pid: int, seconds: float = 2.0) -> dict[str, int]:
    """Memory once the kernel has been idle a moment (the page's last messages handled)."""
    time.sleep(seconds)
    return proc_memory(pid)


def open_page(browser: Browser, url: str) -> tuple[Page, WsRecorder]:
    page = browser.new_context().new_page()
    recorder = WsRecorder().attach(page)
    ExercisePage(page, url).open()
    return page, recorder


def fmt(mem: dict[str, int]) -> str:
    return f"RSS {mem['rss'] / MB:6.1f} MB, private {mem['private'] / MB:6.1f} MB"


def measure(browser: Browser, workdir: Path, pool: int) -> dict[str, dict[str, int]]:
    exercise = start_trainee(workdir, pool=pool, name=f"exercise-pool{pool}")
    bare = start_trainee(workdir, root=BARE_ROOT, pool=pool, name=f"bare-pool{pool}")
    out = {}
    try:
        if pool:
            wait_for_pool(exercise, pool, awaits_request=True)
            wait_for_pool(bare, pool)
            # What each kernel waiting in the pool holds and has spent, before any request.
            for name, server in (("waiting exercise", exercise), ("waiting bare", bare)):
                k = kernel_processes(server)[0]
                out[name] = {**settled(k.pid), "cpu": sum(k.cpu_times()[:2])}
        _, recorder = open_page(browser, bare.render_url("one_button.ipynb"))
        out["bare"] = settled(page_kernel(bare, recorder))
        page, recorder = open_page(browser, exercise.render_url("exercise.ipynb"))
        pid = page_kernel(exercise, recorder)
        out["exercise"] = settled(pid)
        if pool == 0:
            ex = ExercisePage(page, exercise.render_url("exercise.ipynb"))
            ex.start("memory-bench", "Police", "v02-online-images", mode="quick")
            ex.go("rate")
            for factor, value in V01_RATINGS.items():
                ex.rate(factor, value)
            out["case open"] = settled(pid)
            ex.go("prioritise")
            ex.prioritise(["opportunity"], "Medium")
            ex.submit()
            out["submitted"] = settled(pid)
    finally:
        exercise.stop()
        bare.stop()
    return out


def report(title: str, m: dict[str, dict[str, int]]) -> None:
    bare, ex = m["bare"], m["exercise"]
    rss_ratio = ex["rss"] / bare["rss"]
    print(title)
    print(f"  one-button ipywidgets kernel:      {fmt(bare)}")
    print(f"  exercise kernel, page interactive: {fmt(ex)}")
    print(
        f"  ratio exercise / one-button: RSS {rss_ratio:.2f}, private {ex['private'] / bare['private']:.2f}"
    )
    print(f"  goal RSS ratio <= 1.3: {'met' if rss_ratio <= 1.3 else 'NOT met'}")
    for key, label in (
        ("waiting bare", "one-button kernel waiting in the pool:"),
        ("waiting exercise", "exercise kernel waiting in the pool:  "),
    ):
        if key in m:
            print(f"  {label} {fmt(m[key])}, {m[key]['cpu']:.2f} s CPU spent")
    for key, label in (
        ("case open", "a case open, 11 factors rated:    "),
        ("submitted", "after submitting (feedback shown):"),
    ):
        if key in m:
            print(f"  for information, {label} {fmt(m[key])} (x{m[key]['rss'] / bare['rss']:.2f} RSS)")


def main() -> int:
    problem = chromium_problem()
    if problem:
        print(f"kernel_memory: {problem}", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="arms-bench-") as tmp, sync_playwright() as pw:
        workdir = Path(tmp)
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            cold = measure(browser, workdir, pool=0)
            pooled = measure(browser, workdir, pool=1)
        finally:
            browser.close()
    print("Trainee kernel memory, read from /proc once the page is interactive")
    report("kernel started for the page (no pool):", cold)
    report("kernel from a pre-heated pool (--pool):", pooled)
    return 0


if __name__ == "__main__":
    sys.exit(main())
