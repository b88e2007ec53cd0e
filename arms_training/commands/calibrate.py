"""``arms-training calibrate SOURCE --out DIR``: calibration tables as CSV plus a summary.

SOURCE is a JSONL file, a folder of JSON responses or a database URL (``sqlite:///...``,
``postgresql+psycopg://...``), read through :class:`arms_training.store.Store`. Exit 0 when the
tables were written (bad records are listed, not fatal), 1 when nothing could be scored, 2 for a
source that cannot be read.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("source", metavar="SOURCE",
                   help="JSONL file, folder of JSON responses, or database URL")
    p.add_argument("--out", type=Path, required=True, metavar="DIR",
                   help="folder for assessors.csv, factors.csv, reliability.csv, agencies.csv, "
                        "drift.csv, plans.csv (and bad_records.csv)")
    p.add_argument("--workers", type=int, default=None, metavar="N",
                   help="processes for reading a large JSONL file (default: one per CPU; 1 on a "
                        "busy machine, where extra processes only compete)")
    g = p.add_argument_group("filters")
    g.add_argument("--since", metavar="DATE", help="submitted on or after (ISO date or time)")
    g.add_argument("--until", metavar="DATE", help="submitted on or before (a date: whole day)")
    g.add_argument("--agency", action="append", choices=("police", "probation", "other"))
    g.add_argument("--area", action="append", metavar="AREA")
    g.add_argument("--vignette", action="append", metavar="ID")
    g.add_argument("--session", action="append", metavar="CODE")
    g.add_argument("--trainee", action="append", metavar="ID", dest="cohort",
                   help="restrict to these trainee ids (repeat for a cohort)")
    t = p.add_argument_group("thresholds (see CalibrationSettings)")
    for name, kind in (("min_responses", int), ("exact_agreement_min", float),
                       ("within_one_min", float), ("risk_bias_max", float),
                       ("protective_bias_min", float), ("plan_score_min", float),
                       ("n_boot", int), ("seed", int)):
        t.add_argument(f"--{name.replace('_', '-')}", type=kind, dest=name, metavar="X")


def _is_url(source: str) -> bool:
    return "://" in source


def _from_store(url: str):
    try:
        from ..store import Store
    except ImportError as exc:
        raise RuntimeError(f"cannot read {url}: the database store is not available ({exc})") \
            from None
    store = Store(url)
    try:
        return store.submitted_responses()
    finally:
        store.close()


def run(args: argparse.Namespace) -> int:
    from ..calibration import CalibrationSettings, Filters, load_frames, tables, write_tables
    from ..content import load_library
    from ..errors import ContentError

    overrides = {k: v for k, v in vars(args).items()
                 if k in CalibrationSettings.__dataclass_fields__ and v is not None}
    try:
        settings = CalibrationSettings(**overrides)
        filters = Filters(since=args.since, until=args.until, agency=args.agency,
                          area=args.area, vignette=args.vignette, session=args.session,
                          cohort=args.cohort)
    except ValueError as exc:
        print(f"calibrate: {exc}", file=sys.stderr)
        return 2
    try:
        if _is_url(args.source):
            responses, bad = _from_store(args.source), []
        else:
            path = Path(args.source)
            if not path.exists():
                print(f"calibrate: {path}: no such file or folder", file=sys.stderr)
                return 2
            responses, bad = load_frames(path, workers=args.workers, progress=True)
    except ContentError as exc:
        print(f"calibrate: {exc}", file=sys.stderr)
        return 2
    except Exception as exc:  # noqa: BLE001  a database error must not become a traceback
        print(f"calibrate: {exc}", file=sys.stderr)
        return 2
    try:
        result = tables(responses, load_library(), settings=settings, filters=filters, bad=bad)
    except ValueError as exc:  # a bad filter date
        print(f"calibrate: {exc}", file=sys.stderr)
        return 2
    written = write_tables(result, args.out)
    print(result.summary())
    print(f"wrote {', '.join(p.name for p in written)} to {args.out}")
    return 0 if result.n_scored or not result.n_records else 1
