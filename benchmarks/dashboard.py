"""Time the calibration dashboard on 100,000 demo responses: the import (with its progress
reports), then what a quality lead waits for after each filter change.

What is timed (wall time; the machine may be shared, so the load average is printed too):

* import   - ``Dashboard.import_path`` on a JSONL file: read and validate every line, build the
             frames chunk by chunk, score everything once (``score_frames``); also the number of
             progress reports and the longest gap between two of them (how alive the bar looks);
* filter   - for a series of filter changes, the *app's* refresh as the widgets run it
             (``CalibrationApp.refresh`` after setting a filter widget's value: the summary, the
             assessors table page as HTML and its figure as PNG), and the core part alone
             (``Dashboard`` mask + assessors table + summary). Widget messages to a browser are
             not included (a 25-row table and a ~60 kB PNG);
* tabs     - the first draw of every other tab after a filter change (table and figure);
* reliability - on request, for all 100,000 responses, with its default 500 bootstrap replicates;
* export   - preparing the CSV, XLSX and HTML downloads (reliability already computed).

    python benchmarks/dashboard.py [--responses 100000] [--each 8] [--data FILE.jsonl]
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import tempfile
import time
from datetime import date
from pathlib import Path

from arms_training.calibration.dashboard import Dashboard
from arms_training.calibration.demo_data import write_demo
from arms_training.content import load_library


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--responses", type=int, default=100_000)
    parser.add_argument("--each", type=int, default=8, help="responses per assessor")
    parser.add_argument("--data", type=Path, help="reuse (or create) this JSONL file")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    library = load_library()
    tmp = tempfile.TemporaryDirectory()
    data = args.data or Path(tmp.name) / "demo.jsonl"
    if not data.exists():
        trainees = max(1, args.responses // args.each)
        t = time.perf_counter()
        write_demo(data, trainees, args.each, seed=args.seed, library=library)
        print(
            f"generated {trainees * args.each:,} responses in {time.perf_counter() - t:.0f} s "
            "(not timed below)"
        )
    load_before = os.getloadavg()[0]

    from arms_training.ui.calibration.app import CalibrationApp

    dash = Dashboard(library)
    reports: list[float] = []
    t0 = time.perf_counter()
    report = dash.import_path(data, progress=lambda f, label: reports.append(time.perf_counter()))
    load_s = time.perf_counter() - t0
    gaps = [b - a for a, b in zip([t0, *reports], [*reports, time.perf_counter()], strict=True)]
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"import: {report.message()}")
    print(
        f"  {load_s:.1f} s wall ({dash.n_loaded / load_s:,.0f} responses/s); "
        f"{len(reports)} progress reports, longest gap {max(gaps):.1f} s; peak RSS "
        f"{rss:,.0f} MB"
    )

    t = time.perf_counter()
    app = CalibrationApp(dashboard=dash)
    print(f"app built and first view drawn on {dash.n_loaded:,} responses: {time.perf_counter() - t:.2f} s")
    d0, _ = dash.date_range()
    cohort = dash.options()["cohort"][0][1]
    session = dash.options()["session"][0][1]
    changes = [
        ("agency = police", lambda: setattr(app.selects["agency"], "value", ("police",))),
        ("+ area = North", lambda: setattr(app.selects["area"], "value", ("North",))),
        ("agency cleared", lambda: setattr(app.selects["agency"], "value", ())),
        ("+ vignette v01", lambda: setattr(app.selects["vignette"], "value", ("v01-new-partner",))),
        ("from 1 April", lambda: setattr(app.since, "value", date(d0.year, 4, 1))),
        ("filters cleared", app.reset_filters),
        (f"cohort {cohort}", lambda: setattr(app.selects["cohort"], "value", (cohort,))),
        (
            f"session {session}",
            lambda: (
                setattr(app.selects["cohort"], "value", ()),
                setattr(app.selects["session"], "value", (session,)),
            ),
        ),
        (
            "to 30 June",
            lambda: (
                setattr(app.selects["session"], "value", ()),
                setattr(app.until, "value", date(d0.year, 6, 30)),
            ),
        ),
        ("filters cleared", app.reset_filters),
    ]
    print(f"filter changes (all {dash.n_loaded:,} responses loaded; load average {os.getloadavg()[0]:.1f}):")
    print(f"  {'change':<22}{'matching':>10}{'app refresh s':>15}{'core s':>9}")
    walls, cores = [], []
    for label, change in changes:
        change()
        wall = app.last_refresh
        dash._cache.clear()  # the core part again, without the cache the app just filled
        t = time.perf_counter()
        dash.view("assessors")
        dash.summary()
        core = time.perf_counter() - t
        walls.append(wall)
        cores.append(core)
        print(f"  {label:<22}{len(dash.subset()):>10,}{wall:>15.2f}{core:>9.2f}")
    print(
        f"  app refresh: median {statistics.median(walls):.2f} s, max {max(walls):.2f} s; "
        f"core: median {statistics.median(cores):.2f} s, max {max(cores):.2f} s"
    )

    app.selects["agency"].value = ("probation",)
    print("first draw of each tab after a filter change (agency = probation):")
    for i, view in enumerate(app.views[1:], 1):
        if view.name == "reliability":
            continue
        app.tabs.selected_index = i
        print(f"  {view.name:<12}{view.seconds:>8.2f} s")
    app.reset_filters()
    app.tabs.selected_index = 2
    rel = app.views[2]
    t = time.perf_counter()
    rel.run()
    print(
        f"reliability on request, all {dash.n_loaded:,} responses, "
        f"{dash.state.settings.n_boot} bootstrap replicates: {time.perf_counter() - t:.1f} s"
    )
    t = time.perf_counter()
    app.export()
    print(
        f"export (CSV, XLSX, HTML report) for all responses: {time.perf_counter() - t:.1f} s, "
        f"{len(app.downloads.value) / 1e6:.1f} MB of links"
    )
    print(
        f"load average {load_before:.1f} at the start, {os.getloadavg()[0]:.1f} at the end; "
        f"{os.cpu_count()} CPUs"
    )


if __name__ == "__main__":
    main()
