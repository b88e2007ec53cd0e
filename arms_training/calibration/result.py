"""Many responses -> the tables a quality lead reads: who needs a booster, on which factors the
cohort drifts, how reliable the cohort is, where police and probation differ, which plan rules
fail most.

Scores come from the one scoring module: :mod:`arms_training.scoring.batch` applies the rules of
:mod:`arms_training.scoring.rules` vectorised (and is tested to give score()'s numbers exactly). Bad
records never stop a batch: they are counted and listed in :attr:`CalibrationTables.bad`.

Pipeline: :func:`load_responses` (any source :func:`arms_training.io.sources.read_records`
reads, or any iterable of Response) -> :func:`responses_frame` -> :func:`tables` -> the exports
(:class:`arms_training.reports.calibration_bundle.CalibrationBundle`); :func:`load_frames` does
the first two in one step, in several processes for a large JSONL file. Records sharing a
``response_id`` are scored once:
:func:`tables` keeps the first copy and counts and lists the rest, as the staff dashboard does
when it merges sources.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from arms_training.calibration import catalogue
from arms_training.calibration.catalogue import BAD_RECORDS, Names
from arms_training.calibration.factors import DIRECTION_MIN, factor_summary_table
from arms_training.calibration.plans import FINDING_LABELS, plan_findings_table
from arms_training.calibration.scored import TableInputs, scored_frame
from arms_training.calibration.settings import CalibrationSettings, Filters
from arms_training.content import AnswerKey, Library, Vignette
from arms_training.errors import ContentError, Problem
from arms_training.framework import Framework, framework_by_id
from arms_training.io.frames import (
    ResponseFrames,
    load_frames,
    load_responses,
    responses_frame,
    subset_frames,
)
from arms_training.io.spreadsheet import safe_cell, safe_frame
from arms_training.responses import Response
from arms_training.scoring.batch import BatchScores, score_frames

__all__ = [
    "CalibrationSettings",
    "Filters",
    "CalibrationTables",
    "ResponseFrames",
    "TABLE_NAMES",
    "responses_frame",
    "load_responses",
    "load_frames",
    "tables",
    "safe_cell",
    "safe_frame",
    "BatchScores",
    "score_frames",
    "bad_records_frame",
    "factor_summary_table",
    "plan_findings_table",
    "DIRECTION_MIN",
    "FINDING_LABELS",
    "DUPLICATE_MESSAGE",
    "BAD_RECORDS",
]

# The tables ``tables()`` always builds and ``calibrate --out`` writes (the registry's, read
# each time: a table registered later is among them).
TABLE_NAMES: Names = Names(lambda: catalogue.names(csv=True))
DUPLICATE_MESSAGE = (
    "duplicate: an earlier record has the same response_id; this copy is skipped (the first copy is kept)"
)


@dataclass
class CalibrationTables:
    """The result of :func:`tables`: the calibration tables plus what was scored and what was
    not.

    ``tables`` holds one DataFrame per table built, by name, in registration order
    (:mod:`arms_training.calibration.catalogue`): always those ``calibrate --out`` writes,
    the summaries too when asked for. Read one as ``result.table(name)``; the built-in ones
    also as attributes (``result.assessors``; ``result.factor_summary`` and
    ``result.plan_findings`` are ``None`` when not built). ``scores`` has one row per scored
    response (metadata and every score column of
    :data:`arms_training.scoring.batch.SCORE_COLUMNS`). ``bad`` lists the problems of every
    record left out; ``n_bad`` counts the records. ``duplicates`` lists each later copy of a
    ``response_id`` already read (skipped, not bad); ``n_records`` counts them too.
    """

    tables: Mapping[str, pd.DataFrame]
    scores: pd.DataFrame
    n_records: int
    n_filtered_out: int
    n_scored: int
    n_bad: int
    bad: list[Problem] = field(default_factory=list)
    settings: CalibrationSettings = field(default_factory=CalibrationSettings)
    duplicates: list[Problem] = field(default_factory=list)

    def table(self, name: str) -> pd.DataFrame:
        """The table ``name``; ``ValueError`` for a name not registered or a summary not built."""
        if name not in self.tables:
            catalogue.table(name)  # raises for a name not registered
            raise ValueError(
                f"table {name!r} was not built: tables(..., summaries=True) builds it; "
                f"built: {', '.join(self.tables)}"
            )
        return self.tables[name]

    # The built-in tables by name, for the many callers that read them so.
    @property
    def assessors(self) -> pd.DataFrame:
        return self.table("assessors")

    @property
    def factors(self) -> pd.DataFrame:
        return self.table("factors")

    @property
    def reliability(self) -> pd.DataFrame:
        return self.table("reliability")

    @property
    def agencies(self) -> pd.DataFrame:
        return self.table("agencies")

    @property
    def drift(self) -> pd.DataFrame:
        return self.table("drift")

    @property
    def plans(self) -> pd.DataFrame:
        return self.table("plans")

    @property
    def factor_summary(self) -> pd.DataFrame | None:
        return self.tables.get("factor_summary")

    @property
    def plan_findings(self) -> pd.DataFrame | None:
        return self.tables.get("plan_findings")

    @property
    def n_duplicates(self) -> int:
        return len(self.duplicates)

    @property
    def flagged(self) -> pd.DataFrame:
        return self.assessors[self.assessors["flagged"]]

    def summary(self, *, max_listed: int = 20) -> str:
        """A short plain-text summary: counts, bad records, flagged assessors with reasons."""
        dup = self.n_duplicates
        lines = [
            f"{self.n_records} responses read: {self.n_scored} scored, {self.n_bad} bad, "
            f"{dup} duplicate{'' if dup == 1 else 's'} skipped, "
            f"{self.n_filtered_out} outside the filters; "
            f"{len(self.assessors)} assessors, {len(self.flagged)} flagged."
        ]
        for p in self.bad[:max_listed]:
            lines.append(f"  bad: {p}")
        if len(self.bad) > max_listed:
            lines.append(f"  ... and {len(self.bad) - max_listed} more problems")
        if dup:
            ids = list(dict.fromkeys(p.path.split(" ")[1] for p in self.duplicates))
            more = f" and {len(ids) - max_listed} more" if len(ids) > max_listed else ""
            lines.append(f"  duplicate response_id (first copy kept): {', '.join(ids[:max_listed])}{more}")
        for _, a in self.flagged.head(max_listed).iterrows():
            lines.append(f"  flagged: {a['trainee_id']} ({a['agency']}, n={a['n']}): {a['flag_reasons']}")
        if len(self.flagged) > max_listed:
            lines.append(f"  ... and {len(self.flagged) - max_listed} more flagged assessors")
        return "\n".join(lines)


def _record_count(problems: list[Problem]) -> int:
    return len({p.path for p in problems})


def _drop_duplicates(frames: ResponseFrames) -> tuple[ResponseFrames, list[Problem]]:
    """``frames`` without the later copies of each ``response_id``, and one Problem per copy
    dropped (``response <id> (copy <n>)``)."""
    ids = frames.responses["response_id"]
    later = ids.duplicated(keep="first").to_numpy()
    if not later.any():
        return frames, []
    copy = ids.groupby(ids, sort=False).cumcount().to_numpy() + 1
    problems = [
        Problem(f"response {rid} (copy {n})", "response_id", DUPLICATE_MESSAGE)
        for rid, n in zip(ids.to_numpy()[later], copy[later], strict=True)
    ]
    return subset_frames(frames, np.flatnonzero(~later)), problems


def tables(
    responses: ResponseFrames | Iterable[Response | ContentError],
    keys: Mapping[str, AnswerKey] | Library,
    *,
    frameworks: Mapping[str, Framework] | None = None,
    vignettes: Mapping[str, Vignette] | None = None,
    settings: CalibrationSettings | None = None,
    filters: Filters | None = None,
    bad: Iterable[Problem] = (),
    summaries: bool = False,
) -> CalibrationTables:
    """Score ``responses`` and build the calibration tables.

    Parameters
    ----------
    responses : ResponseFrames or iterable of Response (and ContentError)
        ContentErrors (as :func:`arms_training.io.sources.read_records` gives for bad
        records) are counted and listed, not raised. Of several records with one
        ``response_id`` only the first is scored; the others are listed in ``duplicates``.
    keys : mapping of vignette id to AnswerKey, or a Library
        A Library also supplies ``vignettes`` when they are not given.
    frameworks : mapping of id to Framework, optional
        Installed frameworks are looked up by id when missing.
    vignettes : mapping of id to Vignette, optional
        For the level-matrix finding and the vignette-version check.
    settings : CalibrationSettings, optional
    filters : Filters, optional
        Applied before scoring.
    bad : iterable of Problem
        Problems already found while loading (from :func:`load_responses`), to count and list
        with the rest; records are counted by distinct source.
    summaries : bool
        Also build the summaries, the tables ``calibrate --out`` does not write as CSV
        (``factor_summary`` and ``plan_findings``: the dashboard's extra views, in the workbook
        and the HTML report); off by default, as the CSV tables do not need them.

    Returns
    -------
    CalibrationTables
    """
    settings = settings or CalibrationSettings()
    if isinstance(keys, Library):
        vignettes = vignettes if vignettes is not None else keys.vignettes
        keys = keys.keys
    problems = list(bad)
    if not isinstance(responses, ResponseFrames):
        good, load_problems = load_responses(responses)
        problems += load_problems
        responses = responses_frame(good)
    responses, duplicates = _drop_duplicates(responses)
    n_loaded_bad = _record_count(problems)
    n_records = len(responses) + len(duplicates) + n_loaded_bad
    if filters is not None:
        keep = filters.mask(responses.responses)
        frames = subset_frames(responses, np.flatnonzero(keep)) if not keep.all() else responses
    else:
        frames = responses
    n_filtered_out = len(responses) - len(frames)
    frameworks = dict(frameworks or {})
    batch = score_frames(frames, keys, frameworks=frameworks, vignettes=vignettes)
    for fw_id in frames.responses["framework"].unique():
        if fw_id not in frameworks:
            try:
                frameworks[fw_id] = framework_by_id(fw_id)
            except KeyError:
                pass  # its records are already listed as bad
    problems += batch.problems
    scored = scored_frame(frames, batch)
    used = {fw_id: frameworks[fw_id] for fw_id in scored["framework"].unique()}
    inputs = TableInputs(scored, frames, batch, keys, used, settings, all_frameworks=frameworks)
    return CalibrationTables(
        tables={r.name: r.build(inputs) for r in catalogue.records() if r.csv or summaries},
        scores=scored.drop(columns=["ok"]).reset_index(drop=True),
        n_records=n_records,
        n_filtered_out=n_filtered_out,
        n_scored=len(scored),
        n_bad=n_loaded_bad + _record_count(batch.problems),
        bad=problems,
        settings=settings,
        duplicates=duplicates,
    )


def bad_records_frame(result: CalibrationTables) -> pd.DataFrame:
    """``record, field, problem``: every problem of a record left out, then every duplicate
    skipped (what ``bad_records.csv`` and the exports' ``bad_records`` sheet hold: the last
    table of every export, :data:`~arms_training.calibration.catalogue.BAD_RECORDS`)."""
    return pd.DataFrame(
        [(p.path, p.field, p.message) for p in [*result.bad, *result.duplicates]],
        columns=["record", "field", "problem"],
    )
