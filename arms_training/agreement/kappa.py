"""The kappa family: chance-corrected agreement on categories (Cohen's and Fleiss' kappa, Gwet's
AC1 and AC2). Conventions of input and failure: :mod:`arms_training.agreement.ratings`."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from arms_training.agreement.ratings import (
    WEIGHT_SCHEMES,
    WeightScheme,
    agreement_weights,
    as_ratings,
    category_counts,
    check_option,
    levels_of,
    pairwise_agreement,
    prevalence,
    require_pairable,
    require_raters,
)
from arms_training.errors import AgreementError

__all__ = ["cohen_kappa", "fleiss_kappa", "gwet_ac"]


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
    check_option("weights", weights, WEIGHT_SCHEMES)
    a = as_ratings(rater_a, "rater_a", 1)
    b = as_ratings(rater_b, "rater_b", 1)
    if a.shape != b.shape:
        raise ValueError(f"rater_a and rater_b differ in length ({a.size} vs {b.size})")
    levels_of(np.concatenate([a, b]), categories)  # out-of-range values anywhere are an error
    both = ~np.isnan(a) & ~np.isnan(b)
    a, b = a[both], b[both]
    if a.size == 0:
        raise AgreementError("no unit was rated by both raters: kappa is undefined")
    levels = levels_of(np.concatenate([a, b]), categories)
    if np.unique(np.concatenate([a, b])).size == 1:
        raise AgreementError(
            f"only one category observed (both raters always gave {a[0]:g}): chance agreement "
            "p_e = 1, so kappa is undefined"
        )
    q = levels.size
    table = np.zeros((q, q))
    np.add.at(table, (np.searchsorted(levels, a), np.searchsorted(levels, b)), 1.0)
    table /= a.size
    w = agreement_weights(q, weights)
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
    x = as_ratings(ratings, "ratings", 2)
    require_raters(x)
    counts = category_counts(x, levels_of(x, categories))
    require_pairable(counts)
    used = np.flatnonzero(counts.sum(axis=0))
    if used.size < 2:
        raise AgreementError("only one category observed: chance agreement p_e = 1, so kappa is undefined")
    p_a = pairwise_agreement(counts, np.eye(counts.shape[1]))
    p_e = float((prevalence(counts) ** 2).sum())
    return (p_a - p_e) / (1.0 - p_e)


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
    check_option("weights", weights, WEIGHT_SCHEMES)
    x = as_ratings(ratings, "ratings", 2)
    require_raters(x)
    levels = levels_of(x, categories)
    counts = category_counts(x, levels)
    require_pairable(counts)
    q = levels.size
    if q < 2:
        raise AgreementError(
            f"only one category observed ({levels[0]:g}) and none declared: AC needs the number "
            "of categories q >= 2; pass categories=(0, 1, 2) for the ARMS scale"
        )
    w = agreement_weights(q, weights)
    p_a = pairwise_agreement(counts, w)
    pi = prevalence(counts)
    p_e = float(w.sum() / (q * (q - 1)) * (pi * (1.0 - pi)).sum())
    return (p_a - p_e) / (1.0 - p_e)
