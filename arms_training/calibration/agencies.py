"""Police against probation, per factor and pooled per kind of factor, with Welch intervals."""

from __future__ import annotations

import math
from collections.abc import Mapping
from statistics import NormalDist
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from arms_training.calibration.scored import ratio as _ratio
from arms_training.framework import Framework

if TYPE_CHECKING:
    from arms_training.calibration.settings import CalibrationSettings
    from arms_training.scoring.batch import BatchScores

__all__ = ["agencies_table", "t_quantile"]


def agencies_table(
    scored: pd.DataFrame,
    batch: BatchScores,
    frameworks: Mapping[str, Framework],
    settings: CalibrationSettings,
) -> pd.DataFrame:
    """Police against probation, per factor and pooled per kind of factor.

    The unit is the assessor (their mean signed difference on the factor), not the response,
    because one assessor's responses are not independent. ``difference`` is police minus
    probation with a Welch t confidence interval at ``settings.confidence``.
    """
    df = scored[scored["agency"].isin(["police", "probation"])]
    kinds: dict[str, str] = {f.id: f.kind for fw in frameworks.values() for f in fw.factors}
    factors = [f for f in batch.difference.columns if f in kinds]
    by = df["trainee_id"].to_numpy()
    per = batch.difference.loc[df.index, factors].groupby(by).mean()
    sums = df.groupby("trainee_id")[["risk_diff", "risk_n", "protective_diff", "protective_n"]].sum()
    pooled = {
        "all risk factors": ("risk", _ratio(sums["risk_diff"], sums["risk_n"])),
        "all protective factors": ("protective", _ratio(sums["protective_diff"], sums["protective_n"])),
    }
    for name, (kind, values) in pooled.items():
        per[name] = values
        kinds[name] = kind
    agency = df.groupby("trainee_id")["agency"].last().reindex(per.index)
    members = {name: (agency == name).to_numpy() for name in ("police", "probation")}
    rows = []
    for column in [*pooled, *factors]:
        row: dict = {"factor": column, "kind": kinds[column]}
        groups = {}
        everyone = per[column].to_numpy(dtype=float)
        for name in ("police", "probation"):
            values = everyone[members[name]]
            values = values[~np.isnan(values)]
            groups[name] = values
            row[f"{name}_n"] = len(values)
            row[f"{name}_mean_diff"] = float(values.mean()) if len(values) else np.nan
        p, q = groups["police"], groups["probation"]
        row["difference"] = row["police_mean_diff"] - row["probation_mean_diff"]
        row["ci_low"] = row["ci_high"] = np.nan
        row["note"] = ""
        if len(p) < 2 or len(q) < 2:
            row["note"] = "fewer than 2 assessors in an agency: no CI"
        else:
            vp, vq = p.var(ddof=1) / len(p), q.var(ddof=1) / len(q)
            se = math.sqrt(vp + vq)
            if se == 0:
                row["ci_low"] = row["ci_high"] = row["difference"]
            else:
                dof = (vp + vq) ** 2 / (vp**2 / (len(p) - 1) + vq**2 / (len(q) - 1))
                half = t_quantile((1 + settings.confidence) / 2, dof) * se
                row["ci_low"], row["ci_high"] = row["difference"] - half, row["difference"] + half
        rows.append(row)
    columns = [
        "factor",
        "kind",
        "police_n",
        "police_mean_diff",
        "probation_n",
        "probation_mean_diff",
        "difference",
        "ci_low",
        "ci_high",
        "note",
    ]
    return pd.DataFrame(rows, columns=columns)


def t_quantile(p: float, dof: float) -> float:
    """Student's t quantile. For ``dof >= 30`` the Cornish-Fisher expansion in the normal
    quantile (Abramowitz & Stegun 26.7.5, four terms) is within 1e-6 of the exact value and
    saves importing scipy; smaller samples use ``scipy.special.stdtrit``."""
    if dof < 30:
        from scipy.special import stdtrit

        return float(stdtrit(dof, p))
    z = NormalDist().inv_cdf(p)
    g1 = (z**3 + z) / 4
    g2 = (5 * z**5 + 16 * z**3 + 3 * z) / 96
    g3 = (3 * z**7 + 19 * z**5 + 17 * z**3 - 15 * z) / 384
    g4 = (79 * z**9 + 776 * z**7 + 1482 * z**5 - 1920 * z**3 - 945 * z) / 92160
    return z + g1 / dof + g2 / dof**2 + g3 / dof**3 + g4 / dof**4
