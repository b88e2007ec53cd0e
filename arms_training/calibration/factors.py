"""Per factor: how the ratings of each vignette's factors spread and sit against the key
(:func:`factors_table`), and each factor over all vignettes with the direction of the
disagreement (:func:`factor_summary_table`, the dashboard's "by factor" view)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from arms_training.content import AnswerKey
from arms_training.framework import Framework

if TYPE_CHECKING:
    from arms_training.io.frames import ResponseFrames
    from arms_training.scoring.batch import BatchScores

__all__ = ["factors_table", "factor_summary_table", "DIRECTION_MIN"]

# A factor's mean signed difference from the key beyond a tenth of a scale step, on average,
# is called a direction (project choice); inside it the factor is "balanced".
DIRECTION_MIN = 0.10


def factors_table(
    scored: pd.DataFrame,
    frames: ResponseFrames,
    batch: BatchScores,
    keys: Mapping[str, AnswerKey],
    frameworks: Mapping[str, Framework],
) -> pd.DataFrame:
    """Vignette x factor: how the ratings spread and how they sit against the key.

    ``n_<value>`` counts each scale value, ``share_matching_key`` is exact agreement with the
    key's consensus, ``mean_difference`` the mean signed difference over numeric pairs,
    ``spread`` the sample standard deviation of the numeric ratings, ``mean_credit`` the mean
    scoring credit.
    """
    scale = sorted({v for fw in frameworks.values() for v in fw.scale_values})
    rows = []
    for (vid, fw_id), at in scored.groupby(["vignette_id", "framework"]).groups.items():
        at = np.asarray(at)
        fw, key = frameworks[fw_id], keys[vid]
        for f in fw.factor_ids:
            if f not in key.factors:
                continue
            values = frames.ratings[f].to_numpy()[at] if f in frames.ratings else np.full(len(at), np.nan)
            insuff = (
                frames.insufficient[f].to_numpy()[at]
                if f in frames.insufficient
                else np.zeros(len(at), dtype=bool)
            )
            numeric = values[~np.isnan(values)]
            diff = batch.difference[f].to_numpy()[at]
            row = {
                "vignette_id": vid,
                "factor": f,
                "kind": fw.factor(f).kind,
                "n": len(at),
                "key": key.factors[f].rating,
            }
            row |= {f"n_{v}": int((numeric == v).sum()) for v in scale}
            row["n_insufficient"] = int(insuff.sum())
            row["n_missing"] = int(len(at) - len(numeric) - insuff.sum())
            row["share_matching_key"] = float(np.nanmean(batch.exact[f].to_numpy()[at]))
            row["mean_difference"] = float(np.nanmean(diff)) if (~np.isnan(diff)).any() else np.nan
            row["spread"] = float(np.std(numeric, ddof=1)) if len(numeric) > 1 else np.nan
            row["mean_credit"] = float(np.nanmean(batch.credit[f].to_numpy()[at]))
            rows.append(row)
    columns = [
        "vignette_id",
        "factor",
        "kind",
        "n",
        "key",
        *(f"n_{v}" for v in scale),
        "n_insufficient",
        "n_missing",
        "share_matching_key",
        "mean_difference",
        "spread",
        "mean_credit",
    ]
    out = pd.DataFrame(rows, columns=columns)
    out["key"] = out["key"].astype(object)
    return out


def factor_summary_table(
    scored: pd.DataFrame, batch: BatchScores, frameworks: Mapping[str, Framework]
) -> pd.DataFrame:
    """Per factor over all vignettes: agreement with the key and the direction of the
    disagreement, least agreement first. ``scored`` is a subset of the scored frame of
    ``batch`` (index = frame row)."""
    rows = scored.index.to_numpy()
    kinds = {f.id: (f.name, f.kind) for fw in frameworks.values() for f in fw.factors}
    out = []
    for f in batch.exact.columns:
        exact = batch.exact[f].to_numpy()[rows]
        diff = batch.difference[f].to_numpy()[rows]
        keyed = ~np.isnan(exact)
        if f not in kinds or not keyed.any():
            continue
        numeric = ~np.isnan(diff)
        close = numeric[keyed] & (np.abs(np.nan_to_num(diff[keyed])) <= 1)
        within = (exact[keyed] == 1) | close
        mean = float(diff[numeric].mean()) if numeric.any() else np.nan
        direction = (
            ""
            if math.isnan(mean)
            else (
                "over-rated"
                if mean >= DIRECTION_MIN
                else "under-rated"
                if mean <= -DIRECTION_MIN
                else "balanced"
            )
        )
        out.append(
            {
                "factor": f,
                "name": kinds[f][0],
                "kind": kinds[f][1],
                "n": int(keyed.sum()),
                "share_matching_key": float(exact[keyed].mean()),
                "within_one": float(within.mean()),
                "mean_difference": mean,
                "share_over": float((diff[numeric] > 0).mean()) if numeric.any() else np.nan,
                "share_under": float((diff[numeric] < 0).mean()) if numeric.any() else np.nan,
                "direction": direction,
            }
        )
    columns = [
        "factor",
        "name",
        "kind",
        "n",
        "share_matching_key",
        "within_one",
        "mean_difference",
        "share_over",
        "share_under",
        "direction",
    ]
    table = pd.DataFrame(out, columns=columns)
    return table.sort_values("share_matching_key", kind="stable").reset_index(drop=True)
