"""Rating arrays and the counts every agreement statistic is built on.

Every statistic takes ratings as a float array of shape ``(units, raters)`` in which ``NaN``
marks a missing rating (the ARMS answer "insufficient information" is mapped to ``NaN`` by the
caller) and treats the categories as ordered numeric values (the ARMS scale is 0, 1, 2).

Two kinds of failure are kept apart:

* a bad *option* (``weights="cubic"``, ``form="4,1"``...) or malformed input raises
  :class:`ValueError` at once, naming the option, the bad value and what is allowed (a
  programming error);
* data on which the statistic is mathematically undefined (fewer than two raters, no unit
  rated twice, a single category so that chance agreement is 1...) raises
  :class:`~arms_training.errors.AgreementError`, whose message says why. No statistic returns
  ``nan`` silently.

Weighted statistics use *agreement* weights on category positions ``0..q-1``:
linear ``w_kl = 1 - |k-l|/(q-1)`` and quadratic ``w_kl = 1 - (k-l)^2/(q-1)^2``
(Cohen 1968; Fleiss & Cohen 1973). For equally spaced scores such as 0, 1, 2 this equals
Gwet's (2014) value-based weights.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import numpy.typing as npt

from arms_training.errors import AgreementError

__all__ = [
    "FloatArray",
    "WeightScheme",
    "WEIGHT_SCHEMES",
    "check_option",
    "as_ratings",
    "require_raters",
    "levels_of",
    "category_counts",
    "unit_counts",
    "require_pairable",
    "agreement_weights",
    "pairwise_agreement",
    "prevalence",
]

FloatArray = npt.NDArray[np.float64]
WeightScheme = Literal["linear", "quadratic"]
WEIGHT_SCHEMES: tuple[WeightScheme | None, ...] = (None, "linear", "quadratic")


# --------------------------------------------------------------------------- validation


def check_option(name: str, value: object, allowed: tuple[str | None, ...]) -> None:
    """Raise ``ValueError`` unless ``value`` is one of ``allowed`` (strings or None)."""
    # Options are strings or None; comparing only those keeps arrays or numbers passed by
    # mistake from reaching an ambiguous ``==``.
    valid = (value is None and None in allowed) or (isinstance(value, str) and value in allowed)
    if not valid:
        raise ValueError(f"{name}={value!r} is not valid; allowed: {', '.join(map(repr, allowed))}")


def as_ratings(data: npt.ArrayLike, name: str, ndim: int) -> FloatArray:
    """``data`` as a float array of ``ndim`` dimensions (2: units x raters, 1: one rater)."""
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


def require_raters(ratings: FloatArray) -> None:
    if ratings.shape[1] < 2:
        raise AgreementError(f"fewer than 2 raters (got {ratings.shape[1]}): agreement is undefined")


def levels_of(values: FloatArray, categories: npt.ArrayLike | None) -> FloatArray:
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


# ------------------------------------------------------------------------------ counts


def category_counts(ratings: FloatArray, levels: FloatArray) -> npt.NDArray[np.int64]:
    """``r_ik``: how many raters put unit ``i`` in category ``k`` (NaN counts nowhere).

    Every non-NaN value must be in ``levels`` (``levels_of`` guarantees it)."""
    n, q = ratings.shape[0], levels.size
    rated = ~np.isnan(ratings)
    # One bincount over (unit, category) cells is several times faster than a
    # (units x raters x categories) comparison, which matters inside the bootstrap loop.
    cells = np.nonzero(rated)[0] * q + np.searchsorted(levels, ratings[rated])
    return np.bincount(cells, minlength=n * q).reshape(n, q)


def unit_counts(matrix: np.ndarray, levels: np.ndarray) -> np.ndarray:
    """``(units, values)`` as floats: how many raters gave each value to each unit; a value
    outside ``levels`` (and NaN) matches none. The input of the vectorised bootstrap."""
    return (matrix[:, :, None] == np.asarray(levels, dtype=float)).sum(axis=1).astype(float)


def require_pairable(counts: npt.NDArray[np.int64]) -> None:
    if not (counts.sum(axis=1) >= 2).any():
        raise AgreementError("no unit has two ratings: agreement is undefined")


# ------------------------------------------------------------------------------- maths


def agreement_weights(q: int, scheme: WeightScheme | None) -> FloatArray:
    """Agreement weights ``w_kl`` on category positions (1 on the diagonal)."""
    if scheme is None or q < 2:
        return np.eye(q)
    distance = np.abs(np.subtract.outer(np.arange(q), np.arange(q))) / (q - 1)
    return 1.0 - (distance if scheme == "linear" else distance**2)


def pairwise_agreement(counts: npt.NDArray[np.int64], weights: FloatArray) -> float:
    """Gwet's ``p_a``: mean over units with ``r_i >= 2`` of the weighted share of agreeing
    ordered rater pairs, ``sum_k r_ik (r*_ik - 1) / (r_i (r_i - 1))`` with
    ``r*_ik = sum_l w_kl r_il``; the ``-1`` removes each rating's pairing with itself."""
    r = counts.sum(axis=1)
    pairable = r >= 2
    c, r = counts[pairable], r[pairable]
    weighted = c @ weights.T
    return float(np.mean((c * (weighted - 1)).sum(axis=1) / (r * (r - 1))))


def prevalence(counts: npt.NDArray[np.int64]) -> FloatArray:
    """``pi_k``: per-unit category shares ``r_ik / r_i`` averaged over units with a rating.

    Averaging per unit (rather than pooling ratings) is Gwet's (2014) choice; with complete
    data both coincide with Fleiss' ``p_j``."""
    r = counts.sum(axis=1)
    rated = r >= 1
    return (counts[rated] / r[rated, np.newaxis]).mean(axis=0)
