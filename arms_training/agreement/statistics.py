"""Inter-rater agreement statistics for ARMS calibration exercises.

Every function takes ratings as a float array of shape ``(units, raters)`` in which ``NaN``
marks a missing rating (the ARMS answer "insufficient information" is mapped to ``NaN`` by the
caller), treats the categories as ordered numeric values (the ARMS scale is 0, 1, 2) and
returns a plain Python ``float``.

Two kinds of failure are kept apart:

* a bad *option* (``weights="cubic"``, ``form="4,1"``...) or malformed input raises
  :class:`ValueError` at once, naming the option, the bad value and what is allowed;
* data on which the statistic is mathematically undefined (fewer than two raters, no unit
  rated twice, a single category so that chance agreement is 1...) raises
  :class:`AgreementError`, a ``ValueError`` subclass whose message says why. No function
  returns ``nan`` silently.

Weighted statistics use *agreement* weights on category positions ``0..q-1``:
linear ``w_kl = 1 - |k-l|/(q-1)`` and quadratic ``w_kl = 1 - (k-l)^2/(q-1)^2``
(Cohen 1968; Fleiss & Cohen 1973). For equally spaced scores such as 0, 1, 2 this equals
Gwet's (2014) value-based weights.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, Literal, NamedTuple

import krippendorff
import numpy as np
import numpy.typing as npt

from arms_training.errors import AgreementError

__all__ = [
    "AgreementError",
    "WeightScheme",
    "AlphaLevel",
    "ICCForm",
    "cohen_kappa",
    "fleiss_kappa",
    "krippendorff_alpha",
    "icc",
    "gwet_ac",
    "percent_agreement",
    "within_one",
    "bootstrap_ci",
    "interpret",
]

WeightScheme = Literal["linear", "quadratic"]
AlphaLevel = Literal["nominal", "ordinal", "interval", "ratio"]
ICCForm = Literal["1,1", "2,1", "3,1", "1,k", "2,k", "3,k"]

_WEIGHT_SCHEMES: tuple[WeightScheme | None, ...] = (None, "linear", "quadratic")
_ALPHA_LEVELS: tuple[AlphaLevel, ...] = ("nominal", "ordinal", "interval", "ratio")
_ICC_FORMS: tuple[ICCForm, ...] = ("1,1", "2,1", "3,1", "1,k", "2,k", "3,k")
# Band edges are compared with this slack so that a value that is a boundary in exact
# arithmetic (0.6 computed as 0.6000000000000001) lands in the band the table prints it in.
_BAND_SLACK = 1e-9

FloatArray = npt.NDArray[np.float64]


# --------------------------------------------------------------------------- validation


def _check_option(name: str, value: object, allowed: tuple[str | None, ...]) -> None:
    # Options are strings or None; comparing only those keeps arrays or numbers passed by
    # mistake from reaching an ambiguous ``==``.
    valid = (value is None and None in allowed) or (isinstance(value, str) and value in allowed)
    if not valid:
        raise ValueError(f"{name}={value!r} is not valid; allowed: {', '.join(map(repr, allowed))}")


def _as_float_array(data: npt.ArrayLike, name: str, ndim: int) -> FloatArray:
    try:
        array = np.asarray(data, dtype=float)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be numeric with NaN for missing ratings: {exc}") from None
    if array.ndim != ndim:
        shape = "(units, raters)" if ndim == 2 else "(units,)"
        raise ValueError(f"{name} must have shape {shape}, got an array of shape {array.shape}")
    if np.isinf(array).any():
        raise ValueError(f"{name} contains infinite values; use NaN for a missing rating")
    return array


def _require_raters(ratings: FloatArray) -> None:
    if ratings.shape[1] < 2:
        raise AgreementError(f"fewer than 2 raters (got {ratings.shape[1]}): agreement is undefined")


def _levels(values: FloatArray, categories: npt.ArrayLike | None) -> FloatArray:
    """Ordered category values: the declared ``categories`` or the sorted observed values."""
    observed = np.unique(values[~np.isnan(values)])
    if categories is None:
        return observed
    try:
        levels = np.asarray(categories, dtype=float)
    except (TypeError, ValueError):
        levels = np.empty((0, 0))
    if levels.ndim != 1 or levels.size == 0 or not np.isfinite(levels).all() or (np.diff(levels) <= 0).any():
        raise ValueError(
            f"categories={categories!r} is not valid; allowed: a non-empty, strictly increasing "
            "sequence of finite numbers such as (0, 1, 2)"
        )
    outside = observed[~np.isin(observed, levels)]
    if outside.size:
        raise ValueError(
            f"ratings contain values {outside.tolist()} that are not in categories={levels.tolist()}"
        )
    return levels


def _category_counts(ratings: FloatArray, levels: FloatArray) -> npt.NDArray[np.int64]:
    """``r_ik``: how many raters put unit ``i`` in category ``k`` (NaN counts nowhere).

    Every non-NaN value must be in ``levels`` (``_levels`` guarantees it)."""
    n, q = ratings.shape[0], levels.size
    rated = ~np.isnan(ratings)
    # One bincount over (unit, category) cells is several times faster than a
    # (units x raters x categories) comparison, which matters inside the bootstrap loop.
    cells = np.nonzero(rated)[0] * q + np.searchsorted(levels, ratings[rated])
    return np.bincount(cells, minlength=n * q).reshape(n, q)


def _require_pairable(counts: npt.NDArray[np.int64]) -> None:
    if not (counts.sum(axis=1) >= 2).any():
        raise AgreementError("no unit has two ratings: agreement is undefined")


# ------------------------------------------------------------------------------- maths


def _weights(q: int, scheme: WeightScheme | None) -> FloatArray:
    """Agreement weights ``w_kl`` on category positions (1 on the diagonal)."""
    if scheme is None or q < 2:
        return np.eye(q)
    distance = np.abs(np.subtract.outer(np.arange(q), np.arange(q))) / (q - 1)
    return 1.0 - (distance if scheme == "linear" else distance**2)


def _pairwise_agreement(counts: npt.NDArray[np.int64], weights: FloatArray) -> float:
    """Gwet's ``p_a``: mean over units with ``r_i >= 2`` of the weighted share of agreeing
    ordered rater pairs, ``sum_k r_ik (r*_ik - 1) / (r_i (r_i - 1))`` with
    ``r*_ik = sum_l w_kl r_il``; the ``-1`` removes each rating's pairing with itself."""
    r = counts.sum(axis=1)
    pairable = r >= 2
    c, r = counts[pairable], r[pairable]
    weighted = c @ weights.T
    return float(np.mean((c * (weighted - 1)).sum(axis=1) / (r * (r - 1))))


def _prevalence(counts: npt.NDArray[np.int64]) -> FloatArray:
    """``pi_k``: per-unit category shares ``r_ik / r_i`` averaged over units with a rating.

    Averaging per unit (rather than pooling ratings) is Gwet's (2014) choice; with complete
    data both coincide with Fleiss' ``p_j``."""
    r = counts.sum(axis=1)
    rated = r >= 1
    return (counts[rated] / r[rated, np.newaxis]).mean(axis=0)


class _MeanSquares(NamedTuple):
    bms: float  # between targets (rows)
    wms: float  # within targets
    jms: float  # between judges (columns)
    ems: float  # residual


def _mean_squares(x: FloatArray) -> _MeanSquares:
    """Two-way ANOVA mean squares of a complete ``(n targets, k judges)`` matrix."""
    n, k = x.shape
    grand = x.mean()
    ss_total = ((x - grand) ** 2).sum()
    ss_rows = k * ((x.mean(axis=1) - grand) ** 2).sum()
    ss_cols = n * ((x.mean(axis=0) - grand) ** 2).sum()
    ss_error = ss_total - ss_rows - ss_cols
    return _MeanSquares(
        bms=ss_rows / (n - 1),
        wms=(ss_total - ss_rows) / (n * (k - 1)),
        jms=ss_cols / (k - 1),
        ems=ss_error / ((n - 1) * (k - 1)),
    )


# ----------------------------------------------------------------------- public API


def cohen_kappa(
    rater_a: npt.ArrayLike,
    rater_b: npt.ArrayLike,
    *,
    weights: WeightScheme | None = None,
    categories: npt.ArrayLike | None = None,
) -> float:
    """Cohen's kappa (unweighted or weighted) between two raters.

    Parameters
    ----------
    rater_a, rater_b : array_like, shape (units,)
        Ratings of the same units by two raters; ``NaN`` = missing. Units where either rating
        is missing are dropped.
    weights : {None, "linear", "quadratic"}, default None
        Agreement weights on category positions (see the module docstring).
    categories : array_like, optional
        Strictly increasing category values. Weight positions are indices in ``categories``;
        a rating outside it raises ``ValueError``. When omitted the positions are the sorted
        values observed in either rater on the retained units (the convention of R
        ``irr::kappa2`` and scikit-learn ``cohen_kappa_score``), so an unused middle category
        changes weighted kappa unless ``categories`` is given.

    Returns
    -------
    float
        ``kappa = (p_o - p_e) / (1 - p_e)`` with ``p_o = sum_kl w_kl p_kl`` and
        ``p_e = sum_kl w_kl p_k. p_.l`` (``p`` the joint and marginal proportions).
        Range ``[-1, 1]``; 1 is perfect agreement, 0 chance-level agreement.

    Raises
    ------
    AgreementError
        No unit rated by both raters, or every retained rating is the same single value:
        then ``p_e = 1`` and kappa is ``0/0`` (kappa is *not* reported as 1 or NaN).
    ValueError
        Bad ``weights``/``categories``, arrays of different lengths, out-of-range ratings.

    References
    ----------
    Cohen, J. (1960). A coefficient of agreement for nominal scales. *Educ. Psychol. Meas.*
    20, 37-46. Cohen, J. (1968). Weighted kappa. *Psychol. Bull.* 70, 213-220.
    """
    _check_option("weights", weights, _WEIGHT_SCHEMES)
    a = _as_float_array(rater_a, "rater_a", 1)
    b = _as_float_array(rater_b, "rater_b", 1)
    if a.shape != b.shape:
        raise ValueError(f"rater_a and rater_b differ in length ({a.size} vs {b.size})")
    _levels(np.concatenate([a, b]), categories)  # out-of-range values anywhere are an error
    both = ~np.isnan(a) & ~np.isnan(b)
    a, b = a[both], b[both]
    if a.size == 0:
        raise AgreementError("no unit was rated by both raters: kappa is undefined")
    levels = _levels(np.concatenate([a, b]), categories)
    if np.unique(np.concatenate([a, b])).size == 1:
        raise AgreementError(
            f"only one category observed (both raters always gave {a[0]:g}): chance agreement "
            "p_e = 1, so kappa is undefined"
        )
    q = levels.size
    table = np.zeros((q, q))
    np.add.at(table, (np.searchsorted(levels, a), np.searchsorted(levels, b)), 1.0)
    table /= a.size
    w = _weights(q, weights)
    p_o = float((w * table).sum())
    p_e = float((w * np.outer(table.sum(axis=1), table.sum(axis=0))).sum())
    return (p_o - p_e) / (1.0 - p_e)


def fleiss_kappa(ratings: npt.ArrayLike, *, categories: npt.ArrayLike | None = None) -> float:
    """Fleiss' kappa for any number of raters, with Gwet's generalisation to missing ratings.

    Parameters
    ----------
    ratings : array_like, shape (units, raters)
        ``NaN`` = missing. Raters need not be the same people across units.
    categories : array_like, optional
        Declared category values; only used to reject out-of-range ratings (categories nobody
        used have ``pi_k = 0`` and do not change kappa).

    Returns
    -------
    float
        ``kappa = (p_a - p_e) / (1 - p_e)`` where, with ``r_ik`` raters putting unit ``i`` in
        category ``k`` and ``r_i = sum_k r_ik``,

        * ``p_a`` = mean over the ``n'`` units with ``r_i >= 2`` of
          ``sum_k r_ik (r_ik - 1) / (r_i (r_i - 1))``;
        * ``pi_k`` = mean over the units with ``r_i >= 1`` of ``r_ik / r_i``;
        * ``p_e = sum_k pi_k^2``.

        This is Gwet's (2014, ch. 2) form for unequal numbers of ratings per unit; a unit with
        a single rating informs ``pi_k`` only. With complete data it is exactly Fleiss (1971).
        Range ``[-1, 1]`` (the lower bound depends on the number of raters).

    Raises
    ------
    AgreementError
        Fewer than 2 raters, no unit with two ratings, or a single category observed
        (``p_e = 1``: kappa is undefined).

    References
    ----------
    Fleiss, J. L. (1971). Measuring nominal scale agreement among many raters. *Psychol.
    Bull.* 76, 378-382. Gwet, K. L. (2014). *Handbook of Inter-Rater Reliability*, 4th ed.,
    ch. 2. Advanced Analytics.
    """
    x = _as_float_array(ratings, "ratings", 2)
    _require_raters(x)
    counts = _category_counts(x, _levels(x, categories))
    _require_pairable(counts)
    used = np.flatnonzero(counts.sum(axis=0))
    if used.size < 2:
        raise AgreementError("only one category observed: chance agreement p_e = 1, so kappa is undefined")
    p_a = _pairwise_agreement(counts, np.eye(counts.shape[1]))
    p_e = float((_prevalence(counts) ** 2).sum())
    return (p_a - p_e) / (1.0 - p_e)


def krippendorff_alpha(
    ratings: npt.ArrayLike,
    *,
    level: AlphaLevel = "nominal",
    categories: npt.ArrayLike | None = None,
) -> float:
    """Krippendorff's alpha, computed by the ``krippendorff`` package.

    Parameters
    ----------
    ratings : array_like, shape (units, raters)
        ``NaN`` = missing; units with fewer than two ratings are not pairable and drop out.
        (The package's ``reliability_data`` is ``(raters, units)``; this function hands it
        per-unit value counts instead, which is the same input without the transposition.)
    level : {"nominal", "ordinal", "interval", "ratio"}, default "nominal"
        Metric of disagreement. ``"ordinal"`` is Krippendorff's rank-based metric
        ``delta_ck = (sum_{g=c..k} n_g - (n_c + n_k)/2)^2`` and is usually the right choice for
        the ARMS 0-1-2 scale; pass it explicitly. ``"ratio"`` needs non-negative values.
    categories : array_like, optional
        Value domain given to the package; ratings outside it raise ``ValueError``. Unused
        values carry no weight, so this validates rather than changes alpha.

    Returns
    -------
    float
        ``alpha = 1 - D_o / D_e`` with ``D_o = sum_ck o_ck delta_ck`` over the coincidence
        matrix of pairable values and ``D_e = sum_ck n_c n_k delta_ck / (n - 1)``.
        At most 1: 1 is perfect reliability, 0 chance level, below 0 systematic disagreement.

    Raises
    ------
    AgreementError
        Fewer than 2 raters, no unit with two ratings, or only one value among pairable
        ratings (``D_e = 0``: alpha is undefined).

    References
    ----------
    Krippendorff, K. (2011). Computing Krippendorff's alpha-reliability. Annenberg School for
    Communication, Departmental Paper 43. Hayes, A. F., & Krippendorff, K. (2007). Answering
    the call for a standard reliability measure for coding data. *Commun. Methods Meas.* 1,
    77-89.
    """
    _check_option("level", level, _ALPHA_LEVELS)
    x = _as_float_array(ratings, "ratings", 2)
    _require_raters(x)
    levels = _levels(x, categories)
    if level == "ratio" and (levels < 0).any():
        raise ValueError(f"level='ratio' needs non-negative values, got {levels.min():g}")
    counts = _category_counts(x, levels)
    _require_pairable(counts)
    pairable = counts[counts.sum(axis=1) >= 2]
    if np.count_nonzero(pairable.sum(axis=0)) < 2:
        raise AgreementError(
            "only one value among pairable ratings: expected disagreement D_e = 0, so alpha is undefined"
        )
    # Passing value counts skips the package's own (raters x units x values) re-tabulation.
    return float(krippendorff.alpha(value_counts=counts, value_domain=levels, level_of_measurement=level))


def icc(ratings: npt.ArrayLike, *, form: ICCForm = "2,1") -> float:
    """Shrout & Fleiss (1979) intraclass correlation.

    Parameters
    ----------
    ratings : array_like, shape (targets, judges)
        ICC rests on a complete two-way layout: every unit with a missing rating is dropped.
    form : {"1,1", "2,1", "3,1", "1,k", "2,k", "3,k"}, default "2,1"
        ``1``: one-way random (each target rated by different judges); ``2``: two-way random,
        absolute agreement; ``3``: two-way mixed, consistency. ``,1`` is the reliability of a
        single judge, ``,k`` of the mean of the ``k`` judges.

    Returns
    -------
    float
        With mean squares BMS (targets), WMS (within targets), JMS (judges), EMS (residual)
        from ``n`` complete targets and ``k`` judges:

        * ICC(1,1) = (BMS - WMS) / (BMS + (k-1) WMS)
        * ICC(2,1) = (BMS - EMS) / (BMS + (k-1) EMS + k (JMS - EMS) / n)
        * ICC(3,1) = (BMS - EMS) / (BMS + (k-1) EMS)
        * ICC(1,k) = (BMS - WMS) / BMS
        * ICC(2,k) = (BMS - EMS) / (BMS + (JMS - EMS) / n)
        * ICC(3,k) = (BMS - EMS) / BMS

        At most 1; can be negative when targets differ less than chance.

    Raises
    ------
    AgreementError
        Fewer than 2 judges, fewer than 2 complete targets, all ratings identical, or a
        non-positive denominator for the requested form (e.g. BMS = 0 for the ``,k`` forms),
        where the ratio has no meaning.

    References
    ----------
    Shrout, P. E., & Fleiss, J. L. (1979). Intraclass correlations: uses in assessing rater
    reliability. *Psychol. Bull.* 86, 420-428.
    """
    _check_option("form", form, _ICC_FORMS)
    x = _as_float_array(ratings, "ratings", 2)
    _require_raters(x)
    complete = x[~np.isnan(x).any(axis=1)]
    n, k = complete.shape
    if n < 2:
        raise AgreementError(
            f"fewer than 2 units rated by every rater ({n} of {x.shape[0]}): ICC needs complete rows"
        )
    if np.ptp(complete) == 0:
        raise AgreementError("all ratings are identical: zero variance, ICC is undefined")
    ms = _mean_squares(complete)
    error = ms.wms if form[0] == "1" else ms.ems
    # Only the two-way random model counts the judges' variance as error (absolute agreement).
    judges = (ms.jms - ms.ems) / n
    numerator = ms.bms - error
    denominator = {
        "1,1": ms.bms + (k - 1) * error,
        "2,1": ms.bms + (k - 1) * error + k * judges,
        "3,1": ms.bms + (k - 1) * error,
        "1,k": ms.bms,
        "2,k": ms.bms + judges,
        "3,k": ms.bms,
    }[form]
    scale = complete.var(ddof=1)
    if denominator <= 1e-12 * scale:
        raise AgreementError(
            f"ICC({form}) is undefined: its denominator is {denominator:.3g} "
            f"(BMS={ms.bms:.3g}, WMS={ms.wms:.3g}, JMS={ms.jms:.3g}, EMS={ms.ems:.3g}); "
            "the targets do not differ enough to estimate it"
        )
    return float(numerator / denominator)


def gwet_ac(
    ratings: npt.ArrayLike,
    *,
    weights: WeightScheme | None = None,
    categories: npt.ArrayLike | None = None,
) -> float:
    """Gwet's AC1 (unweighted) or AC2 (weighted) for any number of raters, missing allowed.

    Parameters
    ----------
    ratings : array_like, shape (units, raters)
        ``NaN`` = missing.
    weights : {None, "linear", "quadratic"}, default None
        ``None`` gives AC1; a scheme gives AC2 with those agreement weights.
    categories : array_like, optional
        The ``q`` categories of the scale. Unlike kappa, AC depends on ``q`` even when some
        categories go unused, so pass the full scale (``(0, 1, 2)`` for ARMS); otherwise the
        observed values are used.

    Returns
    -------
    float
        ``AC = (p_a - p_e) / (1 - p_e)`` with (Gwet 2014, ch. 2)

        * ``p_a`` = mean over units with ``r_i >= 2`` of
          ``sum_k r_ik (r*_ik - 1) / (r_i (r_i - 1))``, ``r*_ik = sum_l w_kl r_il``;
        * ``pi_k`` = mean over units with ``r_i >= 1`` of ``r_ik / r_i``;
        * ``p_e = T_w / (q (q - 1)) * sum_k pi_k (1 - pi_k)``, ``T_w = sum_kl w_kl``.

        For two raters and no weights this is Gwet (2008). Since ``p_e <= T_w / q^2 < 1``
        AC is defined even when every rating falls in one category (AC = 1 then).
        At most 1; AC1 is at least -1.

    Raises
    ------
    AgreementError
        Fewer than 2 raters, no unit with two ratings, or fewer than 2 categories (observed
        or declared): ``q (q - 1) = 0``.

    References
    ----------
    Gwet, K. L. (2008). Computing inter-rater reliability and its variance in the presence
    of high agreement. *Br. J. Math. Stat. Psychol.* 61, 29-48. Gwet, K. L. (2014).
    *Handbook of Inter-Rater Reliability*, 4th ed., ch. 2-3. Advanced Analytics.
    """
    _check_option("weights", weights, _WEIGHT_SCHEMES)
    x = _as_float_array(ratings, "ratings", 2)
    _require_raters(x)
    levels = _levels(x, categories)
    counts = _category_counts(x, levels)
    _require_pairable(counts)
    q = levels.size
    if q < 2:
        raise AgreementError(
            f"only one category observed ({levels[0]:g}) and none declared: AC needs the number "
            "of categories q >= 2; pass categories=(0, 1, 2) for the ARMS scale"
        )
    w = _weights(q, weights)
    p_a = _pairwise_agreement(counts, w)
    pi = _prevalence(counts)
    p_e = float(w.sum() / (q * (q - 1)) * (pi * (1.0 - pi)).sum())
    return (p_a - p_e) / (1.0 - p_e)


def percent_agreement(ratings: npt.ArrayLike) -> float:
    """Share of agreeing rater pairs, not corrected for chance.

    Parameters
    ----------
    ratings : array_like, shape (units, raters)
        ``NaN`` = missing.

    Returns
    -------
    float
        ``mean_i [ sum_k r_ik (r_ik - 1) / (r_i (r_i - 1)) ]`` over units with ``r_i >= 2``:
        each unit's share of agreeing rater pairs, then the plain mean over units (Fleiss'
        ``P-bar``, Gwet's unweighted ``p_a``). Each unit counts once however many raters it
        had; pooling all pairs instead would let heavily rated units dominate. Range
        ``[0, 1]``.

    Raises
    ------
    AgreementError
        Fewer than 2 raters or no unit with two ratings.

    References
    ----------
    Fleiss (1971), see :func:`fleiss_kappa`; Gwet (2014), ch. 2.
    """
    x = _as_float_array(ratings, "ratings", 2)
    _require_raters(x)
    counts = _category_counts(x, _levels(x, None))
    _require_pairable(counts)
    return _pairwise_agreement(counts, np.eye(counts.shape[1]))


def within_one(ratings: npt.ArrayLike) -> float:
    """Share of rater pairs whose ratings differ by at most 1.

    Parameters
    ----------
    ratings : array_like, shape (units, raters)
        ``NaN`` = missing.

    Returns
    -------
    float
        As :func:`percent_agreement` (per unit, then mean over units with ``r_i >= 2``) but a
        pair agrees when ``|x - y| <= 1`` on the rating values themselves (one ARMS scale
        step), not on category positions. Range ``[0, 1]``; 1 whenever the scale has only
        two adjacent values.

    Raises
    ------
    AgreementError
        Fewer than 2 raters or no unit with two ratings.
    """
    x = _as_float_array(ratings, "ratings", 2)
    _require_raters(x)
    levels = _levels(x, None)
    counts = _category_counts(x, levels)
    _require_pairable(counts)
    close = np.abs(np.subtract.outer(levels, levels)) <= 1.0 + _BAND_SLACK
    return _pairwise_agreement(counts, close.astype(float))


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
        The ``(1 - confidence)/2`` and ``(1 + confidence)/2`` quantiles of the replicates.

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
    x = _as_float_array(ratings, "ratings", 2)
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
    rng = np.random.default_rng(seed)
    indices = rng.integers(0, n_units, size=(n_boot, n_units))
    values: list[float] = []
    last_reason = ""
    for rows in indices:
        try:
            value = float(compute(x[rows]))
        except AgreementError as exc:
            last_reason = str(exc)
            continue
        if math.isfinite(value):
            values.append(value)
        else:
            last_reason = f"statistic returned {value}"
    failed = n_boot - len(values)
    if 2 * failed > n_boot:
        raise AgreementError(f"{failed} of {n_boot} bootstrap replicates were degenerate ({last_reason})")
    tail = (1.0 - confidence) / 2.0
    low, high = np.quantile(values, [tail, 1.0 - tail])
    return float(low), float(high)


_KAPPA_NAMES = frozenset({"cohen_kappa", "fleiss_kappa", "gwet_ac", "gwet_ac1", "gwet_ac2"})
_UNBANDED_NAMES = frozenset({"percent_agreement", "within_one"})
_LANDIS_KOCH = ((0.20, "slight"), (0.40, "fair"), (0.60, "moderate"), (0.80, "substantial"))


def interpret(statistic_name: str, value: float) -> str:
    """Conventional verbal band for an agreement value.

    Parameters
    ----------
    statistic_name : str
        ``"cohen_kappa"``, ``"fleiss_kappa"``, ``"gwet_ac1"``, ``"gwet_ac2"`` (or
        ``"gwet_ac"``), ``"krippendorff_alpha"``, ``"icc"`` or any name starting with ``icc``
        such as ``"icc(2,1)"``, ``"percent_agreement"``, ``"within_one"``.
    value : float
        The statistic; at most 1.

    Returns
    -------
    str
        * kappa family and AC (Landis & Koch 1977): ``< 0`` "poor", ``0-0.20`` "slight",
          ``(0.20-0.40]`` "fair", ``(0.40-0.60]`` "moderate", ``(0.60-0.80]`` "substantial",
          ``(0.80-1]`` "almost perfect";
        * ICC (Koo & Li 2016): ``< 0.50`` "poor", ``[0.50, 0.75)`` "moderate",
          ``[0.75, 0.90]`` "good", ``> 0.90`` "excellent";
        * Krippendorff's alpha (Krippendorff 2004): ``>= 0.800`` "reliable",
          ``[0.667, 0.800)`` "tentative", ``< 0.667`` "unreliable";
        * percent agreement and within-one: no accepted band, ``""``.

    Raises
    ------
    ValueError
        Unknown ``statistic_name``, or ``value`` NaN or above 1.

    References
    ----------
    Landis, J. R., & Koch, G. G. (1977). The measurement of observer agreement for
    categorical data. *Biometrics* 33, 159-174. Koo, T. K., & Li, M. Y. (2016). A guideline of
    selecting and reporting intraclass correlation coefficients for reliability research.
    *J. Chiropr. Med.* 15, 155-163. Krippendorff, K. (2004). *Content Analysis*, 2nd ed., 241.
    """
    name = statistic_name.strip().lower() if isinstance(statistic_name, str) else None
    known = name is not None and (
        name in _KAPPA_NAMES
        or name in _UNBANDED_NAMES
        or name == "krippendorff_alpha"
        or name.startswith("icc")
    )
    if not known:
        allowed = sorted(_KAPPA_NAMES | _UNBANDED_NAMES | {"krippendorff_alpha", "icc..."})
        raise ValueError(f"statistic_name={statistic_name!r} is not valid; allowed: {', '.join(allowed)}")
    value = float(value)
    if math.isnan(value) or value > 1.0 + _BAND_SLACK:
        raise ValueError(f"value={value!r} is not valid for {name}; allowed: a number <= 1")
    if name in _UNBANDED_NAMES:
        return ""
    if name == "krippendorff_alpha":
        if value >= 0.800 - _BAND_SLACK:
            return "reliable"
        return "tentative" if value >= 0.667 - _BAND_SLACK else "unreliable"
    if name.startswith("icc"):
        if value < 0.50 - _BAND_SLACK:
            return "poor"
        if value < 0.75 - _BAND_SLACK:
            return "moderate"
        return "good" if value <= 0.90 + _BAND_SLACK else "excellent"
    if value < -_BAND_SLACK:
        return "poor"
    for upper, label in _LANDIS_KOCH:
        if value <= upper + _BAND_SLACK:
            return label
    return "almost perfect"
