"""Percentile bootstrap confidence intervals for the agreement statistics.

:func:`bootstrap_ci` works for any statistic: it calls it once per replicate, which costs seconds
per row of the calibration reliability table. The vectorised intervals compute every replicate at
once instead: Krippendorff's alpha, Fleiss' kappa, Gwet's AC1 and percent agreement depend on a
rating matrix only through each unit's value counts (:func:`counts_ci`, on a
``(replicates, units, values)`` count array), ICC(2,1) through sums of squares (:func:`icc_ci`).
Their replicate indices are drawn exactly as ``bootstrap_ci`` draws them (:func:`replicate_rows`:
same generator, seed and shape), failed replicates are skipped and judged the same way
(:func:`percentile_interval`), and the tests check the intervals equal ``bootstrap_ci``'s.
Cohen's kappa against the key resamples rating pairs (:func:`kappa_multinomial_ci`).

References
----------
Efron, B., & Tibshirani, R. J. (1993). *An Introduction to the Bootstrap*, ch. 13.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from arms_training.agreement.kappa import cohen_kappa
from arms_training.agreement.ratings import FloatArray, WeightScheme, agreement_weights, as_ratings
from arms_training.errors import AgreementError

__all__ = [
    "percentile_interval",
    "replicate_rows",
    "bootstrap_ci",
    "CountsStatistic",
    "counts_ci",
    "kappa_multinomial_ci",
    "icc_ci",
]

CountsStatistic = Literal["percent_agreement", "fleiss_kappa", "krippendorff_alpha", "gwet_ac1"]


# ------------------------------------------------------------------------------ shared


def replicate_rows(n_units: int, n_boot: int, seed: int | None) -> npt.NDArray[np.int64]:
    """``(n_boot, n_units)`` row indices drawn with replacement: the resampling of every
    units bootstrap here, so the vectorised intervals replay :func:`bootstrap_ci`'s draws."""
    rng = np.random.default_rng(seed)
    return rng.integers(0, n_units, size=(n_boot, n_units))


def percentile_interval(
    replicates: npt.ArrayLike,
    *,
    confidence: float,
    ok: npt.ArrayLike | None = None,
    reason: str = "",
) -> tuple[float, float]:
    """The percentile interval of bootstrap replicates, skipping degenerate ones.

    Parameters
    ----------
    replicates : array_like, shape (n_boot,)
        The statistic on each bootstrap sample.
    confidence : float
        Coverage, strictly between 0 and 1.
    ok : array_like of bool, optional
        Which replicates exist (the statistic was defined); non-finite values are degenerate too.
    reason : str
        Why a replicate can be degenerate, for the error message.

    Returns
    -------
    (float, float)
        The ``(1 - confidence)/2`` and ``(1 + confidence)/2`` quantiles of the good replicates,
        interpolated linearly between order statistics (``numpy.quantile``'s default, Hyndman &
        Fan's type 7): with ``B`` good replicates sorted, quantile ``p`` sits at 0-based
        position ``(B - 1) p``.

    Raises
    ------
    AgreementError
        More than half of the replicates were degenerate; fewer are skipped, which biases the
        interval towards resamples where the statistic exists.
    ValueError
        No replicate at all (``n_boot = 0``).
    """
    values = np.asarray(replicates, dtype=float)
    if values.size == 0:
        raise ValueError("percentile_interval needs at least one replicate")
    good = np.isfinite(values) if ok is None else np.asarray(ok, dtype=bool) & np.isfinite(values)
    n_boot = values.size
    failed = n_boot - int(good.sum())
    if 2 * failed > n_boot:
        raise AgreementError(f"{failed} of {n_boot} bootstrap replicates were degenerate ({reason})")
    tail = (1.0 - confidence) / 2.0
    low, high = np.quantile(values[good], [tail, 1.0 - tail])
    return float(low), float(high)


# ------------------------------------------------------------------------- any statistic


def bootstrap_ci(
    statistic: Callable[..., float],
    ratings: npt.ArrayLike,
    *,
    n_boot: int = 1000,
    confidence: float = 0.95,
    seed: int | None = 0,
    **kwargs: Any,
) -> tuple[float, float]:
    """Percentile bootstrap confidence interval, resampling units (rows) with replacement.

    Parameters
    ----------
    statistic : callable
        ``statistic(ratings, **kwargs) -> float``, e.g. :func:`fleiss_kappa`. For
        :func:`cohen_kappa` pass a two-column ``ratings``; its columns become the two raters.
    ratings : array_like, shape (units, raters)
        ``NaN`` = missing.
    n_boot : int, default 1000
        Number of bootstrap replicates (>= 1).
    confidence : float, default 0.95
        Coverage of the interval, strictly between 0 and 1.
    seed : int or None, default 0
        Seed of ``numpy.random.default_rng``; the same seed gives the same interval.
    **kwargs
        Options passed to ``statistic`` (``level="ordinal"``, ``categories=(0, 1, 2)``...).

    Returns
    -------
    (float, float)
        :func:`percentile_interval` of the replicates.

    Raises
    ------
    AgreementError
        More than half of the replicates were degenerate (raised ``AgreementError`` or gave a
        non-finite value); fewer failures are skipped, which biases the interval towards
        resamples where the statistic exists. Also raised when ``ratings`` has no unit.
    ValueError
        Bad ``n_boot``, ``confidence`` or ``seed``; a ``ValueError`` from ``statistic`` (a bad
        option in ``kwargs``) propagates from the first replicate.

    References
    ----------
    Efron, B., & Tibshirani, R. J. (1993). *An Introduction to the Bootstrap*, ch. 13.
    """
    if not callable(statistic):
        raise ValueError(f"statistic={statistic!r} is not valid; allowed: a callable")
    if isinstance(n_boot, bool) or not isinstance(n_boot, int | np.integer) or n_boot < 1:
        raise ValueError(f"n_boot={n_boot!r} is not valid; allowed: an integer >= 1")
    if isinstance(confidence, bool) or not (
        isinstance(confidence, float | int | np.floating) and 0.0 < confidence < 1.0
    ):
        raise ValueError(f"confidence={confidence!r} is not valid; allowed: a number in (0, 1)")
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0):
        raise ValueError(f"seed={seed!r} is not valid; allowed: a non-negative integer or None")
    x = as_ratings(ratings, "ratings", 2)
    if statistic is cohen_kappa:
        if x.shape[1] != 2:
            raise ValueError(f"cohen_kappa needs ratings with 2 columns, got {x.shape[1]}")

        def compute(sample: FloatArray) -> float:
            return cohen_kappa(sample[:, 0], sample[:, 1], **kwargs)
    else:

        def compute(sample: FloatArray) -> float:
            return statistic(sample, **kwargs)

    n_units = x.shape[0]
    if n_units == 0:
        raise AgreementError("ratings has no unit to resample")
    values = np.full(n_boot, np.nan)
    ok = np.zeros(n_boot, dtype=bool)
    last_reason = ""
    for b, rows in enumerate(replicate_rows(n_units, n_boot, seed)):
        try:
            value = float(compute(x[rows]))
        except AgreementError as exc:
            last_reason = str(exc)
            continue
        if math.isfinite(value):
            values[b], ok[b] = value, True
        else:
            last_reason = f"statistic returned {value}"
    return percentile_interval(values, confidence=confidence, ok=ok, reason=last_reason)


# ------------------------------------------------------------------ from unit value counts
# Each takes ``c``, the (replicates, units, values) counts, and returns the statistic of every
# replicate with whether it exists there.


def _pairwise(c: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per replicate: Gwet's p_a (mean over units with two ratings) and whether any unit had."""
    r = c.sum(axis=2)
    pairable = r >= 2
    share = np.divide((c * (c - 1)).sum(axis=2), r * (r - 1), out=np.zeros_like(r), where=pairable)
    n = pairable.sum(axis=1)
    return np.divide(share.sum(axis=1), n, out=np.full(len(c), np.nan), where=n > 0), n > 0


def _prevalence(c: np.ndarray) -> np.ndarray:
    """Per replicate: ``pi_k``, the per-unit category shares averaged over rated units."""
    r = c.sum(axis=2, keepdims=True)
    rated = r[..., 0] >= 1
    shares = np.divide(c, r, out=np.zeros_like(c), where=r >= 1)
    return shares.sum(axis=1) / np.maximum(rated.sum(axis=1), 1)[:, None]


def _fleiss(c: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    p_a, ok = _pairwise(c)
    p_e = (_prevalence(c) ** 2).sum(axis=1)
    ok &= (c.sum(axis=1) > 0).sum(axis=1) >= 2
    with np.errstate(divide="ignore", invalid="ignore"):
        return (p_a - p_e) / (1.0 - p_e), ok


def _ac1(c: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Gwet's AC1 on all ``q`` categories of the counts (unused ones included)."""
    p_a, ok = _pairwise(c)
    pi = _prevalence(c)
    p_e = (pi * (1 - pi)).sum(axis=1) / (c.shape[2] - 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        return (p_a - p_e) / (1 - p_e), ok


def _distances(level: str, levels: np.ndarray, n_v: np.ndarray) -> np.ndarray:
    """(replicates, V, V) squared distances, as the ``krippendorff`` package defines them."""
    v1, v2 = levels[:, None], levels[None, :]
    if level == "nominal":
        d = (v1 != v2).astype(float)
    elif level == "interval":
        d = (v1 - v2) ** 2
    elif level == "ratio":
        total = v1 + v2
        d = np.divide(v1 - v2, total, out=np.zeros(total.shape), where=total != 0) ** 2
    else:  # ordinal: marginal mass between the two values, minus half of each end
        q = len(levels)
        i = np.arange(q)
        lo, hi = np.minimum(i[:, None], i[None, :]), np.maximum(i[:, None], i[None, :])
        cum = np.concatenate([np.zeros((len(n_v), 1)), np.cumsum(n_v, axis=1)], axis=1)
        between = cum[:, hi + 1] - cum[:, lo]
        return (between - (n_v[:, i][:, :, None] + n_v[:, i][:, None, :]) / 2) ** 2
    return np.broadcast_to(d, (len(n_v), *d.shape))


def _alpha(c: np.ndarray, level: str, levels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    m = c.sum(axis=2)
    weight = 1.0 / (np.maximum(m, 2) - 1)
    o = np.einsum("bui,buj,bu->bij", c, c, weight)
    o -= np.einsum("bui,bu->bi", c, weight)[:, :, None] * np.eye(c.shape[2])
    n_v = o.sum(axis=1)
    e = (n_v[:, :, None] * n_v[:, None, :] - n_v[:, :, None] * np.eye(c.shape[2])) / (n_v.sum(axis=1) - 1)[
        :, None, None
    ]
    d = _distances(level, levels, n_v)
    pairable = m >= 2
    ok = pairable.any(axis=1)
    ok &= ((c * pairable[:, :, None]).sum(axis=1) > 0).sum(axis=1) >= 2
    with np.errstate(divide="ignore", invalid="ignore"):
        return 1 - (o * d).sum(axis=(1, 2)) / (e * d).sum(axis=(1, 2)), ok


_Replicates = Callable[[np.ndarray, str, np.ndarray], tuple[np.ndarray, np.ndarray]]
# name -> (the replicates from counts, level and levels; why a replicate can be degenerate)
_FROM_COUNTS: dict[str, tuple[_Replicates, str]] = {
    "percent_agreement": (lambda c, level, levels: _pairwise(c), "no pairable unit or a single category"),
    "fleiss_kappa": (lambda c, level, levels: _fleiss(c), "no pairable unit or a single category"),
    "krippendorff_alpha": (_alpha, "no pairable unit or a single category"),
    "gwet_ac1": (lambda c, level, levels: _ac1(c), "no unit with two ratings"),
}


def counts_ci(
    statistic: CountsStatistic,
    counts: np.ndarray,
    *,
    n_boot: int = 1000,
    confidence: float = 0.95,
    seed: int | None = 0,
    level: str = "ordinal",
    levels: np.ndarray | None = None,
    chunk: int = 250,
) -> tuple[float, float]:
    """Percentile bootstrap CI of ``statistic`` from ``(units, values)`` value counts
    (:func:`~arms_training.agreement.ratings.unit_counts`), resampling units.

    Same replicates and result as ``bootstrap_ci(statistic, ratings, ...)`` on the ratings the
    counts came from (``level`` and ``levels`` only matter for alpha). For ``"gwet_ac1"`` the
    counts must have a column for every category of the scale, as ``gwet_ac(ratings,
    categories=scale)`` counts them.
    """
    if statistic not in _FROM_COUNTS:
        raise ValueError(f"statistic={statistic!r} is not valid; allowed: {', '.join(_FROM_COUNTS)}")
    replicates, reason = _FROM_COUNTS[statistic]
    counts = np.asarray(counts, dtype=float)
    n_units = counts.shape[0]
    if n_units == 0:
        raise AgreementError("ratings has no unit to resample")
    indices = replicate_rows(n_units, n_boot, seed)
    levels = np.arange(counts.shape[1], dtype=float) if levels is None else np.asarray(levels, dtype=float)
    values, oks = [], []
    for start in range(0, n_boot, chunk):  # bounds memory at chunk x units x values
        v, ok = replicates(counts[indices[start : start + chunk]], level, levels)
        values.append(v)
        oks.append(ok)
    return percentile_interval(
        np.concatenate(values), confidence=confidence, ok=np.concatenate(oks), reason=reason
    )


# ---------------------------------------------------------------- Cohen's kappa, ICC(2,1)


def kappa_multinomial_ci(
    a: np.ndarray,
    b: np.ndarray,
    levels: np.ndarray,
    *,
    weights: WeightScheme | None = "linear",
    n_boot: int = 1000,
    confidence: float = 0.95,
    seed: int | None = 0,
) -> tuple[float, float]:
    """Bootstrap CI of Cohen's (weighted) kappa over rating pairs ``(a, b)``.

    Resampling n pairs with replacement draws a multinomial on the q x q contingency table,
    so the replicates are drawn that way: the same bootstrap distribution as resampling rows,
    in O(replicates x q^2) whatever the number of pairs (a different random stream from
    ``bootstrap_ci``, so not the same digits).
    """
    levels = np.asarray(levels, dtype=float)
    q, n = len(levels), len(a)
    if n == 0:
        raise AgreementError("no pair to resample")
    table = (
        np.bincount(np.searchsorted(levels, a) * q + np.searchsorted(levels, b), minlength=q * q)
        .reshape(q, q)
        .astype(float)
    )
    rng = np.random.default_rng(seed)
    draws = rng.multinomial(n, (table / n).ravel(), size=n_boot).reshape(n_boot, q, q) / n
    w = agreement_weights(q, weights)
    p_o = (w * draws).sum(axis=(1, 2))
    p_e = (w * (draws.sum(axis=2)[:, :, None] * draws.sum(axis=1)[:, None, :])).sum(axis=(1, 2))
    used = ((draws.sum(axis=2) + draws.sum(axis=1)) > 0).sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        kappa = (p_o - p_e) / (1.0 - p_e)
    return percentile_interval(
        kappa, confidence=confidence, ok=used >= 2, reason="only one category observed"
    )


def _icc21(x: np.ndarray, m: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """ICC(2,1) of the matrices whose rows are ``x``'s taken ``m[b, i]`` times."""
    n, k = x.shape
    x = x - x.mean()  # ICC is shift-invariant; centring keeps the sums of squares accurate
    rows, sq = x.sum(axis=1), (x * x).sum(axis=1)
    total = m @ rows
    grand_sq = total**2 / (n * k)
    sst = m @ sq - grand_sq
    ssr = m @ (rows**2) / k - grand_sq
    if n <= k:
        # The replicate's column sums are m[b] @ x; their squares add up to m[b] G m[b] with the
        # units' Gram matrix G = x x' (n x n, computed once): O(n^2) per replicate, not O(n k).
        gram = x @ x.T
        ssc = ((m @ gram) * m).sum(axis=1) / n - grand_sq
    else:
        ssc = ((m @ x) ** 2).sum(axis=1) / n - grand_sq
    sse = sst - ssr - ssc
    bms, jms = ssr / (n - 1), ssc / (k - 1)
    ems = sse / ((n - 1) * (k - 1))
    den = bms + (k - 1) * ems + k * (jms - ems) / n
    spread = sst / (n * k - 1)
    ok = (spread > 1e-12) & (den > 1e-12 * spread)
    with np.errstate(divide="ignore", invalid="ignore"):
        return (bms - ems) / den, ok


def icc_ci(
    complete: np.ndarray,
    *,
    n_boot: int = 1000,
    confidence: float = 0.95,
    seed: int | None = 0,
    chunk: int = 100,
) -> tuple[float, float]:
    """Percentile bootstrap CI of ICC(2,1) on a complete matrix, resampling units (targets):
    ``bootstrap_ci(icc, complete, form="2,1")`` vectorised."""
    x = np.asarray(complete, dtype=float)
    n = x.shape[0]
    if n == 0:
        raise AgreementError("ratings has no unit to resample")
    idx = replicate_rows(n, n_boot, seed)
    values, oks = [], []
    # With no more units than raters _icc21 needs chunk x units memory: all replicates at once
    # (its Gram matrix is then computed once); else chunks bound it at chunk x raters.
    step = max(n_boot, 1) if n <= x.shape[1] else chunk
    for start in range(0, n_boot, step):
        part = idx[start : start + step]
        # m[b, i]: how many times replicate b drew unit i.
        m = (
            np.bincount((np.arange(len(part))[:, None] * n + part).ravel(), minlength=len(part) * n)
            .reshape(len(part), n)
            .astype(float)
        )
        v, ok = _icc21(x, m)
        values.append(v)
        oks.append(ok)
    return percentile_interval(
        np.concatenate(values),
        confidence=confidence,
        ok=np.concatenate(oks),
        reason="all ratings identical or targets indistinguishable",
    )
