"""Does the one percentile-interval helper give the textbook percentile interval, skip degenerate
replicates only up to half, and do the vectorised intervals go through it?"""

from __future__ import annotations

import numpy as np
import pytest

from arms_training.agreement import AgreementError, bootstrap_ci, percent_agreement
from arms_training.agreement.bootstrap import counts_ci, percentile_interval
from arms_training.agreement.ratings import unit_counts


def test_percentile_interval_is_the_textbook_percentile_interval() -> None:
    # Efron & Tibshirani (1993), ch. 13: the interval is the (1 - c)/2 and (1 + c)/2 percentiles
    # of the replicates. Worked by hand on B = 5 replicates, sorted .1 .2 .3 .4 .5, with linear
    # interpolation between order statistics (percentile p at 0-based position (B - 1) p):
    replicates = [0.3, 0.1, 0.5, 0.2, 0.4]
    # c = .50: p = .25 -> position 1 -> .2; p = .75 -> position 3 -> .4.
    assert percentile_interval(replicates, confidence=0.5) == pytest.approx((0.2, 0.4), abs=1e-15)
    # c = .80: p = .10 -> position 0.4 -> .1 + .4 (.2 - .1) = .14; p = .90 -> position 3.6 -> .46.
    assert percentile_interval(replicates, confidence=0.8) == pytest.approx((0.14, 0.46), abs=1e-15)


def test_percentile_interval_skips_degenerate_replicates_up_to_half() -> None:
    # NaN and the replicate marked not ok drop out: .1 .2 .3 remain; c = .50 -> positions 0.5
    # and 1.5 -> .15 and .25.
    values = [0.1, np.nan, 0.3, 0.2, 0.9]
    ok = [True, True, True, True, False]
    assert percentile_interval(values, confidence=0.5, ok=ok) == pytest.approx((0.15, 0.25), abs=1e-15)
    with pytest.raises(AgreementError, match=r"3 of 5 bootstrap replicates were degenerate \(no pair\)"):
        percentile_interval([0.1, np.nan, np.inf, 0.2, 0.9], confidence=0.5, ok=ok, reason="no pair")
    with pytest.raises(ValueError, match="at least one replicate"):
        percentile_interval([], confidence=0.5)


def test_bootstrap_ci_and_counts_ci_are_the_same_percentile_interval() -> None:
    """The generic and the vectorised bootstrap draw the same replicates and read them with the
    same helper, so they agree to rounding on the same data and seed."""
    rng = np.random.default_rng(11)
    ratings = rng.integers(0, 3, size=(15, 5)).astype(float)
    ratings[rng.random(ratings.shape) < 0.2] = np.nan
    counts = unit_counts(ratings, np.array([0.0, 1.0, 2.0]))
    for confidence in (0.5, 0.9):
        want = bootstrap_ci(percent_agreement, ratings, n_boot=101, seed=4, confidence=confidence)
        got = counts_ci("percent_agreement", counts, n_boot=101, seed=4, confidence=confidence, chunk=7)
        assert got == pytest.approx(want, abs=1e-12)


def test_counts_ci_rejects_a_statistic_it_cannot_vectorise() -> None:
    with pytest.raises(ValueError, match="statistic='icc'.*gwet_ac1") as raised:
        counts_ci("icc", np.ones((3, 3)))  # type: ignore[arg-type]
    assert not isinstance(raised.value, AgreementError)
