"""How reliable the cohort is: agreement among assessors (cohort and per vignette) and with the
key, one row per statistic of :mod:`arms_training.agreement.registry` and scope, with bootstrap
intervals (:func:`reliability_table`), and the bands people read it with (:func:`with_bands`)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from arms_training.agreement.registry import (
    Compares,
    Options,
    Sample,
    Statistic,
    statistic_for_label,
    statistics,
)
from arms_training.content import AnswerKey
from arms_training.errors import AgreementError
from arms_training.framework import INSUFFICIENT, Framework

if TYPE_CHECKING:
    from arms_training.calibration.settings import CalibrationSettings
    from arms_training.io.frames import ResponseFrames

__all__ = ["reliability_table", "with_bands", "rater_matrix"]


def rater_matrix(
    scored: pd.DataFrame, frames: ResponseFrames, fw: Framework, vignette_ids: list[str]
) -> tuple[np.ndarray, list[tuple[str, str]], list[str]]:
    """(units x raters) ratings: units are (vignette, factor) for ``vignette_ids``, raters are
    assessors (their latest scored response to each vignette), ``NaN`` for missing or
    insufficient. Returns (matrix, unit labels, rater ids)."""
    df = scored[scored["vignette_id"].isin(vignette_ids) & (scored["framework"] == fw.id)]
    # Latest response of each (assessor, vignette): a stable sort by time, the last of each pair
    # kept; on three columns as arrays (sorting the whole frame copies every column).
    order = np.argsort(df["when"].to_numpy(dtype="datetime64[us]"), kind="stable")
    trainee = df["trainee_id"].to_numpy()[order]
    vj = pd.Index(vignette_ids).get_indexer(df["vignette_id"].to_numpy()[order])
    t_code = pd.factorize(trainee)[0]
    keep = ~pd.Series(t_code.astype(np.int64) * len(vignette_ids) + vj).duplicated(keep="last").to_numpy()
    raters, names = pd.factorize(trainee[keep])
    at, vj = df.index.to_numpy()[order][keep], vj[keep]
    units = [(v, f) for v in vignette_ids for f in fw.factor_ids]
    matrix = np.full((len(units), len(names)), np.nan)
    nf = len(fw.factor_ids)
    for c, f in enumerate(fw.factor_ids):
        if f in frames.ratings:
            matrix[vj * nf + c, raters] = frames.ratings[f].to_numpy()[at]
    return matrix, units, list(names)


def _statistic_rows(
    matrix: np.ndarray, scope: str, categories: tuple, options: Options, compares: Compares = "assessors"
) -> list[dict]:
    """One row per registered statistic comparing ``compares``, in registration order."""
    levels = np.asarray(categories, dtype=float)
    samples: dict = {}  # statistics computed on the same part of the ratings share it (and its counts)
    rows = []
    for stat in statistics(compares):
        if stat.sample not in samples:
            samples[stat.sample] = stat.sample(matrix, levels)
        rows.append(_row(stat, samples[stat.sample], scope, options))
    return rows


def _row(stat: Statistic, sample: Sample, scope: str, options: Options) -> dict:
    note = sample.note
    row = {
        "statistic": stat.label_for(options),
        "scope": scope,
        "value": np.nan,
        "ci_low": np.nan,
        "ci_high": np.nan,
        "n_units": sample.n_units,
        "n_raters": sample.n_raters,
        "interpretation": "",
        "note": note,
    }
    # Only AgreementError is the data's fault (say why, never a wrong number); any other error
    # is a bug in the statistic or its options and must surface.
    try:
        value = stat.point(sample, options)
    except AgreementError as exc:
        row["note"] = "; ".join(x for x in (str(exc), note) if x)
        return row
    row["value"] = value
    row["interpretation"] = stat.interpret(value)
    if stat.interval is None:
        return row
    try:
        row["ci_low"], row["ci_high"] = stat.interval(sample, options)
    except AgreementError as exc:
        row["note"] = "; ".join(x for x in (note, f"no CI: {exc}") if x)
    return row


def reliability_table(
    scored: pd.DataFrame,
    frames: ResponseFrames,
    keys: Mapping[str, AnswerKey],
    frameworks: Mapping[str, Framework],
    settings: CalibrationSettings,
    *,
    progress: Callable[[float, str], None] | None = None,
) -> pd.DataFrame:
    """Agreement among assessors (cohort and per vignette) and with the key (cohort).

    One row per statistic of :mod:`arms_training.agreement.registry` and scope, in registration
    order: per framework the cohort's statistics among assessors, then those against the key,
    then each vignette's among assessors. Raters are assessors; each contributes their latest
    scored response per vignette. ``insufficient`` is treated as missing. A statistic that is
    undefined for the data gets a blank value and a ``note`` saying why, never a wrong number.
    Intervals are percentile bootstraps resampling units (:mod:`arms_training.agreement.bootstrap`);
    kappa against the key resamples rating pairs. ``n_units`` counts units with at least two
    ratings, ``n_raters`` raters with at least one (ICC: the complete block it is computed on).
    """
    options = Options(
        level=settings.reliability_level,
        n_boot=settings.n_boot,
        confidence=settings.confidence,
        seed=settings.seed,
    )
    rows: list[dict] = []
    fw_ids = sorted(scored["framework"].unique())
    todo = sum(scored.loc[scored["framework"] == f, "vignette_id"].nunique() + 1 for f in fw_ids)
    done = 0
    for fw_id in fw_ids:
        fw = frameworks[fw_id]
        here = scored[scored["framework"] == fw_id]
        vids = sorted(here["vignette_id"].unique())
        scope = "cohort" if len(fw_ids) == 1 else f"cohort ({fw_id})"
        matrix, _, _ = rater_matrix(here, frames, fw, vids)
        rows += _statistic_rows(matrix, scope, fw.scale_values, options)
        rows += _statistic_rows(_key_pairs(here, frames, fw, keys), scope, fw.scale_values, options, "key")
        nf = len(fw.factor_ids)
        for j, vid in enumerate(vids):
            done += 1
            if progress is not None:
                progress(done / todo, f"reliability: {vid}")
            block = matrix[j * nf : (j + 1) * nf]
            block = block[:, ~np.isnan(block).all(axis=0)]  # raters who did this vignette
            rows += _statistic_rows(block, vid, fw.scale_values, options)
    columns = [
        "statistic",
        "scope",
        "value",
        "ci_low",
        "ci_high",
        "n_units",
        "n_raters",
        "interpretation",
        "note",
    ]
    return pd.DataFrame(rows, columns=columns)


def _key_pairs(scored: pd.DataFrame, frames: ResponseFrames, fw: Framework, keys) -> np.ndarray:
    """``(pairs, 2)``: every trainee rating beside the key's consensus, where both are numeric."""
    at = scored.index.to_numpy()
    vids = sorted(scored["vignette_id"].unique())
    vj = pd.Index(vids).get_indexer(scored["vignette_id"])
    given, expected = [], []
    for f in fw.factor_ids:
        if f not in frames.ratings:
            continue
        table = np.array(
            [keys[v].factors[f].rating if f in keys[v].factors else np.nan for v in vids], dtype=object
        )
        table = np.array([np.nan if r == INSUFFICIENT else r for r in table], dtype=float)
        given.append(frames.ratings[f].to_numpy()[at])
        expected.append(table[vj] if len(vids) else np.array([]))
    a = np.concatenate(given) if given else np.array([])
    b = np.concatenate(expected) if expected else np.array([])
    both = ~np.isnan(a) & ~np.isnan(b)
    return np.column_stack([a[both], b[both]])


def with_bands(reliability: pd.DataFrame) -> pd.DataFrame:
    """The reliability table as the dashboard and the exports show it: with
    ``ci_interpretation`` (both ends of the interval read against the statistic's bands) and
    ``bands`` (the note on those bands), both from the registry record of each row's label."""
    table = reliability.reset_index(drop=True)
    stats = [statistic_for_label(label) for label in table["statistic"]]
    return table.assign(
        ci_interpretation=[
            stat.interpret_interval(low, high)
            for stat, low, high in zip(stats, table["ci_low"], table["ci_high"], strict=True)
        ],
        bands=[stat.band_note for stat in stats],
    )
