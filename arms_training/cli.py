"""The ``arms-training`` command line: one module per command in ``arms_training.commands``.

Commands are imported only when run, so ``arms-training validate`` does not pay for pandas or
Voila start-up.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys

__all__ = ["main", "COMMANDS"]

COMMANDS = {
    "validate": "Check frameworks, vignettes, answer keys and responses",
    "serve": "Start the trainee and staff Voila servers",
    "score": "Score one response against its answer key",
    "calibrate": "Calibration tables from many responses",
    "demo-data": "Generate synthetic responses from simulated assessors",
    "export": "Export submitted responses from the store",
}


def _module(name: str):
    return importlib.import_module(f"arms_training.commands.{name.replace('-', '_')}")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="arms-training", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, help_text in COMMANDS.items():
        try:
            module = _module(name)
        except ModuleNotFoundError:
            continue  # a command still being built is simply not offered
        p = sub.add_parser(name, help=help_text, description=help_text)
        module.add_arguments(p)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not args.command:
        parser.print_help()
        return 2
    try:
        return int(_module(args.command).run(args) or 0)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # `arms-training ... | head` closed the pipe: stop quietly, as Unix tools do.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141


if __name__ == "__main__":
    sys.exit(main())
