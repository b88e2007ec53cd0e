"""The six calibration tables, built from :class:`ResponseFrames` and :class:`BatchScores`.

Every function is vectorised over responses; Python loops run over vignettes, factors or
statistics (tens), never over responses or assessors. Entry point:
:func:`arms_training.calibration.result.tables`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from statistics import NormalDist
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
    from arms_training.scoring.batch import BatchScores

__all__ = [
    "scored_frame",
    "assessors_table",
    "factors_table",
    "reliability_table",
    "with_bands",
    "agencies_table",
    "drift_table",
    "plans_table",
    "rater_matrix",
    "t_quantile",
]

_DAYS_PER_MONTH = 30.4375


def scored_frame(frames: ResponseFrames, batch: BatchScores) -> pd.DataFrame:
    """Metadata joined with scores, scored rows only; the index is the frame row."""
    df = frames.responses.join(batch.scores)
    return df[df["ok"].to_numpy(dtype=bool)]


def _ratio(num: pd.Series, den: pd.Series) -> pd.Series:
    return (num / den.where(den != 0)).astype(float)


# ---------------------------------------------------------------------------------- assessors


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


# ------------------------------------------------------------------------------------ factors


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


# -------------------------------------------------------------------------------- reliability


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


# ----------------------------------------------------------------------------------- agencies


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


# --------------------------------------------------------------------------------------- drift


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


# --------------------------------------------------------------------------------------- plans


def plans_table(
    scored: pd.DataFrame,
    batch: BatchScores,
    keys: Mapping[str, AnswerKey],
    frameworks: Mapping[str, Framework],
) -> pd.DataFrame:
    """Rubric findings, most often failed first: the share of full-mode responses to the
    vignette that had the finding, with the key's ``why`` where the key gives one.

    Findings: ``missing_essential``, ``contraindicated`` (item: intervention),
    ``unaddressed_priority`` (item: factor), ``incomplete_action`` (item: the empty field),
    ``no_constructive_for_protective``, ``no_actions``, ``unexplained_level_override``,
    ``significant_change_misjudged``.
    """
    n_full = scored[scored["mode"] == "full"].groupby("vignette_id").size()
    found = batch.findings.drop_duplicates()
    found = found[found["row"].isin(scored.index)]
    found = found.assign(vignette_id=scored.loc[found["row"], "vignette_id"].to_numpy())
    counts = found.groupby(["vignette_id", "finding", "item"]).size().rename("n").reset_index()
    counts["share"] = counts["n"] / counts["vignette_id"].map(n_full)
    why: dict[tuple[str, str, str], str] = {}
    for vid, key in keys.items():
        for e in key.plan.essential:
            why.setdefault((vid, "missing_essential", e.intervention), e.why)
        for c in key.plan.contraindicated:
            why.setdefault((vid, "contraindicated", c.intervention), c.why)
    labels = {i.id: i.label for fw in frameworks.values() for i in fw.interventions}
    labels |= {f.id: f.name for fw in frameworks.values() for f in fw.factors}
    counts["label"] = counts["item"].map(lambda i: labels.get(i, i))
    counts["why"] = [
        why.get(t, "") for t in zip(counts["vignette_id"], counts["finding"], counts["item"], strict=True)
    ]
    counts = counts.sort_values(
        ["share", "n", "vignette_id", "finding", "item"],
        ascending=[False, False, True, True, True],
        kind="stable",
    )
    return counts[["finding", "vignette_id", "item", "label", "n", "share", "why"]].reset_index(drop=True)
