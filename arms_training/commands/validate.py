"""``arms-training validate [PATH ...] [--coverage]``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

DESCRIPTION = """\
Check frameworks, vignettes, answer keys and responses, and how they refer to each other.

With no PATH, checks the frameworks on the search path and the case library in the content
folder (ARMS_TRAINING_CONTENT, default: the shipped library). A PATH may be a file or a content
folder holding vignettes/, answer_keys/ and frameworks/.

Exit status: 0 clean; 1 problems (one line each: path: field (line N): problem); 2 bad usage."""


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "paths",
        nargs="*",
        type=Path,
        metavar="PATH",
        help="files or content folders (default: the frameworks and the content folder)",
    )
    p.add_argument(
        "--coverage",
        action="store_true",
        help="also print what the library covers (factor x rating grid, levels, cases), for each "
        "framework its cases use",
    )


def run(args: argparse.Namespace) -> int:
    from arms_training.locations import content_root, where
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
    if not args.paths and not report.vignettes:
        print(f"validate: no vignettes found {where(content_root() / 'vignettes')}", file=sys.stderr)
        return 1
    if args.paths and report.files == 0:
        shown = ", ".join(map(str, args.paths))
        print(f"validate: no framework, vignette, key or response files in {shown}", file=sys.stderr)
        return 1
    return 0 if report.ok else 1
