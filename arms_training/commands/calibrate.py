"""``arms-training calibrate SOURCE --out DIR [--xlsx FILE] [--report FILE]``.

SOURCE is read by the dashboard's own reader (:func:`arms_training.io.sources.read_records`), so
a bad record is listed with the same words; the files come from the dashboard's export bundle
(:class:`arms_training.reports.calibration_bundle.CalibrationBundle`).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from arms_training.commands.options import add_filter_arguments, error_text, non_negative_int, positive_int

DESCRIPTION = """\
Calibration tables from many responses, as the quality leads' dashboard makes them: CSV files
(assessors, factors, reliability, agencies, drift, plans, and bad_records), optionally one XLSX
workbook and an HTML report. Each file is written whole or not at all.

SOURCE is anything the dashboard imports: a JSONL file, a JSON file, a CSV export with a
'response' column (as `arms-training export` writes), a folder of JSON responses, or a database
URL (sqlite:///file.sqlite, postgresql+psycopg://user@host/db). Records sharing a response_id
are scored once (the first copy). A database URL must name an existing database; a SQLite file
that is not there is an error unless --create-database is given.

Exit status: 0 tables written (bad records are listed, not fatal); 1 the source holds no
responses, or none could be scored; 2 a source that cannot be read or an output that cannot be
written."""


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "source",
        metavar="SOURCE",
        help="JSONL, JSON or CSV export, folder of JSON responses, or database URL",
    )
    p.add_argument(
        "--out",
        type=Path,
        required=True,
        metavar="DIR",
        help="folder for assessors.csv, factors.csv, reliability.csv, agencies.csv, "
        "drift.csv, plans.csv (and bad_records.csv)",
    )
    p.add_argument(
        "--xlsx",
        type=Path,
        metavar="FILE",
        help="also write the dashboard's workbook: a sheet per table, with its factor and plan summaries",
    )
    p.add_argument(
        "--report",
        type=Path,
        metavar="FILE",
        help="also write the HTML calibration report (figures embedded)",
    )
    p.add_argument(
        "--workers",
        type=positive_int,
        default=None,
        metavar="N",
        help="processes for reading a large JSONL file (default: one per CPU; 1 on a "
        "busy machine, where extra processes only compete)",
    )
    p.add_argument(
        "--create-database",
        action="store_true",
        help="let a SQLite URL name a file that does not exist yet (it is created, empty)",
    )
    add_filter_arguments(p)
    t = p.add_argument_group("thresholds (default: the dashboard's, see CalibrationSettings)")
    for name, kind in (
        ("min_responses", non_negative_int),
        ("exact_agreement_min", float),
        ("within_one_min", float),
        ("risk_bias_max", float),
        ("protective_bias_min", float),
        ("plan_score_min", float),
        ("n_boot", positive_int),
        ("seed", int),
    ):
        t.add_argument(
            f"--{name.replace('_', '-')}",
            type=kind,
            dest=name,
            metavar="X",
            help=f"the {name.replace('_', ' ')} setting (default: the dashboard's)",
        )


def _shown_source(source: str) -> str:
    """The source for the report, a database URL without its password."""
    from arms_training.io.sources import is_database_url

    if not is_database_url(source):
        return source
    try:
        import sqlalchemy as sa

        return sa.engine.make_url(source).render_as_string(hide_password=True)
    except Exception:  # noqa: BLE001  an odd URL has already been reported by the store
        return "a database"


def _unwritable(path: Path, *, folder: bool = False) -> str | None:
    """Why ``path`` cannot be written as a file (a folder with ``folder``), or None if it looks
    writable. A missing parent folder is created when writing."""
    if path.exists():
        if folder != path.is_dir():
            return (
                f"{path} is a {'file' if folder else 'folder'}; give a {'folder' if folder else 'file'} name"
            )
        return None if os.access(path, os.W_OK) else f"{path}: permission denied"
    parent = path.parent
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    if not parent.is_dir():
        return f"{path}: {parent} is not a folder"
    if not os.access(parent, os.W_OK | os.X_OK):
        return f"{path}: permission denied (cannot create it in {parent})"
    return None


def _described(args: argparse.Namespace, result) -> list[str]:
    chosen = [
        f"{label} {', '.join(values)}"
        for label, values in (
            ("agency", args.agency),
            ("area", args.area),
            ("vignette", args.vignette),
            ("session", args.session),
            ("trainee", args.cohort),
        )
        if values
    ]
    if args.since or args.until:
        chosen.insert(0, f"submitted {args.since or '...'} to {args.until or '...'}")
    return [
        f"Source: {_shown_source(args.source)}",
        f"Filters: {'; '.join(chosen) or 'none'}",
        f"{result.n_records} records read: {result.n_scored} scored, {result.n_bad} not "
        f"scored (listed at the end), {result.n_duplicates} duplicates skipped (same "
        f"response_id as an earlier record: the first copy is kept), "
        f"{result.n_filtered_out} outside the filters; {len(result.assessors)} assessors, "
        f"{len(result.flagged)} flagged.",
    ]


def run(args: argparse.Namespace) -> int:
    from arms_training.calibration.result import CalibrationSettings, Filters, load_frames, tables
    from arms_training.content import load_library
    from arms_training.errors import ArmsError, SettingsError
    from arms_training.io.files import write_atomic
    from arms_training.reports.calibration_bundle import COMMAND_LINE_CSVS, CalibrationBundle

    overrides = {
        k: v for k, v in vars(args).items() if k in CalibrationSettings.__dataclass_fields__ and v is not None
    }
    try:
        settings = CalibrationSettings(**overrides)
        filters = Filters(
            since=args.since,
            until=args.until,
            agency=args.agency,
            area=args.area,
            vignette=args.vignette,
            session=args.session,
            cohort=args.cohort,
        )
    except SettingsError as exc:
        print(f"calibrate: {exc}", file=sys.stderr)
        return 2
    for option, path in (("--out", args.out), ("--xlsx", args.xlsx), ("--report", args.report)):
        why = _unwritable(path, folder=option == "--out") if path is not None else None
        if why:
            print(f"calibrate: {option} {why}", file=sys.stderr)
            return 2
    missing = _missing_database(args.source)
    if missing and not args.create_database:
        print(
            f"calibrate: there is no database file at {missing} (a mistyped URL? sqlite:///name is "
            "relative to the current folder, sqlite:////path absolute); give --create-database "
            "to start an empty one",
            file=sys.stderr,
        )
        return 2
    try:
        responses, bad = load_frames(args.source, workers=args.workers, progress=True)
    except ArmsError as exc:  # a missing source, one of the wrong kind, the database failing
        print(f"calibrate: {error_text(exc)}", file=sys.stderr)
        return 2
    except Exception as exc:  # noqa: BLE001  a database driver's error must not become a traceback
        print(f"calibrate: {exc}", file=sys.stderr)
        return 2
    try:
        result = tables(
            responses,
            load_library(),
            settings=settings,
            filters=filters,
            bad=bad,
            # The workbook and the report carry the dashboard's two summaries.
            summaries=args.xlsx is not None or args.report is not None,
        )
    except SettingsError as exc:  # a bad filter date
        print(f"calibrate: {exc}", file=sys.stderr)
        return 2
    if not result.n_records:
        print(
            f"calibrate: {_shown_source(args.source)} holds no responses (an empty file or "
            "database?); nothing was written",
            file=sys.stderr,
        )
        return 1
    print(result.summary())
    bundle = CalibrationBundle.of(result, described=_described(args, result))
    try:
        written = bundle.write_csvs(args.out, COMMAND_LINE_CSVS, bom=False)
    except OSError as exc:
        print(f"calibrate: cannot write the tables to {args.out}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    print(f"wrote {', '.join(p.name for p in written)} to {args.out}")
    outputs = []
    if args.xlsx is not None:
        outputs.append((args.xlsx, bundle.workbook))
    if args.report is not None:
        outputs.append((args.report, lambda: bundle.report().encode("utf-8")))
    for path, make in outputs:
        try:
            write_atomic(path, make())
        except OSError as exc:
            print(f"calibrate: cannot write {path}: {exc.strerror or exc}", file=sys.stderr)
            return 2
        print(f"wrote {path}")
    return 0 if result.n_scored else 1


def _missing_database(source: str) -> Path | None:
    """The SQLite file a database URL names, when it does not exist."""
    from arms_training.io.sources import is_database_url

    if not is_database_url(source):
        return None
    from arms_training.store.engine import sqlite_file

    try:
        path = sqlite_file(source)
    except Exception:  # noqa: BLE001  a malformed URL is reported when it is opened
        return None
    return path if path is not None and not path.exists() else None
