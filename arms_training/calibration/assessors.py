"""Per assessor and per month: who needs a booster (:func:`assessors_table`) and how the cohort
moves over time (:func:`drift_table`). Both pool every factor rating of the responses they
cover."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from arms_training.calibration.scored import ratio as _ratio

if TYPE_CHECKING:
    from arms_training.calibration.settings import CalibrationSettings

__all__ = ["assessors_table", "drift_table"]

_DAYS_PER_MONTH = 30.4375


def assessors_table(scored: pd.DataFrame, settings: CalibrationSettings) -> pd.DataFrame:
    """One row per assessor, with the flags a quality lead acts on.

    Agreement and bias are pooled over every factor rating of the assessor (sum of differences
    over number of numeric pairs), so a response with more numeric pairs weighs more. ``trend``
    is the least-squares slope of the total in points per month (NaN with fewer than two
    responses or all at one time). ``agency`` and ``area`` are those of the latest response.
    """
    # Only the columns used, sorted (sorting the whole scored frame copies ~60 columns).
    df = scored[
        [
            "trainee_id",
            "agency",
            "area",
            "when",
            "total",
            "plan",
            "n_exact",
            "n_within",
            "n_factors",
            "risk_diff",
            "risk_n",
            "protective_diff",
            "protective_n",
        ]
    ]
    df = df.sort_values("when", kind="stable")
    months = (
        (df["when"] - df["when"].min()).dt.total_seconds().to_numpy() / 86400 / _DAYS_PER_MONTH
        if len(df)
        else np.array([])
    )
    total = df["total"].to_numpy()
    df = df.assign(x=months, xy=months * total, xx=months * months)
    g = df.groupby("trainee_id", sort=True)
    sums = g[
        [
            "n_exact",
            "n_within",
            "n_factors",
            "risk_diff",
            "risk_n",
            "protective_diff",
            "protective_n",
            "x",
            "xy",
            "xx",
            "total",
        ]
    ].sum()
    out = pd.DataFrame(
        {
            "agency": g["agency"].last(),
            "area": g["area"].last(),
            "n": g.size(),
            "exact_agreement": _ratio(sums["n_exact"], sums["n_factors"]),
            "within_one": _ratio(sums["n_within"], sums["n_factors"]),
            "risk_bias": _ratio(sums["risk_diff"], sums["risk_n"]),
            "protective_bias": _ratio(sums["protective_diff"], sums["protective_n"]),
            "mean_total": g["total"].mean(),
            "plan_score": g["plan"].mean(),
            "first_total": g["total"].first(),
            "last_total": g["total"].last(),
        }
    )
    n = out["n"].astype(float)
    den = n * sums["xx"] - sums["x"] ** 2
    slope = (n * sums["xy"] - sums["x"] * sums["total"]) / den.where(den > 1e-9)
    out["trend"] = slope.where(n >= 2)
    s = settings
    checks = [
        (
            "exact_agreement",
            out["exact_agreement"] < s.exact_agreement_min,
            "exact agreement {:.2f} < " + f"{s.exact_agreement_min:.2f}",
        ),
        (
            "within_one",
            out["within_one"] < s.within_one_min,
            "within one {:.2f} < " + f"{s.within_one_min:.2f}",
        ),
        (
            "risk_bias",
            out["risk_bias"] > s.risk_bias_max,
            "over-rates risk factors (mean difference {:+.2f} > " + f"{s.risk_bias_max:+.2f})",
        ),
        (
            "protective_bias",
            out["protective_bias"] < s.protective_bias_min,
            "under-credits protective factors (mean difference {:+.2f} < " + f"{s.protective_bias_min:+.2f})",
        ),
        (
            "plan_score",
            out["plan_score"] < s.plan_score_min,
            "plan score {:.2f} < " + f"{s.plan_score_min:.2f}",
        ),
    ]
    eligible = (out["n"] >= s.min_responses).to_numpy()
    reasons = np.full(len(out), "", dtype=object)
    for column, hit, template in checks:
        hit = eligible & hit.to_numpy(dtype=bool)  # NaN compares False: no data, no flag
        text = np.full(len(out), "", dtype=object)
        text[hit] = [template.format(v) for v in out[column].to_numpy()[hit]]
        sep = np.where((reasons != "") & hit, "; ", "")
        reasons = reasons + sep + text
    out["flagged"] = reasons != ""
    out["flag_reasons"] = reasons
    out["note"] = np.where(eligible, "", f"fewer than {s.min_responses} responses: not assessed")
    return out.reset_index(names="trainee_id")


def drift_table(scored: pd.DataFrame) -> pd.DataFrame:
    """Month by month (UTC, by submission time): agreement, bias and mean total, pooled."""
    # Grouped by year * 12 + month (integers), then each month labelled by strftime on one of its
    # times: strftime on every row costs more than the rest of the table.
    when = scored["when"]
    key = when.dt.year * 12 + (when.dt.month - 1)
    g = scored.groupby(key)
    sums = g[["n_exact", "n_factors", "risk_diff", "risk_n", "protective_diff", "protective_n"]].sum()
    out = pd.DataFrame(
        {
            "n": g.size(),
            "exact_agreement": _ratio(sums["n_exact"], sums["n_factors"]),
            "risk_bias": _ratio(sums["risk_diff"], sums["risk_n"]),
            "protective_bias": _ratio(sums["protective_diff"], sums["protective_n"]),
            "mean_total": g["total"].mean(),
        }
    )
    labels = when.groupby(key).first().dt.strftime("%Y-%m")
    out.index = pd.Index(labels.reindex(out.index).to_numpy(), name="month")
    return out.sort_index(kind="stable").reset_index()
