"""The quality lead's calibration dashboard without widgets: import, filters, views, drill-down.

:class:`Dashboard` holds every loaded response as :class:`~arms_training.calibration.result.ResponseFrames`
scored once (:func:`~arms_training.calibration.result.score_frames`); a filter only picks rows of the
scored frame and the calibration tables are rebuilt from that subset by the very records
``arms-training calibrate`` builds them with (:mod:`arms_training.calibration.catalogue`), so the
dashboard and the command line give the same numbers for the same responses and filters (each response is
scored on its own, so scoring everything then filtering equals filtering then scoring).

Import (:meth:`Dashboard.import_path`, :meth:`Dashboard.import_bytes`, :meth:`Dashboard.load_store`)
    Sources are read by :func:`arms_training.io.sources.read_records`, as the command line reads
    them (same records, same problems, named the same way). Responses are merged by
    ``response_id``: the first copy seen is kept, later copies are counted as duplicates. Bad
    records are counted and listed, never fatal. ``progress(fraction, label)`` is called as
    records are read.
Cohort
    The Response format has no cohort field: a trainee's cohort is the month (``YYYY-MM``, UTC)
    of their first response among all loaded responses. Sessions are filtered separately.
Views (:data:`VIEW_NAMES`)
    Every table of :mod:`arms_training.calibration.catalogue`, built by its record: the six
    the command line writes, with their names and columns (``assessors``, ``factors`` per
    vignette and factor, ``reliability``, ``agencies``, ``drift``, ``plans``), plus
    ``factor_summary`` (per factor over vignettes: agreement with the key and the direction of
    the disagreement) and ``plan_findings`` (rubric findings by kind). ``reliability`` adds
    both ends of each interval read against the statistic's bands and the note on the bands
    (its record's ``annotate``:
    :func:`~arms_training.calibration.reliability.with_bands`, from the registry of agreement
    statistics); it is the slow one (bootstrap), so the app computes it on request
    (:meth:`Dashboard.on_request`).
"""

from __future__ import annotations

import math
from collections import Counter, OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, fields, replace
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from arms_training.calibration import catalogue
from arms_training.calibration.catalogue import Names
from arms_training.calibration.factors import DIRECTION_MIN
from arms_training.calibration.imports import ImportReport, Records
from arms_training.calibration.plans import FINDING_LABELS
from arms_training.calibration.result import CalibrationSettings, CalibrationTables, Filters
from arms_training.calibration.scored import TableInputs, scored_frame
from arms_training.content import Library, load_library
from arms_training.errors import ContentError, Problem, SourceError
from arms_training.framework import Framework, framework_by_id
from arms_training.io.frames import ResponseFrames, concat_frames, paused_gc, responses_frame
from arms_training.io.sources import Progress, Record, read_records
from arms_training.responses import Response
from arms_training.scoring.batch import BatchScores, score_frames
from arms_training.scoring.report import ScoreReport

__all__ = [
    "Dashboard",
    "DashboardState",
    "ImportReport",
    "SourceError",
    "AssessorDetail",
    "Progress",
    "VIEW_NAMES",
    "FINDING_LABELS",
    "DIRECTION_MIN",
    "sort_table",
    "page_of",
    "problem_groups",
]

# Every registered table is a view (read from the registry each time).
VIEW_NAMES: Names = Names(catalogue.names)
# Records are turned into frames this many at a time, so the Response objects of a 100,000-line
# import never all live at once (about 12 kB each; the JSON text kept for drill-down is ~3 kB).
CHUNK = 5000
# Views kept for recent filter choices (each at most a table per assessor).
CACHE_SIZE = 48


# ------------------------------------------------------------------------------------ state


@dataclass(frozen=True)
class DashboardState:
    """What the quality lead chose: filters (empty tuple = all), thresholds, sort orders.

    ``cohort`` holds months (``YYYY-MM``) of a trainee's first response; the other filters are
    those of :class:`~arms_training.calibration.result.Filters`.
    """

    since: date | None = None
    until: date | None = None
    agency: tuple[str, ...] = ()
    area: tuple[str, ...] = ()
    vignette: tuple[str, ...] = ()
    session: tuple[str, ...] = ()
    cohort: tuple[str, ...] = ()
    settings: CalibrationSettings = field(default_factory=CalibrationSettings)

    def filter_key(self) -> tuple:
        return tuple(getattr(self, f.name) for f in fields(self) if f.name != "settings")

    @property
    def active(self) -> bool:
        return any(self.filter_key())


@dataclass
class AssessorDetail:
    """One assessor: their row of the assessors table and their responses inside the filters."""

    trainee_id: str
    summary: dict[str, Any] | None
    responses: pd.DataFrame
    n_outside: int


def _first_month(meta: pd.DataFrame) -> pd.Series:
    first = meta.groupby("trainee_id")["when"].min()
    return first.dt.strftime("%Y-%m").fillna("unknown")


class Dashboard:
    """Loaded responses, scored once, and the views of the current :class:`DashboardState`."""

    def __init__(self, library: Library | None = None, *, state: DashboardState | None = None) -> None:
        self.library = library if library is not None else load_library()
        self.state = state or DashboardState()
        self.reports: list[ImportReport] = []
        self._records = Records()
        self._seen: set[str] = set()
        self._parts: list[ResponseFrames] = []
        self.frames: ResponseFrames
        self.batch: BatchScores
        self.scored: pd.DataFrame
        self.frameworks: dict[str, Framework] = {}
        self._cache: OrderedDict[tuple, Any] = OrderedDict()
        # Bumped whenever the loaded responses change, so views know to redraw.
        self.generation = 0
        self.clear()

    # -- loading ---------------------------------------------------------------------------
    @property
    def n_loaded(self) -> int:
        return len(self.frames)

    @property
    def problems(self) -> list[Problem]:
        return [p for r in self.reports for p in r.problems] + list(self.batch.problems)

    def import_path(self, path: str | Path, *, progress: Progress | None = None) -> ImportReport:
        """Import a JSONL/JSON/CSV file or a folder of JSON files on this server."""
        path = Path(path).expanduser()
        return self._import(read_records(path, progress=progress), path.name or str(path), progress)

    def import_bytes(self, content: bytes, name: str, *, progress: Progress | None = None) -> ImportReport:
        """Import an uploaded file's content (``name`` decides the format with the content)."""
        return self._import(read_records(content, name=name, progress=progress), name, progress)

    def load_store(self, store, *, progress: Progress | None = None) -> ImportReport:
        """Every submitted response in ``store`` (a :class:`arms_training.store.Store`); a stored
        record that no longer validates is listed as a bad record, like a bad line of a file."""
        return self._import(read_records(store, progress=progress), "training database", progress)

    def import_responses(
        self, responses: Iterable[Response], name: str = "responses", *, progress: Progress | None = None
    ) -> ImportReport:
        return self._import((Record(r, b"") for r in responses), name, progress)

    def _import(self, records: Iterable[Record], name: str, progress: Progress | None) -> ImportReport:
        report = ImportReport(name)
        new_ids: set[str] = set()
        chunk: list[Response] = []
        texts: list[bytes] = []
        parts: list[ResponseFrames] = []
        with paused_gc():
            for item, text in records:
                report.n_records += 1
                if isinstance(item, ContentError):
                    report.problems.extend(item.problems)
                    continue
                rid = str(item.response_id)
                if rid in self._seen or rid in new_ids:
                    report.n_duplicates += 1
                    continue
                new_ids.add(rid)
                chunk.append(item)
                # Where the source held no JSON text of the record's own, keep the model's.
                texts.append(text or item.model_dump_json().encode())
                if len(chunk) >= CHUNK:
                    parts.append(self._frame_chunk(chunk))
                    chunk = []
            if chunk:
                parts.append(self._frame_chunk(chunk))
        report.n_new = sum(len(p) for p in parts)
        if (
            report.n_records
            and not report.n_new
            and not report.n_duplicates
            and report.n_bad >= report.n_records
        ):
            first = report.problems[0]
            raise SourceError(
                f"{name}: none of its {report.n_records} records is a response "
                f"(first problem: {first}); import JSONL of responses (one per "
                "line), JSON or CSV with a 'response' column"
            )
        self.reports.append(report)
        if report.n_new:
            self._seen |= new_ids
            self._parts += parts
            self._records.items += texts
            if progress is not None:
                progress(1.0, "scoring")
            self._rebuild()
        return report

    @staticmethod
    def _frame_chunk(chunk: list[Response]) -> ResponseFrames:
        frames = responses_frame(chunk)
        frames.objects = []
        return frames

    def _rebuild(self) -> None:
        frames = concat_frames(self._parts) if len(self._parts) != 1 else self._parts[0]
        self._parts = [frames]
        frames.objects = self._records
        self.frames = frames
        lib = self.library
        self.frameworks = {}
        for fw_id in frames.responses["framework"].unique():
            try:
                self.frameworks[fw_id] = framework_by_id(fw_id)
            except KeyError:
                pass  # score_frames lists the records as bad
        self.batch = score_frames(frames, lib.keys, frameworks=self.frameworks, vignettes=lib.vignettes)
        scored = scored_frame(frames, self.batch)
        cohort = _first_month(frames.responses)
        self.scored = scored.assign(cohort=scored["trainee_id"].map(cohort))
        self._cache.clear()
        self.generation += 1

    def clear(self) -> None:
        """Forget every loaded response (the filters and thresholds stay)."""
        self.reports, self._records, self._seen, self._parts = [], Records(), set(), []
        self.frames = responses_frame([])
        self.batch = score_frames(self.frames, self.library.keys)
        self.scored = scored_frame(self.frames, self.batch).assign(cohort=pd.Series(dtype=object))
        self.frameworks = {}
        self._cache.clear()
        self.generation += 1

    # -- filters ---------------------------------------------------------------------------
    def set_state(self, **changes: Any) -> DashboardState:
        self.state = replace(self.state, **changes)
        return self.state

    def options(self) -> dict[str, list[tuple[str, str]]]:
        """(label, value) choices for each filter, from the scored responses."""
        s = self.scored
        lib = self.library

        def plain(column: str) -> list[tuple[str, str]]:
            values = sorted(v for v in s[column].dropna().unique() if v != "")
            return [(str(v), str(v)) for v in values]

        vignettes = [
            (f"{lib.vignettes[v].title} ({v})" if v in lib.vignettes else v, v)
            for v in sorted(s["vignette_id"].unique())
        ]
        return {
            "agency": plain("agency"),
            "area": plain("area"),
            "vignette": vignettes,
            "session": plain("session_code"),
            "cohort": plain("cohort"),
        }

    def date_range(self) -> tuple[date | None, date | None]:
        when = self.scored["when"]
        if when.isna().all():
            return None, None
        return when.min().date(), when.max().date()

    def filters(self, state: DashboardState | None = None) -> Filters:
        """The state as :class:`~arms_training.calibration.result.Filters` (cohort months become the
        trainee ids whose first response fell in them), as the command line takes them."""
        st = state or self.state
        cohort = None
        if st.cohort:
            s = self.scored
            cohort = sorted(set(s.loc[s["cohort"].isin(st.cohort), "trainee_id"]))
        return Filters(
            since=st.since,
            until=st.until,
            agency=st.agency or None,
            area=st.area or None,
            vignette=st.vignette or None,
            session=st.session or None,
            cohort=cohort,
        )

    def _cached(self, key: tuple, compute: Callable[[], Any]) -> Any:
        if key in self._cache:
            self._cache.move_to_end(key)
            return self._cache[key]
        value = compute()
        self._cache[key] = value
        while len(self._cache) > CACHE_SIZE:
            self._cache.popitem(last=False)
        return value

    def mask(self) -> np.ndarray:
        return self._cached(("mask", self.state.filter_key()), lambda: self.filters().mask(self.scored))

    def subset(self) -> pd.DataFrame:
        def compute() -> pd.DataFrame:
            m = self.mask()
            return self.scored if m.all() else self.scored[m]

        return self._cached(("subset", self.state.filter_key()), compute)

    # -- views -----------------------------------------------------------------------------
    def _used(self, scored: pd.DataFrame) -> dict[str, Framework]:
        return {f: self.frameworks[f] for f in scored["framework"].unique()}

    def view(self, name: str, *, progress: Progress | None = None) -> pd.DataFrame:
        """One view for the current filters and settings (cached until either changes): the
        registered table ``name`` built from the filtered responses, as people read it
        (:meth:`~arms_training.calibration.catalogue.Table.shown`)."""
        record = catalogue.table(name)
        return self._cached(
            (name, self.state.filter_key(), self.state.settings),
            lambda: record.shown(record.build(self._inputs(progress))),
        )

    def has_view(self, name: str) -> bool:
        return (name, self.state.filter_key(), self.state.settings) in self._cache

    def on_request(self, name: str) -> bool:
        """Whether view ``name`` is slow and not computed yet for the current filters and
        settings (the app then computes it for a large selection only when asked)."""
        return catalogue.table(name).on_request and not self.has_view(name)

    def _inputs(self, progress: Progress | None) -> TableInputs:
        s = self.subset()
        return TableInputs(
            s,
            self.frames,
            self.batch,
            self.library.keys,
            self._used(s),
            self.state.settings,
            all_frameworks=self.frameworks,
            progress=progress,
        )

    # -- results and drill-down --------------------------------------------------------------
    def result(self, *, progress: Progress | None = None, summaries: bool = False) -> CalibrationTables:
        """The command-line tables for the current filters (reliability included), as the
        dashboard shows them; ``summaries`` adds the others (as ``tables(..., summaries=True)``)."""
        s = self.subset()
        views = {
            r.name: self.view(r.name, progress=progress) for r in catalogue.records() if r.csv or summaries
        }
        return CalibrationTables(
            tables=views,
            scores=s.drop(columns=["ok", "cohort"]).reset_index(drop=True),
            n_records=self.n_loaded + sum(r.n_bad for r in self.reports),
            n_filtered_out=len(self.scored) - len(s),
            n_scored=len(s),
            n_bad=sum(r.n_bad for r in self.reports) + len({p.path for p in self.batch.problems}),
            bad=self.problems,
            settings=self.state.settings,
        )

    def assessor_detail(self, trainee_id: str) -> AssessorDetail:
        """The assessor's row (flags and reasons) and their responses inside the filters."""
        s = self.subset()
        mine = s[s["trainee_id"] == trainee_id].sort_values("when", kind="stable")
        everywhere = int((self.scored["trainee_id"] == trainee_id).sum())
        table = self.view("assessors")
        row = table[table["trainee_id"] == trainee_id]
        lib = self.library
        responses = pd.DataFrame(
            {
                "row": mine.index.to_numpy(),
                "when": mine["when"].dt.strftime("%Y-%m-%d %H:%M"),
                "vignette_id": mine["vignette_id"],
                "vignette": [
                    lib.vignettes[v].title if v in lib.vignettes else v for v in mine["vignette_id"]
                ],
                "session_code": mine["session_code"].fillna(""),
                "mode": mine["mode"],
                "total": mine["total"],
                "exact_agreement": mine["exact_agreement"],
                "within_one": mine["within_one"],
                "bias_risk": mine["bias_risk"],
                "bias_protective": mine["bias_protective"],
                "plan": mine["plan"],
                "response_id": mine["response_id"],
            }
        ).reset_index(drop=True)
        return AssessorDetail(
            trainee_id, row.iloc[0].to_dict() if len(row) else None, responses, everywhere - len(mine)
        )

    def response(self, row: int) -> Response:
        return self.frames.objects[int(row)]

    def feedback(self, row: int) -> ScoreReport:
        """The score report (with feedback) of one loaded response, from the one scoring
        module; raises ScoringError for a response that cannot be scored."""
        from arms_training.scoring.rules import score

        r = self.response(row)
        lib = self.library
        return score(
            r,
            lib.keys[r.vignette_id],
            self.frameworks[r.framework],
            vignette=lib.vignettes.get(r.vignette_id),
        )

    def summary(self) -> dict[str, int]:
        s = self.subset()
        assessors = self.view("assessors") if len(s) else None
        return {
            "loaded": self.n_loaded,
            "scored": len(self.scored),
            "not_scored": len({p.path for p in self.batch.problems}),
            "unreadable": sum(r.n_bad for r in self.reports),
            "duplicates": sum(r.n_duplicates for r in self.reports),
            "matching": len(s),
            "assessors": 0 if assessors is None else len(assessors),
            "flagged": 0 if assessors is None else int(assessors["flagged"].sum()),
        }


# ---------------------------------------------------------------------------- table helpers


def sort_table(table: pd.DataFrame, by: str | None, *, ascending: bool = True) -> pd.DataFrame:
    """``table`` sorted by column ``by`` (stable; missing values last); unknown ``by`` keeps
    the order."""
    if not by or by not in table.columns or table.empty:
        return table
    return table.sort_values(by, ascending=ascending, na_position="last", kind="stable")


def page_of(table: pd.DataFrame, page: int, size: int) -> tuple[pd.DataFrame, int, int]:
    """Rows of page ``page`` (0-based, clamped), that page number and the number of pages."""
    pages = max(1, math.ceil(len(table) / size))
    page = min(max(0, page), pages - 1)
    return table.iloc[page * size : (page + 1) * size], page, pages


def problem_groups(problems: Iterable[Problem], *, limit: int = 10) -> list[str]:
    """Problems grouped by what went wrong (field and message), largest group first."""
    counts = Counter((p.field, p.message) for p in problems)
    lines = [
        f"{n} record{'s' if n != 1 else ''}: {f or '(record)'}: {m}"
        for (f, m), n in counts.most_common(limit)
    ]
    if len(counts) > limit:
        lines.append(f"... and {len(counts) - limit} other kinds of problem")
    return lines
