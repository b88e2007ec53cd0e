"""Forty trainees submitting at once to one SQLite store: latency, and nothing lost or doubled.

Each writer is a separate process, as each Voila page is its own kernel process. A writer opens
its own Store, waits at a barrier with the others, then for each of its responses autosaves the
draft ``--autosaves`` times and submits it (and, for every fifth response, submits it again as a
double click would), pausing a random 0..2x``--pause`` seconds after each call. Latencies are
measured around each store call.

The default pause (0.25 s) still has each writer write about four times a second, forty to a
hundred times what a person typing does; ``--pause 0`` is a stress test with every process
writing back to back, which on a small machine measures CPU scheduling as much as the store.

    python benchmarks/store_submit.py                      # 40 writers x 25 responses
    python benchmarks/store_submit.py --pause 0            # stress: no pauses at all
    python benchmarks/store_submit.py --writers 80 --responses 10 --url postgresql+psycopg://...

Goal: submission p95 <= 100 ms and no response lost or duplicated. Exit status 1 otherwise.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

GOAL_P95_MS = 100.0


def _writer(
    url: str, code: str, n: int, responses: int, autosaves: int, pause: float, barrier, results
) -> None:
    import random

    from arms_training.responses import Trainee, new_response
    from arms_training.store import Store, StoreError

    timings: dict[str, list[float]] = {"draft": [], "submit": []}
    created: list[tuple[str, bool]] = []
    errors: list[str] = []
    batch = []
    try:
        store = Store(url)
        trainee = Trainee(id=f"bench-{n:03d}", agency="police" if n % 2 else "probation")
        for i in range(responses):
            r = new_response(trainee, f"vignette-{i % 6}", 1, "arms-2018", session_code=code)
            r.ratings = {f"factor_{k}": k % 4 for k in range(12)}
            r.notes = {f"factor_{k}": "Observed in the interview record. " * 6 for k in range(6)}
            batch.append(r)
        barrier.wait(timeout=300)
        for i, r in enumerate(batch):
            for _ in range(autosaves):
                started = time.perf_counter()
                try:
                    store.save_draft(r)
                    timings["draft"].append(time.perf_counter() - started)
                except StoreError as exc:
                    errors.append(f"draft: {exc}")
                time.sleep(random.uniform(0, 2 * pause))
            for _attempt in range(2 if i % 5 == 0 else 1):
                score = {"total": 50.0 + i, "components": {"ratings": 0.75}}
                started = time.perf_counter()
                try:
                    result = store.submit(r, score=score, key_version=1, framework_version="1")
                    timings["submit"].append(time.perf_counter() - started)
                    created.append((result.response_id, result.created))
                except StoreError as exc:
                    errors.append(f"submit: {exc}")
                time.sleep(random.uniform(0, 2 * pause))
        store.close()
    except BaseException as exc:  # reported, never lost in a child process
        errors.append(f"{type(exc).__name__}: {exc}")
    finally:
        results.put((n, [str(r.response_id) for r in batch], timings, created, errors))


def _ms(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return 1000 * ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--writers", type=int, default=40)
    parser.add_argument("--responses", type=int, default=25, help="per writer")
    parser.add_argument("--autosaves", type=int, default=2, help="draft saves per response")
    parser.add_argument(
        "--pause",
        type=float,
        default=0.25,
        help="mean seconds a writer pauses after each call (0: stress test)",
    )
    parser.add_argument("--url", help="store URL (default: a new SQLite file in a temp dir)")
    parser.add_argument(
        "--start-method",
        default="spawn",
        choices=mp.get_all_start_methods(),
        help="spawn (default) starts a fresh interpreter per writer, like a kernel",
    )
    args = parser.parse_args(argv)

    tmp = None
    url = args.url
    if url is None:
        tmp = tempfile.TemporaryDirectory(prefix="arms-bench-")
        url = f"sqlite:///{Path(tmp.name) / 'arms-training.sqlite'}"
    from arms_training.store import Store

    Store(url).close()  # create the schema once, as the first kernel would

    load = os.getloadavg()[0]
    code = f"B{os.getpid() % 100000:05d}"  # this run's rows only, when --url is reused
    ctx = mp.get_context(args.start_method)
    barrier, results = ctx.Barrier(args.writers + 1), ctx.Queue()
    procs = [
        ctx.Process(
            target=_writer, args=(url, code, n, args.responses, args.autosaves, args.pause, barrier, results)
        )
        for n in range(args.writers)
    ]
    for p in procs:
        p.start()
    barrier.wait(timeout=300)  # every writer has imported, opened its store and built its responses
    started = time.perf_counter()
    reports = [results.get() for _ in procs]
    wall = time.perf_counter() - started
    for p in procs:
        p.join()

    draft = [t for _, _, timings, _, _ in reports for t in timings["draft"]]
    submit = [t for _, _, timings, _, _ in reports for t in timings["submit"]]
    created = Counter()
    for _, _, _, pairs, _ in reports:
        for rid, was_created in pairs:
            created[rid] += was_created
    expected = {rid for _, ids, _, _, _ in reports for rid in ids}
    errors = [e for *_, errs in reports for e in errs]
    with Store(url) as store:
        stored = [str(r["response_id"]) for r in store.submission_rows(session_code=code)]
        backend = store.dialect
    lost = len(expected - set(stored))
    duplicated = (len(stored) - len(set(stored))) + sum(1 for c in created.values() if c > 1)

    print(
        f"backend {backend}, {args.writers} writer processes x {args.responses} responses "
        f"x {args.autosaves} autosaves, pause {args.pause:g} s; {os.cpu_count()} CPUs, "
        f"load average at start {load:.1f}, Python {sys.version.split()[0]}"
    )
    print(f"wall {wall:.2f} s, {len(submit) / wall:.0f} submits/s, {len(draft) / wall:.0f} draft saves/s")
    for name, values in (("submit", submit), ("draft", draft)):
        print(
            f"{name:6} n={len(values):5}  p50 {_ms(values, 0.50):7.1f} ms  "
            f"p95 {_ms(values, 0.95):7.1f} ms  max {_ms(values, 1.0):7.1f} ms  "
            f"mean {1000 * statistics.fmean(values) if values else float('nan'):6.1f} ms"
        )
    print(
        f"responses {len(expected)}, stored {len(stored)}, lost {lost}, duplicated "
        f"{duplicated}, errors {len(errors)}"
    )
    for e in errors[:5]:
        print("  error:", e)
    ok = lost == 0 and duplicated == 0 and not errors and _ms(submit, 0.95) <= GOAL_P95_MS
    print(f"goal (submit p95 <= {GOAL_P95_MS:.0f} ms, none lost or duplicated): {'met' if ok else 'NOT met'}")
    if tmp is not None:
        tmp.cleanup()
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
