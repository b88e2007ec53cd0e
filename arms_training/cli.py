"""The ``arms-training`` command line: one module per command in ``arms_training.commands``.

Each command module gives ``DESCRIPTION`` (its help text), ``add_arguments(parser)`` and
``run(args) -> int``, and imports what it needs inside ``run``, so ``arms-training validate``
does not pay for pandas or Voila start-up.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys

from arms_training import __version__

__all__ = ["main", "COMMANDS", "build_parser"]

# name -> one line for the command list (each module's DESCRIPTION says more).
COMMANDS = {
    "serve": "start the trainee and staff apps (two Voila servers)",
    "validate": "check frameworks, vignettes, answer keys and responses",
    "init": "copy the shipped case library into a folder a force can edit",
    "score": "score one response against its answer key",
    "calibrate": "calibration tables from many responses",
    "export": "export submitted responses, or everything held about one trainee",
    "erase": "erase everything held about one trainee",
    "purge": "delete data older than a retention period",
    "audit": "read the audit log of staff actions",
    "demo-data": "generate synthetic responses from simulated assessors",
}

DESCRIPTION = """\
Training and calibration for the Active Risk Management System (ARMS).

Start the apps with `arms-training serve` (Ctrl+C stops them), then open the trainee URL it
prints. `arms-training COMMAND --help` explains each command.

Where files are found: the case library in ARMS_TRAINING_CONTENT (default: the shipped one),
the database in ARMS_TRAINING_DB_URL (default: a SQLite file in ARMS_TRAINING_DATA)."""


def _module(name: str):
    return importlib.import_module(f"arms_training.commands.{name.replace('-', '_')}")


def build_parser() -> argparse.ArgumentParser:
    from arms_training.commands.options import HelpFormatter

    parser = argparse.ArgumentParser(
        prog="arms-training", description=DESCRIPTION, formatter_class=HelpFormatter
    )
    parser.add_argument("--version", action="version", version=f"arms-training {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", title="commands")
    for name, summary in COMMANDS.items():
        module = _module(name)  # a missing module is a bug and must say so, not vanish
        p = sub.add_parser(
            name,
            help=summary,
            description=getattr(module, "DESCRIPTION", summary),
            formatter_class=HelpFormatter,
        )
        module.add_arguments(p)
    return parser


def main(argv: list[str] | None = None) -> int:
    from arms_training.commands.options import error_text
    from arms_training.errors import ArmsError

    parser = build_parser()
    args = parser.parse_args(argv)
    if not args.command:
        parser.print_help()
        return 2
    try:
        return int(_module(args.command).run(args) or 0)
    except ArmsError as exc:  # a command that did not catch its own: still a message, not a traceback
        print(f"arms-training {args.command}: {error_text(exc)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # `arms-training ... | head` closed the pipe: stop quietly, as Unix tools do.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141


if __name__ == "__main__":
    sys.exit(main())
