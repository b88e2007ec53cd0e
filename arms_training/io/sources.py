"""The one reader of responses: every source a tool is given, read the same way.

A source is a path (a JSONL file, a JSON file holding one response or a list, a CSV export with a
``response`` column holding one response as JSON per row, or a folder of JSON files), uploaded
bytes with their file name, a database URL (``sqlite:///...``, ``postgresql+psycopg://...``) or an
open :class:`arms_training.store.Store`. The kind of a file is sniffed from its first bytes, not
trusted from its name. :func:`read_records` yields one :class:`Record` per record: the validated
:class:`~arms_training.responses.Response`, or the :class:`~arms_training.errors.ContentError`
listing what is wrong with it, so a bad record is counted and listed and never stops a batch. A
source of the wrong kind raises :class:`~arms_training.errors.SourceError` saying what to do.

A bad record is named one way whatever the source (``<source>`` is the path as given, or the
upload's name), followed by `` (response <id>)`` when the record has a response id:

==========  ===========================================================
JSONL       ``<source>:<line>``
JSON        ``<source>`` (one response) or ``<source>[<i>]`` (a list, from 0)
CSV         ``<source>:row <n>`` (the header is row 1)
folder      ``<folder>/<file>.json`` (read by :func:`~arms_training.responses.load_response`)
database    ``submission <id>`` (named by the store)
==========  ===========================================================

The problems themselves come from :func:`~arms_training.responses.parse_response` for every
source; :mod:`arms_training.io.frames` builds its fast loader on :func:`quick_parse` and
:func:`parse_json` below, so its problems are these too.
"""

from __future__ import annotations

import csv
import io
import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, BinaryIO, NamedTuple, Protocol

from pydantic import ValidationError

from arms_training.errors import ContentError, Problem, SourceError
from arms_training.responses import MAX_TEXT, Response, load_response, parse_response

__all__ = [
    "Record",
    "Progress",
    "Source",
    "read_records",
    "is_database_url",
    "quick_parse",
    "parse_json",
    "jsonl_record",
    "line_name",
    "sniff",
    "BOM",
]

Progress = Callable[[float, str], None]
BOM = b"\xef\xbb\xbf"
# csv's default field limit (128 kB) is below a response with several long notes.
CSV_FIELD_LIMIT = 16 * 1024 * 1024
# How often a long read reports progress: a call per line would cost more than the parse.
EVERY_LINES = 2000
EVERY_FILES = 200


class Record(NamedTuple):
    """One record of a source.

    ``text`` is the JSON that validated, exactly as read (a JSONL line, a CSV cell, a file), so
    the dashboard can keep it and parse it again on demand; ``b""`` for a bad record and where
    the source holds no such text of the record's own (an item of a JSON list, a database row,
    a record that only validated after repair).
    """

    item: Response | ContentError
    text: bytes


class _Store(Protocol):
    def submitted_responses(self, *, errors: Any) -> tuple[list[Response], list[Problem]]: ...


Source = str | os.PathLike[str] | bytes | _Store


# --------------------------------------------------------------------- one record, one way

# Response.model_validate_json without its per-call Python wrapper.
_validate_json = Response.__pydantic_validator__.validate_json


def quick_parse(text: str | bytes) -> Response | None:
    """The response in ``text`` if it is valid, else None (then :func:`parse_json` says why).

    pydantic-core parses and validates JSON in one step, about twice as fast as ``json.loads``
    followed by validation. It rejects bytes that are not UTF-8, so bytes it accepts read the
    same as their decoded text.
    """
    try:
        response = _validate_json(text)
    except ValidationError:
        return None
    notes = response.notes
    if notes and any(len(t) > MAX_TEXT for t in notes.values()):
        return None  # parse_response words the problem
    return response


def parse_json(text: str | bytes, source: str) -> Response:
    """One response from JSON text, or :class:`ContentError` naming ``source``.

    Bytes that are not UTF-8 are decoded with replacement characters first (as a text editor
    shows them); the problems are those of :func:`~arms_training.responses.parse_response`, or
    ``malformed JSON``.
    """
    response = quick_parse(text)
    if response is not None:
        return response
    if isinstance(text, bytes):
        text = text.decode("utf-8", errors="replace")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ContentError.single(source, "", f"malformed JSON: {exc.msg}") from None
    except RecursionError:
        raise ContentError.single(source, "", "malformed JSON: nested too deeply") from None
    return parse_response(data, source)


def line_name(source: str, lineno: int) -> str:
    """How a line of a JSONL source is named: ``<source>:<line>``."""
    return f"{source}:{lineno}"


def jsonl_record(raw: bytes, source: str, lineno: int) -> Record | None:
    """The record on one JSONL line (bytes, line ending included), None for a blank line.

    The fast loader's workers call this too, for the lines the quick parse refused.
    """
    response = quick_parse(raw)
    if response is not None:
        return Record(response, raw)
    # Surrounding white space dropped, as from a CSV cell: a line cut short is then worded as a
    # cell cut short ("Unterminated string"), not by the line ending it ran into.
    line = raw.decode("utf-8", errors="replace").strip()
    if not line:
        return None
    try:
        return Record(parse_json(line, line_name(source, lineno)), b"")
    except ContentError as exc:
        return Record(exc, b"")


# ------------------------------------------------------------------------------- sniffing

_WRONG_CSV = (
    (
        {"response_id", "score_source", "total"},
        "is a session responses CSV: it summarises scores, not whole responses. Import the "
        "responses as JSONL (arms-training export, or the database) instead",
    ),
    ({"trainee_id", "flag_reasons"}, "is a calibration table (assessors.csv): an output, not responses"),
    ({"statistic", "ci_low"}, "is a calibration table (reliability.csv): an output, not responses"),
)


def sniff(head: bytes, name: str) -> str:
    """``"jsonl"``, ``"json"`` or ``"csv"`` from a file's first bytes and its name; a file that
    is none of them (a workbook, an image) raises :class:`SourceError`."""
    if head.startswith(b"PK\x03\x04"):
        raise SourceError(
            f"{name} is a zip archive or an Excel workbook, not responses: export "
            "them as JSONL (one response per line) or CSV with a 'response' column"
        )
    if b"\x00" in head or head.startswith((b"\x89PNG", b"%PDF", b"\xff\xd8")):
        raise SourceError(
            f"{name} is not a text file; import JSONL (one response per line), "
            "JSON or CSV with a 'response' column"
        )
    lower = name.lower()
    if lower.endswith((".jsonl", ".ndjson")):
        return "jsonl"
    if lower.endswith(".csv"):
        return "csv"
    text = head.lstrip(BOM + b" \t\r\n")
    if text.startswith(b"["):
        return "json"
    if lower.endswith(".json") and not _one_line_per_object(head):
        return "json"
    if text.startswith(b"{"):
        return "jsonl"
    if lower.endswith((".json", ".txt")) or not text:
        return "jsonl"
    return "csv"


def _one_line_per_object(head: bytes) -> bool:
    first = head.lstrip().split(b"\n", 1)[0].strip()
    return first.startswith(b"{") and first.endswith(b"}")


def is_database_url(source: object) -> bool:
    """Whether ``source`` is a database URL rather than a path (``scheme://...``)."""
    return isinstance(source, str) and "://" in source


# -------------------------------------------------------------------------------- readers


def _jsonl(fh: BinaryIO, source: str, total: int, progress: Progress | None) -> Iterator[Record]:
    done = 0
    label = f"reading {Path(source).name or source}"
    for lineno, raw in enumerate(fh, 1):
        if lineno == 1 and raw.startswith(BOM):
            raw = raw[len(BOM) :]  # the file's encoding mark (Notepad, Excel), not the record's
        if progress is not None:
            done += len(raw)
            if lineno % EVERY_LINES == 0:
                progress(done / max(total, 1), label)
        record = jsonl_record(raw, source, lineno)
        if record is not None:
            yield record


def _json(data: bytes, source: str) -> Iterator[Record]:
    try:
        doc = json.loads(data.decode("utf-8-sig", errors="replace"))
    except json.JSONDecodeError as exc:
        raise SourceError(
            f"{source} is not valid JSON ({exc.msg}, line {exc.lineno}); import "
            "JSONL (one response per line), JSON or CSV"
        ) from None
    except RecursionError:
        raise SourceError(f"{source} is not valid JSON: nested too deeply") from None
    items = doc if isinstance(doc, list) else [doc]
    for i, item in enumerate(items):
        try:
            yield Record(parse_response(item, f"{source}[{i}]" if isinstance(doc, list) else source), b"")
        except ContentError as exc:
            yield Record(exc, b"")


def _csv(text: str, source: str, progress: Progress | None) -> Iterator[Record]:
    if csv.field_size_limit() < CSV_FIELD_LIMIT:
        csv.field_size_limit(CSV_FIELD_LIMIT)
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    header = {h.strip().lower() for h in reader.fieldnames or ()}
    column = next(
        (h for h in reader.fieldnames or () if h.strip().lower() in ("response", "response_json")), None
    )
    if column is None:
        for needed, what in _WRONG_CSV:
            if needed <= header:
                raise SourceError(f"{source} {what}")
        shown = ", ".join(sorted(header)[:8]) or "none"
        raise SourceError(
            f"{source} has no 'response' column (columns: {shown}); calibration "
            "needs whole responses: CSV with one response as JSON per row in a "
            "'response' column, or JSONL"
        )
    total = max(text.count("\n"), 1)
    label = f"reading {Path(source).name or source}"
    for i, row in enumerate(reader, 2):
        if progress is not None and i % EVERY_LINES == 0:
            progress(i / total, label)
        cell = (row.get(column) or "").strip()
        if not cell:
            continue
        response = quick_parse(cell)
        if response is not None:
            yield Record(response, cell.encode())
            continue
        try:
            yield Record(parse_json(cell, f"{source}:row {i}"), b"")
        except ContentError as exc:
            yield Record(exc, b"")


def _folder(path: Path, progress: Progress | None) -> Iterator[Record]:
    files = sorted(path.glob("*.json"))
    if not files:
        raise SourceError(
            f"{path} is a folder with no .json files; import a JSONL file, or a folder of JSON responses"
        )
    for i, child in enumerate(files, 1):
        if progress is not None and i % EVERY_FILES == 0:
            progress(i / len(files), f"reading {path.name}")
        data = child.read_bytes()
        response = quick_parse(data)
        if response is not None:
            yield Record(response, data)
            continue
        try:  # the single-file reader words the problems (as validate and score do)
            yield Record(load_response(child), b"")
        except ContentError as exc:
            yield Record(exc, b"")


def _file(path: Path, source: str, progress: Progress | None) -> Iterator[Record]:
    if path.is_dir():
        yield from _folder(path, progress)
        return
    if not path.is_file():
        raise SourceError(f"{source}: no such file or folder")
    with path.open("rb") as fh:
        kind = sniff(fh.read(8192), source)
        fh.seek(0)
        if kind == "jsonl":
            yield from _jsonl(fh, source, path.stat().st_size, progress)
            return
        data = fh.read()
    yield from _content(data, kind, source, progress)


def _content(data: bytes, kind: str, source: str, progress: Progress | None) -> Iterator[Record]:
    if kind == "jsonl":
        yield from _jsonl(io.BytesIO(data), source, len(data), progress)
    elif kind == "json":
        yield from _json(data, source)
    else:
        yield from _csv(data.decode("utf-8", errors="replace"), source, progress)


def _store(store: _Store, progress: Progress | None) -> Iterator[Record]:
    """Every submitted response; a stored record that no longer validates (the format moved on,
    the row was edited by hand) is a bad record like a bad line of a file."""
    if progress is not None:
        progress(0.0, "reading the training database")
    responses, problems = store.submitted_responses(errors="collect")
    for i, response in enumerate(responses, 1):
        if progress is not None and i % EVERY_LINES == 0:
            progress(i / (len(responses) + 1), "reading the training database")
        yield Record(response, b"")
    by_record: dict[str, list[Problem]] = {}
    for p in problems:
        by_record.setdefault(p.path, []).append(p)
    for found in by_record.values():
        yield Record(ContentError(found), b"")


def _url(url: str, progress: Progress | None) -> Iterator[Record]:
    try:  # only a URL needs the database side (SQLAlchemy)
        from arms_training.store import Store
    except ImportError as exc:
        raise SourceError(f"cannot read {url}: the database store is not available ({exc})") from None
    store = Store(url)
    try:
        yield from _store(store, progress)
    finally:
        store.close()


def read_records(
    source: Source, *, name: str | None = None, progress: Progress | None = None
) -> Iterator[Record]:
    """Every record of ``source``, in source order.

    Parameters
    ----------
    source : path, database URL, bytes or Store
        A path (str or Path) to a JSONL, JSON or CSV file or to a folder of JSON files; a
        database URL (a str with ``://``); the bytes of an uploaded file (give ``name``); or an
        open store (anything with ``submitted_responses(errors="collect")``).
    name : str, optional
        What to call the source in problems: default the path as given, ``"upload"`` for
        bytes. Its extension helps decide the kind of a file.
    progress : callable, optional
        ``progress(fraction, label)``, called now and then while a long source is read.

    Yields
    ------
    Record
        ``(Response or ContentError, text)``.

    Raises
    ------
    SourceError
        When the source is missing or of the wrong kind (raised on the first ``next``).
    """
    if isinstance(source, bytes):
        label = name or "upload"
        yield from _content(source, sniff(source[:8192], label), label, progress)
    elif is_database_url(source):
        yield from _url(str(source), progress)
    elif isinstance(source, str | os.PathLike):
        path = Path(source)
        yield from _file(path, name or str(path), progress)
    else:
        yield from _store(source, progress)
