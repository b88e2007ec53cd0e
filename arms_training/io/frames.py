"""Many responses as pandas frames, and the fast loader behind ``arms-training calibrate``.

One Python pass over the responses pulls out what calibration needs; every later step is
vectorised over these frames. Records are read by the one reader,
:func:`arms_training.io.sources.read_records`; a large JSONL file is cut into pieces read in
worker processes with the reader's own parse functions, so the records and their problems are
the same either way.
"""

from __future__ import annotations

import gc
import os
from collections.abc import Iterable, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from itertools import chain, compress, repeat
from operator import is_not, itemgetter
from pathlib import Path
from typing import cast

import numpy as np
import pandas as pd

from arms_training.errors import ContentError, Problem, SourceError
from arms_training.framework import INSUFFICIENT
from arms_training.io.sources import (
    BOM,
    Source,
    is_database_url,
    jsonl_record,
    line_name,
    parse_json,
    quick_parse,
    read_records,
    sniff,
)
from arms_training.responses import Response

__all__ = [
    "ResponseFrames",
    "responses_frame",
    "subset_frames",
    "concat_frames",
    "load_responses",
    "load_frames",
    "paused_gc",
    "ACTION_FIELDS",
]

# Bit i of an action's ``filled`` mask is set when ACTION_FIELDS[i] is filled in.
ACTION_FIELDS = ("objective", "enforcement", "rationale", "owner", "review_weeks")


@contextmanager
def paused_gc():
    """Pause the cyclic garbage collector while building many objects that hold no cycles.

    Each collection rescans every live container, so while 100,000 responses pile up in a list
    the collector costs more than the loading itself (measured: 15.5 s -> 5.9 s CPU for 100,000
    records on Python 3.11). Reference counting still frees everything; the previous state is
    restored on exit.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


@dataclass
class ResponseFrames:
    """Responses as frames; ``row`` (0..n-1) links them and indexes :attr:`objects`.

    Attributes
    ----------
    responses : DataFrame
        One row per response: ``response_id, trainee_id, agency, role, area, session_code,
        vignette_id, vignette_version, key_version (NaN unstamped), framework, mode,
        priority_level, risk_management_level, override (a non-blank rationale),
        when (submitted_at, else started_at; UTC), fu_present, fu_significant (1/0/NaN),
        fu_level``.
    ratings, follow_up_ratings : DataFrame
        Wide, one column per factor id seen: the numeric rating, ``NaN`` when missing or
        ``insufficient`` (the agreement statistics' convention).
    insufficient, follow_up_insufficient : DataFrame
        Same shape, ``True`` where the rating is ``insufficient``.
    priorities : DataFrame
        Long, ``row, factor``, duplicates within a response removed.
    actions : DataFrame
        Long, ``row, position, intervention, filled`` (bit mask over :data:`ACTION_FIELDS`),
        ``n_factors``.
    action_factors : DataFrame
        Long, ``row, position, factor``: the factors each action lists.
    objects : list of Response
        The source responses, for the scalar checks that name a bad record's problems.
    """

    responses: pd.DataFrame
    ratings: pd.DataFrame
    insufficient: pd.DataFrame
    follow_up_ratings: pd.DataFrame
    follow_up_insufficient: pd.DataFrame
    priorities: pd.DataFrame
    actions: pd.DataFrame
    action_factors: pd.DataFrame
    objects: Sequence[Response] = field(repr=False, default_factory=list)

    def __len__(self) -> int:
        return len(self.responses)

    def long_ratings(self) -> pd.DataFrame:
        """Long form: ``response_id, trainee_id, vignette_id, factor, rating`` with ``rating`` an
        int, ``"insufficient"`` or missing rows left out."""
        values = self.ratings.astype(object).where(~self.insufficient, INSUFFICIENT)
        long = values.stack().dropna().rename("rating").rename_axis(["row", "factor"])
        long = long.reset_index()
        meta = self.responses[["response_id", "trainee_id", "vignette_id"]]
        long = long.join(meta, on="row")
        long["rating"] = [r if r == INSUFFICIENT else int(r) for r in long["rating"]]
        return long[["response_id", "trainee_id", "vignette_id", "factor", "rating"]]


def _ratings_frames(dicts: list[dict], n: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Wide frames (numeric, insufficient) from one ratings dict per response; columns in
    first-seen order."""
    columns = list(dict.fromkeys(chain.from_iterable(dicts)))
    index = pd.RangeIndex(n)
    if not columns:
        return (
            pd.DataFrame(index=index, columns=columns, dtype=float),
            pd.DataFrame(index=index, columns=columns, dtype=bool),
        )
    # One C call per response (an itemgetter over every column) into an object matrix of the
    # responses with ratings, then numpy: a DataFrame built from n dicts costs ten times as
    # much. A dict as long as the column list has every column; shorter ones go the slow way.
    sizes = np.fromiter(map(len, dicts), dtype=np.int64, count=n)
    rated = np.flatnonzero(sizes)
    complete = sizes[rated] == len(columns)
    values = np.full((len(rated), len(columns)), None, dtype=object)
    if complete.any():
        getter = itemgetter(*columns) if len(columns) > 1 else (lambda d, f=columns[0]: (d[f],))
        values[complete] = list(map(getter, compress(dicts, sizes == len(columns))))
    if not complete.all():
        values[~complete] = [
            tuple(map(d.get, columns)) for d in compress(dicts, (sizes > 0) & (sizes < len(columns)))
        ]
    insufficient = np.zeros((n, len(columns)), dtype=bool)
    insufficient[rated] = found = values == INSUFFICIENT
    values[found | (values == None)] = np.nan  # noqa: E711 - element-wise on an object array
    numeric = np.full((n, len(columns)), np.nan)
    numeric[rated] = values.astype(float)
    return (
        pd.DataFrame(numeric, index=index, columns=columns),
        pd.DataFrame(insufficient, index=index, columns=columns),
    )


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


def _utc_times(values: list) -> pd.Series:
    """``pd.to_datetime(values, utc=True)``, by integer arithmetic when every value is a
    timezone-aware datetime (pandas converts those one by one, about ten times slower)."""
    try:
        if not values:
            raise TypeError
        micros = [(v - _EPOCH) // _MICROSECOND for v in values]
    except TypeError:  # none, a naive datetime (taken as UTC) or not a datetime: pandas decides
        return pd.to_datetime(pd.Series(values), utc=True)
    return pd.Series(np.array(micros, dtype="datetime64[us]")).dt.tz_localize(UTC)


def _filled(values: Sequence) -> np.ndarray:
    """Per value: not None and, for a string, not blank (str.strip and str.isspace agree on
    what is white space)."""
    kinds = set(map(type, values))
    if kinds <= {str}:
        return np.fromiter(map(bool, map(str.strip, values)), dtype=bool, count=len(values))
    if not any(issubclass(k, str) for k in kinds):  # a number of weeks or None
        return np.fromiter(map(is_not, values, repeat(None)), dtype=bool, count=len(values))
    return np.fromiter(
        (v is not None and (v.__class__ is not str or bool(v.strip())) for v in values),
        dtype=bool,
        count=len(values),
    )


def _positions(lengths: np.ndarray) -> np.ndarray:
    """0..length-1 for each length, concatenated."""
    return np.arange(int(lengths.sum()), dtype=np.int64) - np.repeat(np.cumsum(lengths) - lengths, lengths)


_META_COLUMNS = [
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
    "mode",
    "priority_level",
    "risk_management_level",
    "override",
    "when",
    "fu_present",
    "fu_significant",
    "fu_level",
]
_FIELDS = itemgetter(
    "response_id",
    "trainee",
    "session_code",
    "vignette_id",
    "vignette_version",
    "key_version",
    "framework",
    "mode",
    "priority_level",
    "risk_management_level",
    "override_rationale",
    "submitted_at",
    "started_at",
    "follow_up",
    "ratings",
    "priorities",
    "plan",
)
_TRAINEE = itemgetter("id", "agency", "role", "area")
_ACTION = itemgetter("intervention", "factors", *ACTION_FIELDS)
_NO_RATINGS: dict = {}


class _Collector:
    """Pulls what the frames need out of each response as it arrives (one pass, while the
    response is still in the CPU cache: going back over 100,000 models field by field costs
    several times more), then builds the frames in :meth:`frames`."""

    def __init__(self) -> None:
        self.meta: list[tuple] = []
        self.when: list = []
        self.ratings: list[dict] = []
        self.fu_ratings: list[dict] = []
        self.priorities: list[list[str]] = []
        self.n_actions: list[int] = []
        self.actions: list[tuple] = []

    def add(self, r: Response) -> None:
        # A pydantic model keeps its fields in __dict__; one itemgetter call reads them all.
        (
            rid,
            trainee,
            session,
            vid,
            vversion,
            kversion,
            fw,
            mode,
            plevel,
            rml,
            override,
            submitted,
            started,
            fu,
            ratings,
            priorities,
            plan,
        ) = _FIELDS(r.__dict__)
        tid, agency, role, area = _TRAINEE(trainee.__dict__)
        if fu is None:
            self.meta.append(
                (
                    str(rid),
                    tid,
                    agency,
                    role,
                    area,
                    session,
                    vid,
                    vversion,
                    kversion,
                    fw,
                    mode,
                    plevel,
                    rml,
                    bool(override and override.strip()),
                    False,
                    None,
                    None,
                )
            )
            self.fu_ratings.append(_NO_RATINGS)
        else:
            self.meta.append(
                (
                    str(rid),
                    tid,
                    agency,
                    role,
                    area,
                    session,
                    vid,
                    vversion,
                    kversion,
                    fw,
                    mode,
                    plevel,
                    rml,
                    bool(override and override.strip()),
                    True,
                    fu.significant_change,
                    fu.risk_management_level,
                )
            )
            self.fu_ratings.append(fu.ratings)
        self.when.append(submitted or started)
        self.ratings.append(ratings)
        self.priorities.append(priorities)
        self.n_actions.append(len(plan))
        if plan:  # the filled-in mask is worked out column by column in frames()
            self.actions.extend([_ACTION(a.__dict__) for a in plan])

    def frames(self, objects: Sequence[Response]) -> ResponseFrames:
        n = len(self.meta)
        columns = [c for c in _META_COLUMNS if c != "when"]
        frame = pd.DataFrame.from_records(self.meta, columns=columns, nrows=n)
        frame.insert(_META_COLUMNS.index("when"), "when", _utc_times(self.when))
        frame["key_version"] = frame["key_version"].astype(float)
        frame["fu_significant"] = frame["fu_significant"].map({True: 1.0, False: 0.0}).astype(float)
        numeric, insufficient = _ratings_frames(self.ratings, n)
        fu_numeric, fu_insufficient = _ratings_frames(self.fu_ratings, n)
        rows = np.arange(n, dtype=np.int64)
        # Priorities: repeats within a response dropped, the first kept (as dict.fromkeys).
        lengths = np.fromiter(map(len, self.priorities), dtype=np.int64, count=n)
        priorities = pd.DataFrame(
            {"row": np.repeat(rows, lengths), "factor": list(chain.from_iterable(self.priorities))}
        )
        if priorities.duplicated().any():
            priorities = priorities.drop_duplicates().reset_index(drop=True)
        n_actions = np.array(self.n_actions, dtype=np.int64)
        fields = list(zip(*self.actions, strict=True)) if self.actions else [()] * (2 + len(ACTION_FIELDS))
        interventions, factors = fields[0], fields[1]
        # Bit i set when ACTION_FIELDS[i] is filled in: not None and, for text, not blank.
        filled = np.zeros(len(interventions), dtype=np.int64)
        for bit, values in enumerate(fields[2:]):
            filled |= _filled(values).astype(np.int64) << bit
        n_factors = np.fromiter(map(len, factors), dtype=np.int64, count=len(factors))
        act_row, act_pos = np.repeat(rows, n_actions), _positions(n_actions)
        actions = pd.DataFrame(
            {
                "row": act_row,
                "position": act_pos,
                "intervention": pd.Series(interventions, dtype=object),
                "filled": filled,
                "n_factors": n_factors,
            }
        )
        actions["intervention"] = actions["intervention"].infer_objects()
        action_factors = pd.DataFrame(
            {
                "row": np.repeat(act_row, n_factors),
                "position": np.repeat(act_pos, n_factors),
                "factor": list(chain.from_iterable(factors)),
            }
        )
        return ResponseFrames(
            responses=frame,
            ratings=numeric,
            insufficient=insufficient,
            follow_up_ratings=fu_numeric,
            follow_up_insufficient=fu_insufficient,
            priorities=priorities,
            actions=actions,
            action_factors=action_factors,
            objects=objects,
        )


def responses_frame(responses: Iterable[Response]) -> ResponseFrames:
    """Build :class:`ResponseFrames` from validated responses (one Python pass)."""
    with paused_gc():
        return _responses_frame(list(responses))


def _responses_frame(objects: list[Response]) -> ResponseFrames:
    collector = _Collector()
    for r in objects:
        collector.add(r)
    return collector.frames(objects)


# ------------------------------------------------------------------------------------ loading


class _Bar:
    """A tqdm bar on stderr driven by ``progress(fraction, label)`` calls (the readers' progress
    callback); tqdm leaves it off when stderr is not a terminal, so CI logs stay clean."""

    def __init__(self) -> None:
        from tqdm import tqdm

        self.bar = tqdm(
            total=100,
            disable=None,
            desc="loading responses",
            leave=False,
            bar_format="{desc}: {percentage:3.0f}%|{bar}| {elapsed}",
        )

    def __call__(self, fraction: float, label: str) -> None:
        step = int(100 * min(max(fraction, 0.0), 1.0)) - self.bar.n
        if step > 0:
            self.bar.update(step)

    def close(self) -> None:
        self.bar.close()


def _is_source(source: object) -> bool:
    return isinstance(source, str | os.PathLike | bytes) or hasattr(source, "submitted_responses")


def load_responses(
    source: Source | Iterable[Response | ContentError], *, progress: bool = False
) -> tuple[list[Response], list[Problem]]:
    """Load responses from any source :func:`~arms_training.io.sources.read_records` reads (a
    JSONL, JSON or CSV file, a folder of JSON files, a database URL), or from an iterable of
    responses (and ContentErrors for bad records); return ``(responses, problems)``.

    Bad records are never raised: their problems are returned so a batch can count and list
    them and carry on with the rest. ``progress`` shows a bar on stderr (when it is a terminal).
    """
    bar = None
    items: Iterable[Response | ContentError]
    if _is_source(source):
        bar = _Bar() if progress else None
        items = (r.item for r in read_records(cast(Source, source), progress=bar))
    else:
        items = cast(Iterable[Response | ContentError], source)
    good: list[Response] = []
    bad: list[Problem] = []
    try:
        with paused_gc():
            for item in items:
                if isinstance(item, ContentError):
                    bad.extend(item.problems)
                else:
                    good.append(item)
    finally:
        if bar is not None:
            bar.close()
    return good, bad


def subset_frames(frames: ResponseFrames, rows: np.ndarray) -> ResponseFrames:
    """The subset of ``frames`` at positional ``rows``, renumbered 0..len(rows)-1."""
    rows = np.asarray(rows, dtype=np.int64)
    remap = pd.Series(np.arange(len(rows)), index=rows)

    def long(df: pd.DataFrame) -> pd.DataFrame:
        sub = df[df["row"].isin(rows)].copy()
        sub["row"] = remap.reindex(sub["row"].to_numpy()).to_numpy()
        return sub.reset_index(drop=True)

    def wide(df: pd.DataFrame) -> pd.DataFrame:
        return df.iloc[rows].reset_index(drop=True)

    return ResponseFrames(
        responses=wide(frames.responses),
        ratings=wide(frames.ratings),
        insufficient=wide(frames.insufficient),
        follow_up_ratings=wide(frames.follow_up_ratings),
        follow_up_insufficient=wide(frames.follow_up_insufficient),
        priorities=long(frames.priorities),
        actions=long(frames.actions),
        action_factors=long(frames.action_factors),
        objects=_take(frames.objects, rows),
    )


def _take(objects: Sequence[Response], rows: np.ndarray) -> Sequence[Response]:
    if isinstance(objects, _LazyObjects):
        return objects.take(rows)
    return [objects[i] for i in rows] if len(objects) else []


def concat_frames(parts: list[ResponseFrames]) -> ResponseFrames:
    """One :class:`ResponseFrames` from several, rows renumbered in order (``objects`` left
    empty: the caller supplies them)."""
    if not parts:
        return responses_frame([])
    offsets = np.cumsum([0, *(len(p) for p in parts[:-1])])

    def long(name: str) -> pd.DataFrame:
        frames = [
            getattr(p, name).assign(row=getattr(p, name)["row"] + off)
            for p, off in zip(parts, offsets, strict=True)
        ]
        return pd.concat(frames, ignore_index=True)

    def wide(name: str, fill) -> pd.DataFrame:
        out = pd.concat([getattr(p, name) for p in parts], ignore_index=True)
        return out.fillna(fill).astype(bool) if fill is False else out

    return ResponseFrames(
        responses=pd.concat([p.responses for p in parts], ignore_index=True),
        ratings=wide("ratings", None),
        insufficient=wide("insufficient", False),
        follow_up_ratings=wide("follow_up_ratings", None),
        follow_up_insufficient=wide("follow_up_insufficient", False),
        priorities=long("priorities"),
        actions=long("actions"),
        action_factors=long("action_factors"),
        objects=[],
    )


class _LazyObjects(Sequence):
    """Responses re-read on demand from their byte offsets in a JSONL file: the scalar checks
    need the objects of a few suspect records, not of all 100,000."""

    def __init__(self, path: Path, offsets: np.ndarray, lines: np.ndarray):
        self.path, self.offsets, self.lines = path, offsets, lines

    def __len__(self) -> int:
        return len(self.offsets)

    def __getitem__(self, i: int) -> Response:  # type: ignore[override]
        with self.path.open("rb") as fh:
            fh.seek(int(self.offsets[i]))
            raw = fh.readline()
        return parse_json(raw, line_name(str(self.path), int(self.lines[i])))

    def take(self, rows: np.ndarray) -> _LazyObjects:
        return _LazyObjects(self.path, self.offsets[rows], self.lines[rows])


def _chunks(path: Path, n: int) -> list[tuple[int, int]]:
    """(start byte, end byte) of ``n`` pieces cut at line ends."""
    size = path.stat().st_size
    cuts = [0]
    with path.open("rb") as fh:
        for i in range(1, n):
            fh.seek(max(cuts[-1], size * i // n))
            fh.readline()
            cuts.append(min(fh.tell(), size))
    cuts.append(size)
    cuts = sorted(set(cuts))
    return list(zip(cuts[:-1], cuts[1:], strict=True))


def _load_chunk(args: tuple[str, int, int]):
    with paused_gc():
        return _load_chunk_items(*args)


def _load_chunk_items(path: str, start: int, end: int):
    """Frames, bad records and positions of the lines in bytes ``start:end`` of a JSONL file.

    Line numbers are counted from the start of the piece (the parent, knowing how many lines
    each piece has, makes them absolute: counting the lines before a piece here would read the
    file again). Each response goes into the collector as soon as it is validated and is then
    dropped (the parent re-reads a record from the file when it needs the object): memory stays
    small and the next record reuses it while it is still in the CPU cache.
    """
    collector, offsets, lines, bad = _Collector(), [], [], []
    add = collector.add
    pos, lineno = start, 0
    with open(path, "rb") as fh:
        fh.seek(start)
        for raw in fh:
            if pos >= end:
                break
            lineno += 1
            at, pos = pos, pos + len(raw)
            if at == 0 and raw.startswith(BOM):  # as the serial reader: the file's mark, not data
                raw, at = raw[len(BOM) :], len(BOM)
            response = quick_parse(raw)
            if response is None:
                record = jsonl_record(raw, path, lineno)
                if record is None:  # a blank line
                    continue
                if isinstance(record.item, ContentError):
                    bad.append((lineno, record.item.problems))
                    continue
                response = record.item
            add(response)
            offsets.append(at)
            lines.append(lineno)
    frames = collector.frames([])
    return frames, bad, np.array(offsets, dtype=np.int64), np.array(lines, dtype=np.int64), lineno


def _renumber(problems: list[Problem], path: str, lineno: int, shift: int) -> list[Problem]:
    """Problems of the record at a piece's line ``lineno``, named by its line in the file."""
    local, actual = line_name(path, lineno), line_name(path, lineno + shift)
    return [
        replace(p, path=actual + p.path[len(local) :]) if p.path.startswith(local) else p for p in problems
    ]


# Below this size one process is faster than starting workers.
PARALLEL_MIN_BYTES = 8_000_000


def _parallel_jsonl(source: Source, workers: int) -> Path | None:
    """The path of ``source`` when it is a JSONL file worth reading in ``workers`` processes."""
    if workers < 2 or is_database_url(source) or not isinstance(source, str | os.PathLike):
        return None
    path = Path(source)
    if not path.is_file() or path.stat().st_size < PARALLEL_MIN_BYTES:
        return None
    with path.open("rb") as fh:
        head = fh.read(8192)
    try:
        return path if sniff(head, str(path)) == "jsonl" else None
    except SourceError:
        return None  # the serial reader refuses it with the same message


def load_frames(
    source: Source, *, workers: int | None = None, progress: bool = False
) -> tuple[ResponseFrames, list[Problem]]:
    """Load any source :func:`load_responses` reads straight into :class:`ResponseFrames`,
    ``(frames, problems)``.

    A JSONL file of at least :data:`PARALLEL_MIN_BYTES` is cut at line ends and validated in
    ``workers`` processes (default: the CPU count, at most 8); each builds its own frames and
    the pieces are joined in file order, so the result and the problems are the same as
    ``responses_frame(load_responses(source))``. ``frames.objects`` then re-reads a record
    from the file when asked for it.
    """
    path = _parallel_jsonl(source, workers or min(8, os.cpu_count() or 1))
    if path is None:
        good, bad = load_responses(source, progress=progress)
        return responses_frame(good), bad
    workers = workers or min(8, os.cpu_count() or 1)
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    # fork shares the already-imported package with the workers; elsewhere the default works.
    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork" if "fork" in methods else None)
    pieces = _chunks(path, workers * 4)
    bar = _Bar() if progress else None
    results = []
    try:
        with ProcessPoolExecutor(workers, mp_context=context) as pool:
            for result in pool.map(_load_chunk, [(str(path), *p) for p in pieces]):
                results.append(result)
                if bar is not None:
                    bar(len(results) / len(pieces), "loading responses")
    finally:
        if bar is not None:
            bar.close()
    frames = concat_frames([r[0] for r in results])
    shifts = np.cumsum([0, *(r[4] for r in results[:-1])])
    frames.objects = _LazyObjects(
        path,
        np.concatenate([r[2] for r in results]),
        np.concatenate([r[3] + shift for r, shift in zip(results, shifts, strict=True)]),
    )
    problems = [
        p
        for r, shift in zip(results, shifts, strict=True)
        for lineno, found in r[1]
        for p in _renumber(found, str(path), lineno, int(shift))
    ]
    return frames, problems
