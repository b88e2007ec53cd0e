"""``arms-training purge --older-than DAYS``: apply a retention period."""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime, timedelta

from arms_training.commands.options import add_database_arguments, error_text, positive_int

DESCRIPTION = """\
Delete what the training database holds that is older than DAYS days: submissions (with their
re-scores) by submission time, drafts by their last change, survey answers by when they were
given, and training sessions (with their memberships) by when they were created. The audit log
is kept (it holds no trainee ids) and records the purge.

`arms-training serve --retention-days DAYS` applies the same purge when it starts and then once a
day. --dry-run shows what would go; without --yes you are asked to confirm.

Exit status: 0 purged (or nothing to purge); 1 not confirmed; 2 bad usage, or the database
failed."""


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--older-than", type=positive_int, required=True, metavar="DAYS", help="the retention period in days"
    )
    p.add_argument("--dry-run", action="store_true", help="show what would be deleted, delete nothing")
    p.add_argument("--yes", action="store_true", help="purge without asking (for scripts and cron)")
    add_database_arguments(p)


def _summary(deleted: dict[str, int]) -> str:
    return ", ".join(f"{n} {name}" for name, n in deleted.items() if n) or "nothing"


def run(args: argparse.Namespace) -> int:
    from arms_training.commands.erase import confirmed
    from arms_training.commands.options import open_store
    from arms_training.errors import ArmsError

    before = datetime.now(UTC) - timedelta(days=args.older_than)
    try:
        with open_store(args.db) as store:
            would = store.purge(before, actor=args.actor, dry_run=True)
            print(
                f"Older than {args.older_than} days (before {before:%Y-%m-%d %H:%M} UTC) in "
                f"{store.url}: {_summary(would)}."
            )
            if args.dry_run or not any(would.values()):
                return 0
            if not args.yes and not confirmed("Delete all of it? Type yes: ", "yes"):
                print("purge: nothing deleted (give --yes to purge without asking)", file=sys.stderr)
                return 1
            deleted = store.purge(before, actor=args.actor)
    except ArmsError as exc:
        print(f"purge: {error_text(exc)}", file=sys.stderr)
        return 2
    print(f"Deleted {_summary(deleted)}.")
    return 0
