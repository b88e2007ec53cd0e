"""``arms-training export``: submitted responses as JSONL or CSV, or everything held about one
trainee (a subject access request) as one JSON document."""

from __future__ import annotations

import argparse
import csv
import io
import json
import sys
from pathlib import Path
from typing import Any

from arms_training.commands.options import add_database_arguments, add_filter_arguments, error_text
from arms_training.commands.options import selection as selection_of

DESCRIPTION = """\
Export from the training database.

  arms-training export --out FILE.jsonl [filters]     submitted responses, one JSON per line
  arms-training export --out FILE.csv [filters]       the same as CSV: one row per submission,
                                                      the whole response as JSON in 'response'
  arms-training export --trainee ID --out FILE.json   everything held about one person
                                                      (subject access request)

Both response formats are read back by `arms-training calibrate` and the calibration dashboard.
CSV cells a spreadsheet would run as a formula are made safe. The filters are calibrate's. The
file is written whole or not at all; the audit log records the export (a trainee by digest).

Exit status: 0 written; 1 nothing matched; 2 bad usage, or the database or the file failed."""

CSV_COLUMNS = (
    "response_id",
    "trainee_id",
    "agency",
    "role",
    "area",
    "session_code",
    "vignette_id",
    "vignette_version",
    "key_version",
    "framework",
    "framework_version",
    "mode",
    "started_at",
    "submitted_at",
    "total",
    "rescore_total",
    "rescore_key_version",
    "response",
)


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--out", type=Path, required=True, metavar="FILE", help="the file to write")
    p.add_argument(
        "--format",
        choices=("jsonl", "csv"),
        help="response format (default: from the file name, .csv for CSV, else JSONL)",
    )
    p.add_argument(
        "--trainee",
        metavar="ID",
        dest="subject",
        help="export everything held about this one trainee instead, as JSON (subject access "
        "request); for a group's responses use --cohort",
    )
    add_filter_arguments(p, cohort_option="--cohort")
    add_database_arguments(p)


def _plain(value: Any) -> Any:
    return value.isoformat() if hasattr(value, "isoformat") else value


def _jsonl(rows: list[dict[str, Any]]) -> bytes:
    return "".join(json.dumps(r["response"], ensure_ascii=False) + "\n" for r in rows).encode("utf-8")


def _csv(rows: list[dict[str, Any]]) -> bytes:
    from arms_training.io.spreadsheet import safe_cell

    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for r in rows:
        cells = {**r, "response": json.dumps(r["response"], ensure_ascii=False)}
        writer.writerow([safe_cell(_plain(cells[c])) if c != "response" else cells[c] for c in CSV_COLUMNS])
    # A BOM so a spreadsheet reads the file as UTF-8 (the readers skip it).
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def run(args: argparse.Namespace) -> int:
    from arms_training.commands.options import open_store
    from arms_training.errors import ArmsError

    if args.subject is not None and (args.format or any(vars(selection_of(args)).values())):
        print(
            "export: --trainee exports everything about one person; it takes no filters or --format",
            file=sys.stderr,
        )
        return 2
    try:
        store = open_store(args.db)
    except ArmsError as exc:
        print(f"export: {error_text(exc)}", file=sys.stderr)
        return 2
    try:
        if args.subject is not None:
            return _person(store, args)
        return _responses(store, args)
    except ArmsError as exc:
        print(f"export: {error_text(exc)}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"export: cannot write {args.out}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    finally:
        store.close()


def _person(store, args: argparse.Namespace) -> int:
    from arms_training.io.files import write_atomic

    record = store.person_record(args.subject)
    held = record["held"]
    if not any(held.values()):
        print(
            f"export: the training database ({store.url}) holds nothing about trainee {args.subject!r}",
            file=sys.stderr,
        )
        return 1
    write_atomic(args.out, (json.dumps(record, indent=2, ensure_ascii=False) + "\n").encode("utf-8"))
    store.record_action(
        "export",
        actor=args.actor,
        subject=store.subject_digest(args.subject),
        details={"kind": "subject access", "held": held},
    )
    print(f"wrote everything held about {args.subject} ({_counts(held)}) to {args.out}")
    return 0


def _responses(store, args: argparse.Namespace) -> int:
    from arms_training.io.files import write_atomic

    chosen = selection_of(args)
    rows = store.selected_submissions(chosen)
    if not rows:
        print(f"export: no submitted responses match in the training database ({store.url})", file=sys.stderr)
        return 1
    kind = args.format or ("csv" if args.out.suffix.lower() == ".csv" else "jsonl")
    write_atomic(args.out, _csv(rows) if kind == "csv" else _jsonl(rows))
    filters = {
        k: (list(v) if isinstance(v, tuple) else _plain(v))
        for k, v in vars(chosen).items()
        if v is not None and k != "trainee"
    }
    if chosen.trainee:
        filters["trainees"] = [store.subject_digest(x) for x in chosen.trainee]
    store.record_action(
        "export",
        actor=args.actor,
        details={"kind": "responses", "format": kind, "rows": len(rows), "filters": filters},
    )
    print(f"wrote {len(rows)} responses ({kind.upper()}) to {args.out}")
    return 0


def _counts(held: dict[str, int]) -> str:
    return ", ".join(f"{n} {name}" for name, n in held.items() if n) or "nothing"
