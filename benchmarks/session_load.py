"""Load test of a joint session: N participants submit within a minute while the live view polls.

Each participant is its own process with its own Store (as each Voila page is its own kernel):
it joins, autosaves two drafts, scores its response with the shared scoring module and submits
at a random moment within ``--spread`` seconds. Meanwhile the trainer's SessionApp refreshes every
``--interval`` seconds, as its timer would, and each refresh's work (CPU seconds of this process,
and wall seconds) is recorded.

Prints the figures and exits 1 if a response, join or draft was lost or a refresh took more than
``--budget`` CPU seconds.

    .venv/bin/python benchmarks/session_load.py                 # 30 participants, 60 s
    .venv/bin/python benchmarks/session_load.py --spread 15     # quicker run
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from arms_training.content import load_library  # noqa: E402
from arms_training.framework import INSUFFICIENT, framework_by_id  # noqa: E402
from arms_training.responses import PlanAction, Trainee, new_response  # noqa: E402
from arms_training.session.room import attendance, summarise  # noqa: E402
from arms_training.store import Store  # noqa: E402


def simulated_response(i: int, code: str, vid: str, mode: str, rng: random.Random):
    lib = load_library()
    key, v = lib.keys[vid], lib.vignettes[vid]
    fw = framework_by_id(v.framework)
    trainee = Trainee(id=f"load-{i:02d}", agency=("police", "probation")[i % 2], role="offender manager")
    r = new_response(trainee, vid, v.version, fw.id, mode=mode, session_code=code)
    ratings = {}
    for f, k in key.factors.items():
        x = k.rating
        if x != INSUFFICIENT and rng.random() < 0.3:
            x = max(0, min(2, x + rng.choice((-1, 1))))
        ratings[f] = x
    r.ratings = ratings
    r.evidence = {f: list(k.evidence[:2]) for f, k in key.factors.items() if rng.random() < 0.5}
    r.priorities = [p for p in key.priorities if rng.random() < 0.8]
    r.priority_level = rng.choice(fw.priority_ids)
    if mode == "full":
        r.risk_management_level = fw.level_for(v.static_tool.category, r.priority_level)
        r.plan = [
            PlanAction(intervention=e.intervention, factors=list(e.factors))
            for e in key.plan.essential
            if rng.random() < 0.8
        ]
        r.plan += [
            PlanAction(intervention=c.intervention) for c in key.plan.contraindicated if rng.random() < 0.2
        ]
        if not r.plan:
            r.plan = [PlanAction(intervention=key.plan.essential[0].intervention)]
    return r, key, v, fw


def participant(
    i: int, url: str, code: str, vid: str, mode: str, spread: float, start: float, seed: int, out: mp.Queue
) -> None:
    from arms_training.scoring.rules import score

    rng = random.Random(seed * 1000 + i)
    result = {"i": i, "joined": False, "drafts": 0, "created": False, "error": "", "submit_seconds": None}
    try:
        response, key, v, fw = simulated_response(i, code, vid, mode, rng)
        join_at = rng.uniform(0, min(10.0, spread / 3))
        submit_at = rng.uniform(join_at + 2, spread)
        with Store(url) as store:
            time.sleep(max(0.0, start + join_at - time.time()))
            store.join_session(code, response.trainee)
            result["joined"] = True
            for _ in range(2):  # autosaves while working
                time.sleep(max(0.0, min(2.0, (submit_at - join_at) / 3)))
                if store.save_draft(response):
                    result["drafts"] += 1
            time.sleep(max(0.0, start + submit_at - time.time()))
            t0 = time.perf_counter()
            report = score(response, key, fw, vignette=v).to_dict()
            created = store.submit(
                response, score=report, key_version=key.key_version, framework_version=fw.version
            ).created
            result["submit_seconds"] = time.perf_counter() - t0
            result["created"] = created
    except Exception as exc:  # noqa: BLE001 - reported, not raised: the parent counts losses
        result["error"] = f"{type(exc).__name__}: {exc}"
    out.put(result)


def summary(values: list[float]) -> str:
    if not values:
        return "-"
    return (
        f"median {statistics.median(values) * 1000:7.1f} ms   "
        f"max {max(values) * 1000:7.1f} ms   (n={len(values)})"
    )


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--participants", type=int, default=30)
    p.add_argument("--spread", type=float, default=60.0, help="seconds over which they submit")
    p.add_argument("--interval", type=float, default=3.0, help="live view refresh interval")
    p.add_argument("--mode", choices=("quick", "full"), default="quick")
    p.add_argument("--vignette", default="v01-new-partner")
    p.add_argument("--db", help="SQLAlchemy URL (default: a fresh SQLite file)")
    p.add_argument("--budget", type=float, default=1.0, help="max CPU seconds per refresh")
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args(argv)

    from arms_training.ui.session.app import SessionApp

    tmp = tempfile.TemporaryDirectory()
    url = args.db or f"sqlite:///{tmp.name}/load.sqlite"
    store = Store(url)
    app = SessionApp(store=store, refresh_seconds=args.interval)
    app.cases.value = (args.vignette,)
    app.mode.value = args.mode
    app.names.value = True
    app.start_session()
    code = app.code
    assert code is not None, app.messages.text
    print(
        f"session {code}: {args.participants} participants, {args.mode} mode, "
        f"submitting within {args.spread:g} s; live view every {args.interval:g} s; {url}"
    )

    ctx = mp.get_context("fork")
    out: mp.Queue = ctx.Queue()
    start = time.time() + 1.0
    procs = [
        ctx.Process(
            target=participant,
            args=(i, url, code, args.vignette, args.mode, args.spread, start, args.seed, out),
        )
        for i in range(args.participants)
    ]
    for proc in procs:
        proc.start()

    # (cpu, wall, what the poll did: "idle", "text" (redrew tables only) or "chart")
    polls: list[tuple[float, float, str]] = []
    results: list[dict] = []
    deadline = start + args.spread + 120
    quiet = 0
    while time.time() < deadline and quiet < 3:  # three quiet polls after the last submit
        time.sleep(args.interval)
        charts = app.stats.charts
        c0, t0 = time.process_time(), time.perf_counter()
        redrew = app.refresh()
        kind = "chart" if app.stats.charts > charts else "text" if redrew else "idle"
        polls.append((time.process_time() - c0, time.perf_counter() - t0, kind))
        while not out.empty():
            results.append(out.get())
        if len(results) == args.participants and not any(pr.is_alive() for pr in procs):
            quiet += 1
    for proc in procs:
        proc.join(timeout=30)
    while not out.empty():
        results.append(out.get())

    # The full redraw at the end of the session, repeated: the worst case a refresh can cost.
    forced_cpu, forced_wall = [], []
    for _ in range(5):
        c0, t0 = time.process_time(), time.perf_counter()
        app.refresh(force=True)
        forced_cpu.append(time.process_time() - c0)
        forced_wall.append(time.perf_counter() - t0)
    c0 = time.process_time()
    app.export()
    export_cpu = time.process_time() - c0

    submitted = store.submitted_responses(session_code=code)
    joined = store.participants(code)
    fw = framework_by_id("arms-2018")
    room = summarise(submitted, fw, vignette_id=args.vignette)
    att = attendance(
        [(x.trainee_id, x.agency) for x in joined], store.drafts(session_code=code), submitted, anonymise=True
    )
    errors = [r for r in results if r["error"]]
    lost = {
        "participant reports": args.participants - len(results),
        "errors": len(errors),
        "not created": sum(not r["created"] for r in results),
        "submissions missing from store": args.participants - len(submitted),
        "joins missing": args.participants - len(joined),
        "drafts left behind": len(store.drafts(session_code=code)),
        "missing from live view": args.participants - room.n,
        "missing from attendance": args.participants - att.total_submitted,
    }

    def of(kind: str, i: int) -> list[float]:
        return [p[i] for p in polls if p[2] == kind]

    submit_s = [r["submit_seconds"] for r in results if r["submit_seconds"] is not None]
    worst = max([c for c, *_ in polls] + forced_cpu)

    print()
    print("nothing lost:" if not any(lost.values()) else "LOST:")
    for name, n in lost.items():
        print(f"  {name:34} {n}")
    for r in errors[:5]:
        print(f"  participant {r['i']}: {r['error']}")
    print()
    print(
        f"live view refreshes during the run: {len(polls)} ({len(of('chart', 0))} redrew "
        f"the chart, {len(of('text', 0))} only the tables, {len(of('idle', 0))} found "
        "nothing new)"
    )
    for kind, label in (("idle", "nothing new"), ("text", "tables only"), ("chart", "chart")):
        print(f"  {label + ', CPU':20} {summary(of(kind, 0))}")
        print(f"  {label + ', wall':20} {summary(of(kind, 1))}")
    print(f"full redraw at {len(submitted)} submissions (forced x5):")
    print(f"  CPU                {summary(forced_cpu)}")
    print(f"  wall               {summary(forced_wall)}")
    print(f"participant submit (score + store), wall: {summary(submit_s)}")
    print(f"session pack export (HTML + CSV), CPU: {export_cpu * 1000:.0f} ms")
    print(
        f"worst refresh CPU {worst * 1000:.0f} ms = {worst / args.budget:.2f} of the {args.budget:g} s budget"
    )
    store.close()
    tmp.cleanup()
    ok = not any(lost.values()) and worst <= args.budget
    print("OK" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
