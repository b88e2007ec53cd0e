"""``arms-training demo-data --trainees N --responses-each M --seed S --out FILE.jsonl``."""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from pathlib import Path

from arms_training.commands.options import positive_int

DESCRIPTION = """\
Generate synthetic responses to the library's cases from simulated assessors with known
tendencies (accurate, over-rating risk, under-crediting protection, ...), to try the calibration
app or `arms-training calibrate` without real data. Writes FILE.jsonl (one response per line)
and FILE.jsonl.manifest.json naming each assessor's tendency; each file is written whole or
not at all (an existing file is left as it was when anything fails).

Exit status: 0 written; 1 nothing could be generated or written."""


def _date(text: str) -> datetime:
    try:
        return datetime.fromisoformat(text).replace(tzinfo=UTC)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date like 2025-01-06") from None


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--trainees",
        type=positive_int,
        default=40,
        metavar="N",
        help="number of simulated assessors (default 40)",
    )
    p.add_argument(
        "--responses-each",
        type=positive_int,
        default=8,
        metavar="M",
        help="responses per assessor (default 8)",
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
        "--months",
        type=positive_int,
        default=12,
        metavar="N",
        help="months the submissions are spread over (default 12)",
    )


def run(args: argparse.Namespace) -> int:
    from arms_training.calibration.demo_data import manifest_path, write_demo
    from arms_training.errors import ArmsError

    try:
        manifest = write_demo(
            args.out, args.trainees, args.responses_each, seed=args.seed, start=args.start, months=args.months
        )
    except ArmsError as exc:
        print(f"demo-data: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"demo-data: cannot write {args.out}: {exc.strerror or exc}", file=sys.stderr)
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
