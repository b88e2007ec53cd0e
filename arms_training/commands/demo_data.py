"""``arms-training demo-data --trainees N --responses-each M --seed S --out FILE.jsonl``.

Writes synthetic responses (one JSON per line) and ``FILE.jsonl.manifest.json`` naming each
assessor's tendency; see :mod:`arms_training.calibration.demo_data`.
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from pathlib import Path


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text} is not valid; allowed: an integer >= 1")
    return value


def _date(text: str) -> datetime:
    try:
        return datetime.fromisoformat(text).replace(tzinfo=UTC)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date like 2025-01-06") from None


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--trainees",
        type=_positive,
        default=40,
        metavar="N",
        help="number of simulated assessors (default 40)",
    )
    p.add_argument(
        "--responses-each", type=_positive, default=8, metavar="M", help="responses per assessor (default 8)"
    )
    p.add_argument("--seed", type=int, default=0, metavar="S", help="random seed (default 0)")
    p.add_argument(
        "--out",
        type=Path,
        required=True,
        metavar="FILE.jsonl",
        help="output file (JSON lines); FILE.jsonl.manifest.json is written beside it",
    )
    p.add_argument(
        "--start",
        type=_date,
        default=datetime(2025, 1, 6, tzinfo=UTC),
        metavar="DATE",
        help="first possible submission date (default 2025-01-06)",
    )
    p.add_argument(
        "--months", type=_positive, default=12, help="months the submissions are spread over (default 12)"
    )


def run(args: argparse.Namespace) -> int:
    from arms_training.calibration.demo_data import manifest_path, write_demo

    try:
        manifest = write_demo(
            args.out, args.trainees, args.responses_each, seed=args.seed, start=args.start, months=args.months
        )
    except (ValueError, OSError) as exc:
        print(f"demo-data: {exc}", file=sys.stderr)
        return 1
    tendencies: dict[str, int] = {}
    for a in manifest["assessors"]:
        tendencies[a["tendency"]] = tendencies.get(a["tendency"], 0) + 1
    mix = ", ".join(f"{n} {t}" for t, n in tendencies.items())
    print(
        f"wrote {manifest['responses']} responses from {args.trainees} assessors ({mix}) to "
        f"{args.out}; tendencies in {manifest_path(args.out)}"
    )
    return 0
