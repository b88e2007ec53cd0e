"""Many responses as pandas frames, and the fast loader behind ``arms-training calibrate``.

One Python pass over the responses pulls out what calibration needs; every later step is
vectorised over these frames.
"""

from __future__ import annotations

import gc
import json
import os
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from pydantic import ValidationError

from .errors import ContentError, Problem
from .framework import INSUFFICIENT
from .responses import MAX_TEXT, Response, iter_responses, parse_response

__all__ = [
    "ResponseFrames", "responses_frame", "subset_frames", "concat_frames", "load_responses",
    "load_frames", "iter_source", "paused_gc", "ACTION_FIELDS",
]

# Bit i of an action's ``filled`` mask is set when ACTION_FIELDS[i] is filled in.
ACTION_FIELDS = ("objective", "enforcement", "rationale", "owner", "review_weeks")
_FIELD_BITS = tuple((1 << i, name) for i, name in enumerate(ACTION_FIELDS))


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
    columns = list(dict.fromkeys(f for d in dicts for f in d))
    raw = pd.DataFrame.from_records(dicts, columns=columns, index=range(n)) if n else \
        pd.DataFrame(index=range(0), columns=columns)
    raw = raw.reindex(columns=columns)
    insufficient = raw.eq(INSUFFICIENT)
    numeric = raw.mask(insufficient).astype(float)
    return numeric, insufficient


def responses_frame(responses: Iterable[Response]) -> ResponseFrames:
    """Build :class:`ResponseFrames` from validated responses (one Python pass)."""
    with paused_gc():
        return _responses_frame(list(responses))


def _responses_frame(objects: list[Response]) -> ResponseFrames:
    meta, ratings, fu_ratings, prios, actions, action_factors = [], [], [], [], [], []
    for row, r in enumerate(objects):
        t = r.trainee
        fu = r.follow_up
        meta.append((
            str(r.response_id), t.id, t.agency, t.role, t.area, r.session_code, r.vignette_id,
            r.vignette_version, r.key_version, r.framework, r.mode, r.priority_level,
            r.risk_management_level, bool(r.override_rationale and r.override_rationale.strip()),
            r.submitted_at or r.started_at, fu is not None,
            None if fu is None else fu.significant_change,
            None if fu is None else fu.risk_management_level,
        ))
        ratings.append(r.ratings)
        fu_ratings.append(fu.ratings if fu is not None else {})
        priorities = r.priorities
        if priorities:
            prios.extend((row, f) for f in dict.fromkeys(priorities))
        for pos, a in enumerate(r.plan):
            # A pydantic model keeps its fields in __dict__; reading it directly is the
            # cheapest way through 100,000 plans.
            fields = a.__dict__
            filled = 0
            for bit, name in _FIELD_BITS:
                value = fields[name]
                if value is not None and (value.__class__ is not str or value.strip()):
                    filled |= bit
            factors = fields["factors"]
            actions.append((row, pos, fields["intervention"], filled, len(factors)))
            for f in factors:
                action_factors.append((row, pos, f))
    n = len(objects)
    frame = pd.DataFrame.from_records(meta, columns=[
        "response_id", "trainee_id", "agency", "role", "area", "session_code", "vignette_id",
        "vignette_version", "key_version", "framework", "mode", "priority_level",
        "risk_management_level", "override", "when", "fu_present", "fu_significant", "fu_level",
    ])
    frame["when"] = pd.to_datetime(frame["when"], utc=True)
    frame["key_version"] = frame["key_version"].astype(float)
    frame["fu_significant"] = frame["fu_significant"].map({True: 1.0, False: 0.0}).astype(float)
    numeric, insufficient = _ratings_frames(ratings, n)
    fu_numeric, fu_insufficient = _ratings_frames(fu_ratings, n)
    return ResponseFrames(
        responses=frame, ratings=numeric, insufficient=insufficient,
        follow_up_ratings=fu_numeric, follow_up_insufficient=fu_insufficient,
        priorities=pd.DataFrame.from_records(prios, columns=["row", "factor"]),
        actions=pd.DataFrame.from_records(
            actions, columns=["row", "position", "intervention", "filled", "n_factors"]),
        action_factors=pd.DataFrame.from_records(action_factors,
                                                 columns=["row", "position", "factor"]),
        objects=objects)


# ------------------------------------------------------------------------------------ loading


def _parse_line(line: str, source: str) -> Response:
    # pydantic-core parses and validates JSON in one step, about twice as fast as json.loads
    # followed by model_validate; on failure the shared parse_response builds the same
    # problems iter_responses reports, so both loaders list a bad record identically.
    try:
        response = Response.model_validate_json(line)
    except ValidationError:
        try:
            data = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ContentError.single(source, "", f"malformed JSON: {exc.msg}") from None
        return parse_response(data, source)
    if any(len(text) > MAX_TEXT for text in response.notes.values()):
        return parse_response(json.loads(line), source)
    return response


def iter_source(path: str | Path, *, progress: bool = False) -> Iterator[Response | ContentError]:
    """Like :func:`arms_training.responses.iter_responses` (same records, same problems), with a
    faster JSONL path and an optional tqdm bar on stderr."""
    path = Path(path)
    if path.is_dir():
        files = sorted(path.glob("*.json"))
        bar = _bar(progress, total=len(files), unit="file")
        for item in iter_responses(path):
            bar.update(1)
            yield item
        bar.close()
        return
    bar = _bar(progress, total=path.stat().st_size, unit="B", unit_scale=True)
    pending = 0
    with path.open("rb") as fh:
        for lineno, raw in enumerate(fh, 1):
            pending += len(raw)
            if lineno % 2000 == 0:  # a bar update per line would cost more than the parse
                bar.update(pending)
                pending = 0
            line = raw.decode("utf-8", errors="replace")
            if not line.strip():
                continue
            try:
                yield _parse_line(line, f"{path}:{lineno}")
            except ContentError as exc:
                yield exc
    bar.update(pending)
    bar.close()


def _bar(enabled: bool, **kwargs):
    from tqdm import tqdm

    # disable=None turns the bar off when stderr is not a terminal (CI logs stay clean).
    return tqdm(disable=None if enabled else True, desc="loading responses", leave=False,
                **kwargs)


def load_responses(source: str | Path | Iterable[Response | ContentError], *,
                   progress: bool = False) -> tuple[list[Response], list[Problem]]:
    """Load responses from a JSONL file, a folder of JSON files or an iterable of responses
    (and ContentErrors, as :func:`iter_responses` yields); return ``(responses, problems)``.

    Bad records are never raised: their problems are returned so a batch can count and list
    them and carry on with the rest.
    """
    items = iter_source(source, progress=progress) if isinstance(source, str | Path) else source
    good: list[Response] = []
    bad: list[Problem] = []
    with paused_gc():
        for item in items:
            if isinstance(item, ContentError):
                bad.extend(item.problems)
            else:
                good.append(item)
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
        responses=wide(frames.responses), ratings=wide(frames.ratings),
        insufficient=wide(frames.insufficient),
        follow_up_ratings=wide(frames.follow_up_ratings),
        follow_up_insufficient=wide(frames.follow_up_insufficient),
        priorities=long(frames.priorities), actions=long(frames.actions),
        action_factors=long(frames.action_factors),
        objects=_take(frames.objects, rows))


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
        frames = [getattr(p, name).assign(row=getattr(p, name)["row"] + off)
                  for p, off in zip(parts, offsets, strict=True)]
        return pd.concat(frames, ignore_index=True)

    def wide(name: str, fill) -> pd.DataFrame:
        out = pd.concat([getattr(p, name) for p in parts], ignore_index=True)
        return out.fillna(fill).astype(bool) if fill is False else out

    return ResponseFrames(
        responses=pd.concat([p.responses for p in parts], ignore_index=True),
        ratings=wide("ratings", None), insufficient=wide("insufficient", False),
        follow_up_ratings=wide("follow_up_ratings", None),
        follow_up_insufficient=wide("follow_up_insufficient", False),
        priorities=long("priorities"), actions=long("actions"),
        action_factors=long("action_factors"), objects=[])


class _LazyObjects(Sequence):
    """Responses re-read on demand from their byte offsets in a JSONL file: the scalar checks
    need the objects of a few suspect records, not of all 100,000."""

    def __init__(self, path: Path, offsets: np.ndarray, lines: np.ndarray):
        self.path, self.offsets, self.lines = path, offsets, lines

    def __len__(self) -> int:
        return len(self.offsets)

    def __getitem__(self, i):  # type: ignore[override]
        with self.path.open("rb") as fh:
            fh.seek(int(self.offsets[i]))
            line = fh.readline().decode("utf-8", errors="replace")
        return _parse_line(line, f"{self.path}:{int(self.lines[i])}")

    def take(self, rows: np.ndarray) -> _LazyObjects:
        return _LazyObjects(self.path, self.offsets[rows], self.lines[rows])


def _chunks(path: Path, n: int) -> list[tuple[int, int, int]]:
    """(start byte, end byte, first line number) of ``n`` pieces cut at line ends."""
    size = path.stat().st_size
    cuts = [0]
    with path.open("rb") as fh:
        for i in range(1, n):
            fh.seek(max(cuts[-1], size * i // n))
            fh.readline()
            cuts.append(min(fh.tell(), size))
    cuts.append(size)
    cuts = sorted(set(cuts))
    pieces, line = [], 1
    with path.open("rb") as fh:
        for start, end in zip(cuts[:-1], cuts[1:], strict=True):
            pieces.append((start, end, line))
            fh.seek(start)
            line += fh.read(end - start).count(b"\n")
    return pieces


def _load_chunk(args: tuple[str, int, int, int]):
    with paused_gc():
        return _load_chunk_items(*args)


def _load_chunk_items(path: str, start: int, end: int, first_line: int):
    good, offsets, lines, bad = [], [], [], []
    with open(path, "rb") as fh:
        fh.seek(start)
        data = fh.read(end - start)
    pos = start
    for lineno, raw in enumerate(data.splitlines(keepends=True), first_line):
        at, pos = pos, pos + len(raw)
        line = raw.decode("utf-8", errors="replace")
        if not line.strip():
            continue
        try:
            good.append(_parse_line(line, f"{path}:{lineno}"))
        except ContentError as exc:
            bad.extend(exc.problems)
            continue
        offsets.append(at)
        lines.append(lineno)
    frames = responses_frame(good)
    frames.objects = []
    return frames, bad, np.array(offsets, dtype=np.int64), np.array(lines, dtype=np.int64)


# Below this size one process is faster than starting workers.
PARALLEL_MIN_BYTES = 8_000_000


def load_frames(source: str | Path, *, workers: int | None = None,
                progress: bool = False) -> tuple[ResponseFrames, list[Problem]]:
    """Load a JSONL file or folder straight into :class:`ResponseFrames`, ``(frames, problems)``.

    A JSONL file of at least :data:`PARALLEL_MIN_BYTES` is cut at line ends and validated in
    ``workers`` processes (default: the CPU count, at most 8); each builds its own frames and
    the pieces are joined in file order, so the result and the problems are the same as
    ``responses_frame(load_responses(source))``. ``frames.objects`` then re-reads a record
    from the file when asked for it.
    """
    path = Path(source)
    workers = workers or min(8, os.cpu_count() or 1)
    if path.is_dir() or workers < 2 or path.stat().st_size < PARALLEL_MIN_BYTES:
        good, bad = load_responses(path, progress=progress)
        return responses_frame(good), bad
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    # fork shares the already-imported package with the workers; elsewhere the default works.
    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork" if "fork" in methods else None)
    pieces = _chunks(path, workers * 4)
    bar = _bar(progress, total=len(pieces), unit="chunk")
    results = []
    with ProcessPoolExecutor(workers, mp_context=context) as pool:
        for result in pool.map(_load_chunk, [(str(path), *p) for p in pieces]):
            results.append(result)
            bar.update(1)
    bar.close()
    frames = concat_frames([r[0] for r in results])
    frames.objects = _LazyObjects(path, np.concatenate([r[2] for r in results]),
                                  np.concatenate([r[3] for r in results]))
    return frames, [p for r in results for p in r[1]]
