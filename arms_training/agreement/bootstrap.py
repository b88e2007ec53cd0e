"""Vectorised percentile bootstrap for the calibration reliability table.

:func:`arms_training.agreement.statistics.bootstrap_ci` calls the statistic once per replicate in Python,
which costs seconds per row of the reliability table. Krippendorff's alpha, Fleiss' kappa and
percent agreement depend on a rating matrix only through each unit's value counts, so here all
replicates are computed at once on a ``(replicates, units, values)`` count array. The replicate
indices are drawn exactly as ``bootstrap_ci`` draws them (same generator, seed and shape), failed
replicates are skipped and judged the same way, and ``tests/test_calibration.py`` checks the
intervals equal ``bootstrap_ci``'s. The point estimates in the table still come from
:mod:`arms_training.agreement.statistics`.
"""

from __future__ import annotations

from typing import Literal

import numpy as np

from arms_training.agreement.statistics import AgreementError

__all__ = ["unit_counts", "counts_ci", "kappa_multinomial_ci", "Statistic"]

Statistic = Literal["percent_agreement", "fleiss_kappa", "krippendorff_alpha"]


def unit_counts(matrix: np.ndarray, levels: np.ndarray) -> np.ndarray:
    """``(units, values)``: how many raters gave each value to each unit (NaN matches none)."""
    return (matrix[:, :, None] == np.asarray(levels, dtype=float)).sum(axis=1).astype(float)


def _pairwise(c: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per replicate: Gwet's p_a (mean over units with two ratings) and whether any unit had."""
    r = c.sum(axis=2)
    pairable = r >= 2
    share = np.divide((c * (c - 1)).sum(axis=2), r * (r - 1), out=np.zeros_like(r), where=pairable)
    n = pairable.sum(axis=1)
    return np.divide(share.sum(axis=1), n, out=np.full(len(c), np.nan), where=n > 0), n > 0


def _fleiss(c: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    p_a, ok = _pairwise(c)
    r = c.sum(axis=2, keepdims=True)
    rated = r[..., 0] >= 1
    shares = np.divide(c, r, out=np.zeros_like(c), where=r >= 1)
    pi = shares.sum(axis=1) / np.maximum(rated.sum(axis=1), 1)[:, None]
    p_e = (pi**2).sum(axis=1)
    ok &= (c.sum(axis=1) > 0).sum(axis=1) >= 2
    with np.errstate(divide="ignore", invalid="ignore"):
        return (p_a - p_e) / (1.0 - p_e), ok


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


def _interval(
    values: np.ndarray, ok: np.ndarray, n_boot: int, confidence: float, reason: str
) -> tuple[float, float]:
    good = ok & np.isfinite(values)
    failed = n_boot - int(good.sum())
    if 2 * failed > n_boot:
        raise AgreementError(f"{failed} of {n_boot} bootstrap replicates were degenerate ({reason})")
    tail = (1.0 - confidence) / 2.0
    low, high = np.quantile(values[good], [tail, 1.0 - tail])
    return float(low), float(high)


def counts_ci(
    statistic: Statistic,
    counts: np.ndarray,
    *,
    n_boot: int = 1000,
    confidence: float = 0.95,
    seed: int | None = 0,
    level: str = "ordinal",
    levels: np.ndarray | None = None,
    chunk: int = 250,
) -> tuple[float, float]:
    """Percentile bootstrap CI of ``statistic`` from unit value counts, resampling units.

    Same replicates and result as ``agreement.bootstrap_ci(statistic, ratings, ...)`` on the
    ratings the counts came from (``level`` and ``levels`` only matter for alpha).
    """
    counts = np.asarray(counts, dtype=float)
    n_units = counts.shape[0]
    if n_units == 0:
        raise AgreementError("ratings has no unit to resample")
    rng = np.random.default_rng(seed)
    indices = rng.integers(0, n_units, size=(n_boot, n_units))
    levels = np.arange(counts.shape[1], dtype=float) if levels is None else np.asarray(levels, dtype=float)
    values, oks = [], []
    for start in range(0, n_boot, chunk):  # bounds memory at chunk x units x values
        c = counts[indices[start : start + chunk]]
        if statistic == "percent_agreement":
            v, ok = _pairwise(c)
        elif statistic == "fleiss_kappa":
            v, ok = _fleiss(c)
        elif statistic == "krippendorff_alpha":
            v, ok = _alpha(c, level, levels)
        else:
            raise ValueError(
                f"statistic={statistic!r} is not valid; allowed: "
                "percent_agreement, fleiss_kappa, krippendorff_alpha"
            )
        values.append(v)
        oks.append(ok)
    return _interval(
        np.concatenate(values),
        np.concatenate(oks),
        n_boot,
        confidence,
        "no pairable unit or a single category",
    )


def kappa_multinomial_ci(
    a: np.ndarray,
    b: np.ndarray,
    levels: np.ndarray,
    *,
    weights: Literal["linear", "quadratic"] | None = "linear",
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
    pos = np.arange(q)
    dist = np.abs(pos[:, None] - pos[None, :]) / max(q - 1, 1)
    w = np.eye(q) if weights is None else 1.0 - (dist if weights == "linear" else dist**2)
    p_o = (w * draws).sum(axis=(1, 2))
    p_e = (w * (draws.sum(axis=2)[:, :, None] * draws.sum(axis=1)[:, None, :])).sum(axis=(1, 2))
    used = ((draws.sum(axis=2) + draws.sum(axis=1)) > 0).sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        kappa = (p_o - p_e) / (1.0 - p_e)
    return _interval(kappa, used >= 2, n_boot, confidence, "only one category observed")


# -- Gwet's AC1 and ICC(2,1): units resampled, replicates drawn as agreement.bootstrap_ci draws
# them (tests/test_dashboard.py checks the intervals are equal).


def _replicates(n_units: int, n_boot: int, seed: int | None) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return rng.integers(0, n_units, size=(n_boot, n_units))


def _percentile(
    values: np.ndarray, ok: np.ndarray, n_boot: int, confidence: float, reason: str
) -> tuple[float, float]:
    good = ok & np.isfinite(values)
    failed = n_boot - int(good.sum())
    if 2 * failed > n_boot:
        raise AgreementError(f"{failed} of {n_boot} bootstrap replicates were degenerate ({reason})")
    tail = (1.0 - confidence) / 2.0
    low, high = np.quantile(values[good], [tail, 1.0 - tail])
    return float(low), float(high)


def gwet_ac1_ci(
    counts: np.ndarray, *, n_boot: int = 1000, confidence: float = 0.95, seed: int | None = 0
) -> tuple[float, float]:
    """Percentile bootstrap CI of Gwet's AC1 from ``(units, q)`` value counts (all ``q``
    categories of the scale), resampling units: ``agreement.bootstrap_ci(gwet_ac, ratings,
    categories=scale)`` vectorised."""
    counts = np.asarray(counts, dtype=float)
    n, q = counts.shape
    if n == 0:
        raise AgreementError("ratings has no unit to resample")
    c = counts[_replicates(n, n_boot, seed)]
    r = c.sum(axis=2)
    pairable = r >= 2
    share = np.divide((c * (c - 1)).sum(axis=2), r * (r - 1), out=np.zeros_like(r), where=pairable)
    n_pair = pairable.sum(axis=1)
    p_a = np.divide(share.sum(axis=1), n_pair, out=np.full(n_boot, np.nan), where=n_pair > 0)
    rated = r >= 1
    shares = np.divide(c, r[..., None], out=np.zeros_like(c), where=rated[..., None])
    pi = shares.sum(axis=1) / np.maximum(rated.sum(axis=1), 1)[:, None]
    p_e = (pi * (1 - pi)).sum(axis=1) / (q - 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        ac1 = (p_a - p_e) / (1 - p_e)
    return _percentile(ac1, n_pair > 0, n_boot, confidence, "no unit with two ratings")


def icc_layout(matrix: np.ndarray) -> tuple[np.ndarray, str]:
    """The complete ``units x raters`` block the ICC is computed on, and how it was chosen.

    ICC needs every rater to rate every unit. Units rated numerically by fewer than half the
    raters are dropped first (typically a factor the key calls ``insufficient``), then raters
    missing any remaining unit."""
    rated = ~np.isnan(matrix)
    n_raters = int(rated.any(axis=0).sum())
    units = rated.sum(axis=1) >= max(2, n_raters / 2)
    block = matrix[units]
    raters = ~np.isnan(block).any(axis=0) if len(block) else np.zeros(matrix.shape[1], bool)
    note = (
        f"complete block: {int(units.sum())} of {matrix.shape[0]} units, "
        f"{int(raters.sum())} of {n_raters} raters"
    )
    return block[:, raters], note


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
    ``agreement.bootstrap_ci(icc, complete, form="2,1")`` vectorised."""
    x = np.asarray(complete, dtype=float)
    n = x.shape[0]
    if n == 0:
        raise AgreementError("ratings has no unit to resample")
    idx = _replicates(n, n_boot, seed)
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
    return _percentile(
        np.concatenate(values),
        np.concatenate(oks),
        n_boot,
        confidence,
        "all ratings identical or targets indistinguishable",
    )
