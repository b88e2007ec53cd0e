"""What the commands share: option types whose errors read well, a help formatter that shows
every option's default, the calibration filters (``calibrate`` and ``export`` take the same), the
store opened for a command, and error messages worded for a command-line user."""

from __future__ import annotations

import argparse
import getpass
import os
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

__all__ = [
    "HelpFormatter",
    "positive_int",
    "non_negative_int",
    "port",
    "iso_time",
    "add_filter_arguments",
    "selection",
    "as_utc",
    "add_database_arguments",
    "open_store",
    "default_actor",
    "error_text",
]


class HelpFormatter(argparse.RawDescriptionHelpFormatter):
    """Descriptions keep their line breaks; every option's help ends with its default."""

    def _get_help_string(self, action: argparse.Action) -> str:
        text = action.help or ""
        if "default" in text or action.default is argparse.SUPPRESS or action.required:
            return text
        if not action.option_strings:  # a positional argument
            return text
        if isinstance(action, argparse._StoreTrueAction):
            return f"{text} (default: off)"
        if action.default is None or action.default == []:
            return (
                f"{text} (default: none)"
                if isinstance(action, argparse._AppendAction)
                else f"{text} (default: not set)"
            )
        return f"{text} (default: {action.default})"


def _typed(name: str, parse: Callable[[str], Any]) -> Callable[[str], Any]:
    """``parse`` under a name argparse shows ("invalid port: 'x'", never "_port")."""
    parse.__name__ = name
    return parse


def _int_at_least(low: int, what: str) -> Callable[[str], int]:
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number; allowed: {what}") from None
        if value < low:
            raise argparse.ArgumentTypeError(f"{text} is too small; allowed: {what}")
        return value

    return _typed("number", parse)


positive_int = _int_at_least(1, "a whole number, 1 or more")
non_negative_int = _int_at_least(0, "a whole number, 0 or more")


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number; allowed: 1 to 65535") from None
    if not 1 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"{text} is not a port number; allowed: 1 to 65535")
    return value


port = _typed("port", _port)


def _iso_time(text: str) -> str:
    try:
        datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a date or time; allowed: ISO, e.g. 2025-01-31 or 2025-01-31T14:00"
        ) from None
    return text


iso_time = _typed("date", _iso_time)


def add_filter_arguments(p: argparse.ArgumentParser, *, cohort_option: str = "--trainee") -> None:
    """The calibration filters, shared by ``calibrate`` and ``export`` (repeat an option for
    several values). ``export`` names the cohort filter ``--cohort``: its ``--trainee`` is the
    subject access request."""
    g = p.add_argument_group("filters (repeat an option for several values)")
    g.add_argument("--since", type=iso_time, metavar="DATE", help="submitted on or after (ISO date or time)")
    g.add_argument(
        "--until", type=iso_time, metavar="DATE", help="submitted on or before (a date: the whole day)"
    )
    g.add_argument("--agency", action="append", choices=("police", "probation", "other"), help="agency")
    g.add_argument("--area", action="append", metavar="AREA", help="area, as the trainees gave it")
    g.add_argument("--vignette", action="append", metavar="ID", help="case (vignette id)")
    g.add_argument("--session", action="append", metavar="CODE", help="training session join code")
    g.add_argument(
        cohort_option, action="append", metavar="ID", dest="cohort", help="trainee id (repeat for a cohort)"
    )


def as_utc(text: str | None, *, end: bool) -> datetime | None:
    if text is None:
        return None
    value = datetime.fromisoformat(text)
    value = value.replace(tzinfo=UTC) if value.tzinfo is None else value
    if end and "T" not in text and " " not in text:  # a bare date: up to the end of that day
        value = value + timedelta(days=1) - timedelta(microseconds=1)
    return value


def selection(args: argparse.Namespace):
    """The filters as a store :class:`~arms_training.store.records.Selection`."""
    from arms_training.store.records import Selection

    def values(name: str) -> tuple[str, ...] | None:
        got = getattr(args, name)
        return tuple(got) if got else None

    return Selection(
        since=as_utc(args.since, end=False),
        until=as_utc(args.until, end=True),
        agency=values("agency"),
        area=values("area"),
        vignette=values("vignette"),
        session=values("session"),
        trainee=values("cohort"),
    )


def add_database_arguments(p: argparse.ArgumentParser, *, actor: bool = True) -> None:
    p.add_argument(
        "--db",
        metavar="URL",
        help="training database (default: ARMS_TRAINING_DB_URL, else the SQLite file in the data "
        "directory, ARMS_TRAINING_DATA)",
    )
    if actor:
        p.add_argument(
            "--actor",
            default=default_actor(),
            metavar="NAME",
            help="who is doing this, for the audit log (default: your login name, %(default)s)",
        )


def default_actor() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return os.environ.get("USER", "unknown")


def open_store(url: str | None):
    """The store a command reads or changes. It must exist already: a command never creates an
    empty database by mistake (a mistyped ``sqlite:///`` path, a data directory not set)."""
    from arms_training.store import Store

    return Store(url, create=False)


def error_text(exc: BaseException) -> str:
    """An error as a command-line user should read it: the database failing is named with its
    URL and what to check, not with the page's "your draft is kept in this page"."""
    from arms_training.errors import StoreUnavailable

    if isinstance(exc, StoreUnavailable):
        where = f" at {exc.url}" if exc.url else ""
        return (
            f"cannot use the training database{where}: {exc.detail}. Check that the database "
            "server is running and reachable, and the URL (--db or ARMS_TRAINING_DB_URL)"
        )
    return str(exc)
