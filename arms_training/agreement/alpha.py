"""Krippendorff's alpha, by the ``krippendorff`` package on value counts. Conventions of input
and failure: :mod:`arms_training.agreement.ratings`."""

from __future__ import annotations

from typing import Literal

import krippendorff
import numpy as np
import numpy.typing as npt

from arms_training.agreement.ratings import (
    as_ratings,
    category_counts,
    check_option,
    levels_of,
    require_pairable,
    require_raters,
)
from arms_training.errors import AgreementError

__all__ = ["AlphaLevel", "ALPHA_LEVELS", "krippendorff_alpha"]

AlphaLevel = Literal["nominal", "ordinal", "interval", "ratio"]
ALPHA_LEVELS: tuple[AlphaLevel, ...] = ("nominal", "ordinal", "interval", "ratio")


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
    check_option("level", level, ALPHA_LEVELS)
    x = as_ratings(ratings, "ratings", 2)
    require_raters(x)
    levels = levels_of(x, categories)
    if level == "ratio" and (levels < 0).any():
        raise ValueError(f"level='ratio' needs non-negative values, got {levels.min():g}")
    counts = category_counts(x, levels)
    require_pairable(counts)
    pairable = counts[counts.sum(axis=1) >= 2]
    if np.count_nonzero(pairable.sum(axis=0)) < 2:
        raise AgreementError(
            "only one value among pairable ratings: expected disagreement D_e = 0, so alpha is undefined"
        )
    # Passing value counts skips the package's own (raters x units x values) re-tabulation.
    return float(krippendorff.alpha(value_counts=counts, value_domain=levels, level_of_measurement=level))
