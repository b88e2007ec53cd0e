"""``arms-training validate [PATH ...] [--coverage]``: exit 0 clean, 1 with problems, 2 bad usage."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "paths",
        nargs="*",
        type=Path,
        metavar="PATH",
        help="files or content folders (default: the shipped framework, vignettes and answer keys)",
    )
    p.add_argument(
        "--coverage",
        action="store_true",
        help="also print what the library covers (factor x rating grid, levels, cases), for each "
        "framework its cases use",
    )


def run(args: argparse.Namespace) -> int:
    from arms_training.validation.validate import validate_paths

    report = validate_paths(args.paths or None)
    for problem in report.problems:
        print(problem)
    if args.coverage:
        from arms_training.validation.coverage import coverage_reports

        print("\n\n".join(cov.render() for cov in coverage_reports(report)))
    summary = (
        f"{report.files} files: {len(report.frameworks)} frameworks, "
        f"{len(report.vignettes)} vignettes, {len(report.keys)} answer keys, "
        f"{len(report.responses)} responses; {len(report.problems)} problems"
    )
    print(summary, file=sys.stderr)
    return 0 if report.ok else 1
