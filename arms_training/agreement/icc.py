"""Shrout & Fleiss (1979) intraclass correlations, and the complete block of a rating matrix
they are computed on. Conventions of input and failure: :mod:`arms_training.agreement.ratings`."""

from __future__ import annotations

from typing import Literal, NamedTuple

import numpy as np
import numpy.typing as npt

from arms_training.agreement.ratings import FloatArray, as_ratings, check_option, require_raters
from arms_training.errors import AgreementError

__all__ = ["ICCForm", "ICC_FORMS", "icc", "icc_layout"]

ICCForm = Literal["1,1", "2,1", "3,1", "1,k", "2,k", "3,k"]
ICC_FORMS: tuple[ICCForm, ...] = ("1,1", "2,1", "3,1", "1,k", "2,k", "3,k")


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
    check_option("form", form, ICC_FORMS)
    x = as_ratings(ratings, "ratings", 2)
    require_raters(x)
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
