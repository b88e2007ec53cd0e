"""``arms-training audit``: read the audit log of staff actions."""

from __future__ import annotations

import argparse
import csv
import io
import json
import sys
from pathlib import Path

from arms_training.commands.options import add_database_arguments, error_text, iso_time

DESCRIPTION = """\
Print the audit log of staff actions on personal data, oldest first: who revealed a session's
answers, exported, erased, purged or re-scored, when, and what (a session code, a response id,
or a trainee named by digest). A quality lead reads it here; --out FILE.csv writes it for a
spreadsheet (written whole or not at all). To check whether a trainee's data was erased, give
--trainee ID: the digest is computed and looked for.

Exit status: 0 printed (also when empty); 2 bad usage, or the database failed."""

ACTIONS = ("reveal", "export", "erase", "purge", "rescore")


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--since", type=iso_time, metavar="DATE", help="on or after (ISO date or time)")
    p.add_argument("--until", type=iso_time, metavar="DATE", help="on or before (a date: the whole day)")
    p.add_argument("--action", choices=ACTIONS, help="only this kind of action")
    p.add_argument("--trainee", metavar="ID", help="only actions about this trainee (by their digest)")
    p.add_argument("--out", type=Path, metavar="FILE.csv", help="write CSV to this file instead of printing")
    add_database_arguments(p, actor=False)


def run(args: argparse.Namespace) -> int:
    from arms_training.commands.options import as_utc, open_store
    from arms_training.errors import ArmsError
    from arms_training.io.files import write_atomic
    from arms_training.io.spreadsheet import safe_cell

    try:
        with open_store(args.db) as store:
            entries = store.audit_log(
                since=as_utc(args.since, end=False), until=as_utc(args.until, end=True), action=args.action
            )
            if args.trainee:
                digest = store.subject_digest(args.trainee)
                entries = [e for e in entries if e.subject == digest or digest in json.dumps(e.details)]
    except ArmsError as exc:
        print(f"audit: {error_text(exc)}", file=sys.stderr)
        return 2
    rows = [
        (f"{e.at:%Y-%m-%d %H:%M:%S}", e.action, e.actor, e.subject, json.dumps(e.details, ensure_ascii=False))
        for e in entries
    ]
    if args.out is not None:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(("time_utc", "action", "actor", "subject", "details"))
        writer.writerows([[safe_cell(c) for c in row] for row in rows])
        try:
            write_atomic(args.out, ("\ufeff" + out.getvalue()).encode("utf-8"))
        except OSError as exc:
            print(f"audit: cannot write {args.out}: {exc.strerror or exc}", file=sys.stderr)
            return 2
        print(f"wrote {len(rows)} audit entries to {args.out}")
        return 0
    if not rows:
        print(
            "The audit log has no entries"
            + (" that match." if args.since or args.until or args.action or args.trainee else ".")
        )
        return 0
    print("time (UTC)           action   actor                 subject  details")
    for when, action, actor, subject, details in rows:
        print(f"{when}  {action:<8} {actor[:20]:<21} {subject}  {details}")
    return 0
