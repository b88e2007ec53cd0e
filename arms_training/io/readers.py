"""Reading responses into the calibration dashboard: files, folders, uploads and the store.

JSONL (one response per line), a JSON file (one response or a list), a folder of JSON files, or
CSV with a ``response`` column holding one response as JSON per row; the kind is sniffed from
the first bytes, not trusted from the name. Every reader yields ``(Response or ContentError,
raw JSON)`` pairs, so a bad record is counted and listed and never stops an import; a source of
the wrong kind raises :class:`SourceError` naming the file and what to do.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import ValidationError

from arms_training.errors import ContentError, Problem, SourceError
from arms_training.responses import MAX_TEXT, Response, parse_response

__all__ = ["SourceError", "ImportReport", "Progress", "read_path", "read_bytes", "Records"]

Progress = Callable[[float, str], None]
# csv's default field limit (128 kB) is below a response with several long notes.
CSV_FIELD_LIMIT = 16 * 1024 * 1024


@dataclass
class ImportReport:
    """What one import did: records read, new, duplicates skipped, and the bad records."""

    source: str
    n_records: int = 0
    n_new: int = 0
    n_duplicates: int = 0
    problems: list[Problem] = field(default_factory=list)

    @property
    def n_bad(self) -> int:
        return len({p.path for p in self.problems})

    def message(self) -> str:
        dup = (
            f"; {self.n_duplicates} duplicate{'s' if self.n_duplicates != 1 else ''} "
            "skipped (same response_id as one already loaded: the first copy is kept)"
            if self.n_duplicates
            else ""
        )
        bad = f"; {self.n_bad} record{'s' if self.n_bad != 1 else ''} could not be read" if self.n_bad else ""
        return f"{self.source}: {self.n_records} records read, {self.n_new} new{dup}{bad}."


class Records(Sequence):
    """Loaded responses kept as JSON text and parsed again on demand (drill-down, checks)."""

    def __init__(self, items: list[str | bytes] | None = None) -> None:
        self.items: list[str | bytes] = items or []

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, i):  # type: ignore[override]
        return Response.model_validate_json(self.items[i])


# ---------------------------------------------------------------------------------- reading


def _parse_text(text: str | bytes, source: str) -> Response:
    """One response from JSON text; problems worded by the shared ``parse_response``."""
    try:
        response = Response.model_validate_json(text)
    except ValidationError:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ContentError.single(source, "", f"malformed JSON: {exc.msg}") from None
        return parse_response(data, source)
    if any(len(t) > MAX_TEXT for t in response.notes.values()):
        return parse_response(json.loads(text), source)
    return response


_WRONG_CSV = (
    (
        {"response_id", "score_source", "total"},
        "is a session responses CSV: it summarises scores, not whole responses. Import the "
        "responses as JSONL (arms-training export, or the database) instead",
    ),
    ({"trainee_id", "flag_reasons"}, "is a calibration table (assessors.csv): an output, not responses"),
    ({"statistic", "ci_low"}, "is a calibration table (reliability.csv): an output, not responses"),
)


def _sniff(head: bytes, name: str) -> str:
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
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
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


def _iter_jsonl(
    fh, name: str, total: int, progress: Progress | None
) -> Iterator[tuple[Response | ContentError, bytes]]:
    done = 0
    for lineno, raw in enumerate(fh, 1):
        done += len(raw)
        if progress is not None and lineno % 2000 == 0:
            progress(done / max(total, 1), f"reading {name}")
        if not raw.strip():
            continue
        try:
            yield _parse_text(raw, f"{name}:{lineno}"), raw
        except ContentError as exc:
            yield exc, raw


def _iter_json(data: bytes, name: str) -> Iterator[tuple[Response | ContentError, bytes]]:
    try:
        doc = json.loads(data.decode("utf-8-sig", errors="replace"))
    except json.JSONDecodeError as exc:
        raise SourceError(
            f"{name} is not valid JSON ({exc.msg}, line {exc.lineno}); import "
            "JSONL (one response per line), JSON or CSV"
        ) from None
    items = doc if isinstance(doc, list) else [doc]
    for i, item in enumerate(items):
        source = f"{name}[{i}]" if isinstance(doc, list) else name
        try:
            yield parse_response(item, source), json.dumps(item).encode()
        except ContentError as exc:
            yield exc, b""


def _iter_csv(
    text: str, name: str, progress: Progress | None
) -> Iterator[tuple[Response | ContentError, bytes]]:
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
                raise SourceError(f"{name} {what}")
        shown = ", ".join(sorted(header)[:8]) or "none"
        raise SourceError(
            f"{name} has no 'response' column (columns: {shown}); calibration "
            "needs whole responses: CSV with one response as JSON per row in a "
            "'response' column, or JSONL"
        )
    total = max(text.count("\n"), 1)
    for i, row in enumerate(reader, 2):
        if progress is not None and i % 2000 == 0:
            progress(i / total, f"reading {name}")
        cell = (row.get(column) or "").strip()
        if not cell:
            continue
        try:
            yield _parse_text(cell, f"{name}:row {i}"), cell.encode()
        except ContentError as exc:
            yield exc, b""


def _iter_folder(path: Path, progress: Progress | None) -> Iterator[tuple[Response | ContentError, bytes]]:
    files = sorted(path.glob("*.json"))
    if not files:
        raise SourceError(
            f"{path} is a folder with no .json files; import a JSONL file, or a folder of JSON responses"
        )
    for i, child in enumerate(files, 1):
        if progress is not None and i % 200 == 0:
            progress(i / len(files), f"reading {path.name}")
        data = child.read_bytes()
        try:
            yield _parse_text(data, str(child)), data
        except ContentError as exc:
            yield exc, b""


def read_path(path: Path, progress: Progress | None) -> Iterator[tuple[Response | ContentError, bytes]]:
    if path.is_dir():
        yield from _iter_folder(path, progress)
        return
    if not path.is_file():
        raise SourceError(f"{path}: no such file or folder on this server")
    with path.open("rb") as fh:
        kind = _sniff(fh.read(8192), path.name)
        fh.seek(0)
        if kind == "jsonl":
            yield from _iter_jsonl(fh, path.name, path.stat().st_size, progress)
            return
        data = fh.read()
    if kind == "json":
        yield from _iter_json(data, path.name)
    else:
        yield from _iter_csv(data.decode("utf-8", errors="replace"), path.name, progress)


def read_bytes(
    content: bytes, name: str, progress: Progress | None
) -> Iterator[tuple[Response | ContentError, bytes]]:
    kind = _sniff(content[:8192], name)
    if kind == "jsonl":
        yield from _iter_jsonl(io.BytesIO(content), name, len(content), progress)
    elif kind == "json":
        yield from _iter_json(content, name)
    else:
        yield from _iter_csv(content.decode("utf-8", errors="replace"), name, progress)
