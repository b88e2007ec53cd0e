"""Agreement not corrected for chance: the share of agreeing rater pairs, exactly or within one
scale step. No accepted band reads them (see the registry). Conventions of input and failure:
:mod:`arms_training.agreement.ratings`."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from arms_training.agreement.ratings import (
    as_ratings,
    category_counts,
    levels_of,
    pairwise_agreement,
    require_pairable,
    require_raters,
)

__all__ = ["percent_agreement", "within_one"]

# Differences are compared with this slack so that values one apart in exact arithmetic still
# count as within one (2.2 - 1.2 is 1.0000000000000002 in floating point).
_STEP_SLACK = 1e-9


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
    x = as_ratings(ratings, "ratings", 2)
    require_raters(x)
    counts = category_counts(x, levels_of(x, None))
    require_pairable(counts)
    return pairwise_agreement(counts, np.eye(counts.shape[1]))


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
    x = as_ratings(ratings, "ratings", 2)
    require_raters(x)
    levels = levels_of(x, None)
    counts = category_counts(x, levels)
    require_pairable(counts)
    close = np.abs(np.subtract.outer(levels, levels)) <= 1.0 + _STEP_SLACK
    return pairwise_agreement(counts, close.astype(float))
