"""Do the agreement statistics (``arms_training.agreement``: kappa, alpha, icc, raw and
``bootstrap_ci``) reproduce the values published in the literature?

Published sources used (data transcribed below, value and tolerance at each test):

* Shrout & Fleiss (1979), Psychol. Bull. 86: Table 2 data (6 targets x 4 judges), Table 3
  mean squares, Table 4 ICCs.
* Fleiss (1971), Psychol. Bull. 76: Table 1 data (30 patients x 6 psychiatrists, 5
  diagnoses), kappa = .430. The same data ship as ``diagnoses`` in R ``irr``; the first 15
  patients are ``distrib.6raters`` in Gwet's R package ``irrCAC`` (README and weighting
  vignette give Fleiss' kappa, AC1 and quadratic AC2 for them).
* Wikipedia, "Fleiss' kappa", worked example (10 subjects x 14 raters), kappa = 0.210.
* Wikipedia, "Cohen's kappa", worked example (50 grant proposals), kappa = 0.4.
* SAS/STAT User's Guide, PROC FREQ "Agreement Study" (skin condition, 88 patients),
  simple kappa = 0.3449.
* Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability": 4 observers x 12 units
  with missing values; alpha nominal .743, ordinal .815, interval .849, ratio .797. Gwet
  (2014, Handbook, p. 120) reuses it as ``cac.raw4raters``; irrCAC's README and weighting
  vignette publish percent agreement 0.8181818, Fleiss' kappa 0.76117, AC1 0.77544 and
  quadratic AC2 0.914 for it.
* Gwet (2014) ``cont3x3abstractors`` (100 pregnancies, 2 abstractors), irrCAC README and
  weighting vignette: Cohen's kappa 0.7964094 (quadratic 0.8921569), AC1 0.8493305
  (quadratic AC2 0.9402369).

Each value was also recomputed independently (explicit pair loops, scikit-learn and
statsmodels in a scratch environment) before being asserted here.
"""

from __future__ import annotations

import numpy as np
import pytest

from arms_training.agreement import (
    AgreementError,
    bootstrap_ci,
    cohen_kappa,
    fleiss_kappa,
    gwet_ac,
    icc,
    krippendorff_alpha,
    percent_agreement,
    within_one,
)
from arms_training.agreement.icc import _mean_squares

nan = np.nan


def expand_table(table: list[list[int]]) -> tuple[np.ndarray, np.ndarray]:
    """Two raters' ratings (row index, column index) from a contingency table of counts."""
    a: list[float] = []
    b: list[float] = []
    for i, row in enumerate(table):
        for j, count in enumerate(row):
            a += [float(i)] * count
            b += [float(j)] * count
    return np.array(a), np.array(b)


def expand_counts(counts: list[list[int]]) -> np.ndarray:
    """Raw (subjects, raters) ratings 1..q from a subjects x categories table of counts."""
    return np.array([[float(k + 1) for k, n in enumerate(row) for _ in range(n)] for row in counts])


# Shrout & Fleiss (1979), Table 2: 6 targets rated by 4 judges.
SHROUT_FLEISS = np.array(
    [[9, 2, 5, 8], [6, 1, 3, 2], [8, 4, 6, 8], [7, 1, 2, 6], [10, 5, 6, 9], [6, 2, 4, 7]],
    dtype=float,
)

# Fleiss (1971), Table 1: 1 depression, 2 personality disorder, 3 schizophrenia,
# 4 neurosis, 5 other; one row per patient, six psychiatrists.
FLEISS_1971 = np.array(
    [
        [int(v) for v in row]
        for row in (
            "444444 222555 233335 555555 222444 113333 333355 113334 114444 555555 "
            "144444 124444 222333 144444 224445 333335 111455 111112 224444 133555 "
            "555555 244444 224555 114444 144445 222224 111155 224444 133333 555555"
        ).split()
    ],
    dtype=float,
)

# Krippendorff (2011): rows are units 1-12, columns observers A-D.
KRIPPENDORFF_2011 = np.array(
    [
        [1, 2, 3, 3, 2, 1, 4, 1, 2, nan, nan, nan],
        [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, nan, 3],
        [nan, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, nan],
        [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, nan],
    ]
).T

# Gwet (2014) cont3x3abstractors: rows abstractor 1, columns abstractor 2
# (ectopic, abnormal intrauterine, normal intrauterine pregnancy).
ABSTRACTORS = [[13, 0, 0], [0, 20, 7], [0, 4, 56]]


# --------------------------------------------------------------------------------- ICC


@pytest.mark.parametrize(
    ("form", "published"),
    [("1,1", 0.17), ("2,1", 0.29), ("3,1", 0.71), ("1,k", 0.44), ("2,k", 0.62), ("3,k", 0.91)],
)
def test_icc_matches_shrout_fleiss_table_4(form: str, published: float) -> None:
    assert icc(SHROUT_FLEISS, form=form) == pytest.approx(published, abs=0.005)


def test_mean_squares_match_shrout_fleiss_table_3() -> None:
    ms = _mean_squares(SHROUT_FLEISS)
    assert ms.bms == pytest.approx(11.24, abs=0.005)
    assert ms.wms == pytest.approx(6.26, abs=0.005)
    assert ms.jms == pytest.approx(32.49, abs=0.005)
    assert ms.ems == pytest.approx(1.02, abs=0.005)


def test_icc_drops_units_with_a_missing_rating() -> None:
    with_gap = np.vstack([SHROUT_FLEISS, [5, nan, 3, 4]])
    assert icc(with_gap, form="3,1") == icc(SHROUT_FLEISS, form="3,1")


def test_icc_degenerate_inputs_raise_agreement_error() -> None:
    with pytest.raises(AgreementError, match="fewer than 2 units rated by every rater"):
        icc([[1, 2], [3, nan], [nan, 4]])
    with pytest.raises(AgreementError, match="fewer than 2 raters"):
        icc([[1], [2], [3]])
    with pytest.raises(AgreementError, match="all ratings are identical"):
        icc([[2, 2], [2, 2], [2, 2]])
    # Equal target means: BMS = 0, so the average-measure forms divide by zero.
    with pytest.raises(AgreementError, match=r"ICC\(1,k\) is undefined"):
        icc([[1, 2], [2, 1]], form="1,k")


# ------------------------------------------------------------------------ Fleiss' kappa


def test_fleiss_kappa_matches_fleiss_1971() -> None:
    assert fleiss_kappa(FLEISS_1971) == pytest.approx(0.430, abs=0.0005)


def test_fleiss_kappa_matches_irrcac_on_first_15_fleiss_patients() -> None:
    assert fleiss_kappa(FLEISS_1971[:15]) == pytest.approx(0.4139265, abs=5e-8)


def test_fleiss_kappa_matches_wikipedia_worked_example() -> None:
    counts = [
        [0, 0, 0, 0, 14],
        [0, 2, 6, 4, 2],
        [0, 0, 3, 5, 6],
        [0, 3, 9, 2, 0],
        [2, 2, 8, 1, 1],
        [7, 7, 0, 0, 0],
        [3, 2, 6, 3, 0],
        [2, 5, 3, 2, 2],
        [6, 5, 2, 1, 0],
        [0, 2, 2, 3, 7],
    ]
    assert fleiss_kappa(expand_counts(counts)) == pytest.approx(0.210, abs=0.0005)


def test_fleiss_kappa_with_missing_ratings_uses_gwet_generalisation() -> None:
    # irrCAC fleiss.kappa.raw(cac.raw4raters): pa 0.8181818, pe 0.2387153, kappa 0.76117.
    assert fleiss_kappa(KRIPPENDORFF_2011) == pytest.approx(0.76117, abs=5e-6)


def test_fleiss_kappa_complete_data_is_classic_fleiss() -> None:
    rng = np.random.default_rng(7)
    ratings = rng.integers(0, 3, size=(25, 5)).astype(float)
    counts = np.stack([(ratings == k).sum(axis=1) for k in range(3)], axis=1)
    n = ratings.shape[1]
    p_bar = ((counts * (counts - 1)).sum(axis=1) / (n * (n - 1))).mean()
    p_e = ((counts.sum(axis=0) / counts.sum()) ** 2).sum()
    assert fleiss_kappa(ratings) == pytest.approx((p_bar - p_e) / (1 - p_e), abs=1e-14)


def test_fleiss_kappa_degenerate_inputs_raise_agreement_error() -> None:
    with pytest.raises(AgreementError, match="fewer than 2 raters"):
        fleiss_kappa([[1.0], [2.0]])
    with pytest.raises(AgreementError, match="no unit has two ratings"):
        fleiss_kappa([[1, nan], [nan, 2]])
    with pytest.raises(AgreementError, match="only one category observed"):
        fleiss_kappa([[1, 1], [1, 1], [1, nan]])


# ------------------------------------------------------------------------ Cohen's kappa


def test_cohen_kappa_matches_wikipedia_worked_example() -> None:
    # Rows: reader A yes/no; columns: reader B yes/no.
    a, b = expand_table([[20, 5], [10, 15]])
    assert cohen_kappa(a, b) == pytest.approx(0.4, abs=1e-12)


def test_cohen_kappa_matches_sas_skin_condition_example() -> None:
    a, b = expand_table([[10, 4, 1, 0], [5, 10, 12, 2], [2, 4, 12, 5], [0, 2, 6, 13]])
    assert cohen_kappa(a, b) == pytest.approx(0.3449, abs=5e-5)


def test_cohen_kappa_matches_gwet_abstractors_table() -> None:
    a, b = expand_table(ABSTRACTORS)
    assert cohen_kappa(a, b) == pytest.approx(0.7964094, abs=5e-8)
    assert cohen_kappa(a, b, weights="quadratic") == pytest.approx(0.8921569, abs=5e-8)


def test_quadratic_weighted_kappa_is_a_concordance_correlation() -> None:
    # 1 - kappa_w = E(X-Y)^2 / E_indep(X-Y)^2, hence kappa_w = 2 s_xy / (s_x^2 + s_y^2 +
    # (mean_x - mean_y)^2) with 1/n moments, when positions equal the scores.
    rng = np.random.default_rng(3)
    a = rng.integers(0, 4, 60).astype(float)
    b = np.clip(a + rng.integers(-1, 2, 60), 0, 3)
    cov = ((a - a.mean()) * (b - b.mean())).mean()
    expected = 2 * cov / (a.var() + b.var() + (a.mean() - b.mean()) ** 2)
    got = cohen_kappa(a, b, weights="quadratic", categories=[0, 1, 2, 3])
    assert got == pytest.approx(expected, abs=1e-12)


def test_linear_weighted_kappa_compares_mean_absolute_differences() -> None:
    # 1 - kappa_w = E|X-Y| over rated pairs / E|X-Y| over all cross pairs.
    rng = np.random.default_rng(4)
    a = rng.integers(0, 3, 40).astype(float)
    b = np.clip(a + rng.integers(-1, 2, 40), 0, 2)
    expected = 1 - np.abs(a - b).mean() / np.abs(a[:, None] - b[None, :]).mean()
    got = cohen_kappa(a, b, weights="linear", categories=[0, 1, 2])
    assert got == pytest.approx(expected, abs=1e-12)


def test_cohen_kappa_weight_positions_follow_observed_levels_or_categories() -> None:
    a = np.array([0, 1, 3, 3, 1, 0, 3, 1])
    b = np.array([1, 1, 3, 1, 0, 0, 3, 3])
    # Observed levels {0, 1, 3} sit at positions 0, 1, 2 (irr / scikit-learn convention),
    # so the result is the same as for values {0, 1, 2}.
    squeezed = np.where(a == 3, 2, a), np.where(b == 3, 2, b)
    assert cohen_kappa(a, b, weights="linear") == pytest.approx(
        cohen_kappa(*squeezed, weights="linear"), abs=1e-15
    )
    # By hand (pairs 0-1, 1-1, 3-3, 3-1, 1-0, 0-0, 3-3, 1-3; both marginals 0:2, 1:3, 3:3 of 8):
    # positions 0,1,2: p_o = 1 - (4/2)/8 = 3/4, p_e = 1 - (54/64)/2 = 37/64, kappa = 11/27;
    # declared 0..3 puts 3 at position 3: p_o = 1 - (6/3)/8 = 3/4, p_e = 1 - (84/64)/3 = 9/16,
    # kappa = 3/7. Only an unused category *between* used ones matters: linear and
    # quadratic weights are otherwise just rescaled by q - 1, which cancels.
    assert cohen_kappa(a, b, weights="linear") == pytest.approx(11 / 27, abs=1e-12)
    declared = cohen_kappa(a, b, weights="linear", categories=[0, 1, 2, 3])
    assert declared == pytest.approx(3 / 7, abs=1e-12)


def test_cohen_kappa_drops_units_with_a_missing_rating() -> None:
    a, b = expand_table(ABSTRACTORS)
    a_gappy = np.concatenate([a, [nan, 2.0, nan]])
    b_gappy = np.concatenate([b, [0.0, nan, nan]])
    assert cohen_kappa(a_gappy, b_gappy) == pytest.approx(cohen_kappa(a, b), abs=1e-15)


def test_cohen_kappa_degenerate_inputs_raise_agreement_error() -> None:
    with pytest.raises(AgreementError, match="only one category observed"):
        cohen_kappa([1, 1, 1], [1, 1, 1])
    with pytest.raises(AgreementError, match="p_e = 1"):
        cohen_kappa([1, 1, 1], [1, 1, 1], weights="linear", categories=[0, 1, 2])
    with pytest.raises(AgreementError, match="no unit was rated by both raters"):
        cohen_kappa([1, nan], [nan, 2])


def test_cohen_kappa_one_constant_rater_gives_zero_not_an_error() -> None:
    assert cohen_kappa([0, 0, 0, 0], [0, 1, 0, 1]) == 0.0


# ------------------------------------------------------------------ Krippendorff's alpha


@pytest.mark.parametrize(
    ("level", "published"),
    [("nominal", 0.743), ("ordinal", 0.815), ("interval", 0.849), ("ratio", 0.797)],
)
def test_krippendorff_alpha_matches_krippendorff_2011(level: str, published: float) -> None:
    assert krippendorff_alpha(KRIPPENDORFF_2011, level=level) == pytest.approx(published, abs=0.0005)


def test_krippendorff_alpha_default_level_is_nominal() -> None:
    assert krippendorff_alpha(KRIPPENDORFF_2011) == krippendorff_alpha(KRIPPENDORFF_2011, level="nominal")


def test_krippendorff_alpha_declared_categories_validate_without_changing_alpha() -> None:
    full = krippendorff_alpha(KRIPPENDORFF_2011, level="ordinal", categories=range(0, 7))
    assert full == pytest.approx(krippendorff_alpha(KRIPPENDORFF_2011, level="ordinal"))
    with pytest.raises(ValueError, match=r"values \[5.0\] that are not in categories"):
        krippendorff_alpha(KRIPPENDORFF_2011, categories=[1, 2, 3, 4])


def test_krippendorff_alpha_agrees_with_package_on_raters_by_units_layout() -> None:
    import krippendorff

    rng = np.random.default_rng(11)
    ratings = rng.integers(0, 3, size=(40, 6)).astype(float)
    ratings[rng.random(ratings.shape) < 0.3] = nan
    for level in ("nominal", "ordinal", "interval"):
        expected = krippendorff.alpha(reliability_data=ratings.T, level_of_measurement=level)
        assert krippendorff_alpha(ratings, level=level) == pytest.approx(expected, abs=1e-12)


def test_krippendorff_alpha_degenerate_inputs_raise_agreement_error() -> None:
    with pytest.raises(AgreementError, match="no unit has two ratings"):
        krippendorff_alpha([[1, nan], [nan, 2], [3, nan]])
    # Unit 2's lone 2 is not pairable: only the value 1 enters the coincidence matrix.
    with pytest.raises(AgreementError, match="only one value among pairable ratings"):
        krippendorff_alpha([[1, 1], [2, nan]])
    with pytest.raises(ValueError, match="non-negative"):
        krippendorff_alpha([[-1, 1], [2, 2]], level="ratio")


# --------------------------------------------------------------------------- Gwet's AC


def test_gwet_ac1_matches_irrcac_on_krippendorff_data_with_missing() -> None:
    # irrCAC gwet.ac1.raw(cac.raw4raters): pa 0.8181818, pe 0.1903212, AC1 0.77544.
    assert gwet_ac(KRIPPENDORFF_2011) == pytest.approx(0.77544, abs=5e-6)


def test_gwet_ac2_quadratic_matches_irrcac_weighting_vignette() -> None:
    # irrCAC gwet.ac1.raw(cac.raw4raters, weights="quadratic"): pa 0.9753788,
    # pe 0.7137044, AC2 0.914.
    assert gwet_ac(KRIPPENDORFF_2011, weights="quadratic") == pytest.approx(0.914, abs=5e-4)
    # gwet.ac1.dist(distrib.6raters, weights=quadratic.weights(1:5)): 0.4837438.
    assert gwet_ac(FLEISS_1971[:15], weights="quadratic") == pytest.approx(0.4837438, abs=5e-8)


def test_gwet_ac1_matches_irrcac_on_first_15_fleiss_patients() -> None:
    assert gwet_ac(FLEISS_1971[:15]) == pytest.approx(0.4448007, abs=5e-8)


def test_gwet_ac_two_raters_match_gwet_abstractors_table() -> None:
    a, b = expand_table(ABSTRACTORS)
    ratings = np.column_stack([a, b])
    assert gwet_ac(ratings) == pytest.approx(0.8493305, abs=5e-8)
    assert gwet_ac(ratings, weights="quadratic") == pytest.approx(0.9402369, abs=5e-8)


def test_gwet_ac1_two_raters_binary_is_gwet_2008_formula() -> None:
    # Gwet (2008): AC1 = (pa - pe) / (1 - pe), pe = 2 pi (1 - pi), pi = mean "yes" share.
    a, b = expand_table([[118, 5], [2, 0]])
    pa = (118 + 0) / 125
    pi = ((118 + 5) / 125 + (118 + 2) / 125) / 2
    pe = 2 * pi * (1 - pi)
    assert gwet_ac(np.column_stack([a, b])) == pytest.approx((pa - pe) / (1 - pe), abs=1e-14)


def test_gwet_ac_needs_the_number_of_categories() -> None:
    unanimous = [[1, 1, 1], [1, 1, nan], [1, 1, 1]]
    with pytest.raises(AgreementError, match="pass categories="):
        gwet_ac(unanimous)
    # With the scale declared, unanimity is perfect agreement (pe = 0 here).
    assert gwet_ac(unanimous, categories=(0, 1, 2)) == 1.0


def test_gwet_ac_unused_categories_change_ac1() -> None:
    ratings = [[0, 0], [0, 1], [1, 1], [0, 0]]
    assert gwet_ac(ratings) != pytest.approx(gwet_ac(ratings, categories=(0, 1, 2)))


def test_gwet_ac_degenerate_inputs_raise_agreement_error() -> None:
    with pytest.raises(AgreementError, match="fewer than 2 raters"):
        gwet_ac([[0], [1]])
    with pytest.raises(AgreementError, match="no unit has two ratings"):
        gwet_ac([[0, nan], [nan, nan]], categories=(0, 1, 2))


# --------------------------------------------------------------- raw agreement shares


def test_percent_agreement_matches_irrcac_on_krippendorff_data() -> None:
    # irrCAC pa.coeff.raw(cac.raw4raters): 0.8181818 = 9/11 pairable units averaged.
    assert percent_agreement(KRIPPENDORFF_2011) == pytest.approx(9 / 11, abs=1e-15)


def test_percent_agreement_averages_per_unit_not_per_pair() -> None:
    # Unit 1: 3 of 6 pairs agree; unit 2: 0 of 1. Per unit: (0.5 + 0) / 2; pooled would be 3/7.
    assert percent_agreement([[0, 0, 0, 1], [0, 1, nan, nan]]) == pytest.approx(0.25)


def test_within_one_counts_pairs_at_most_one_step_apart() -> None:
    ratings = [[0, 1, 2], [0, 0, 1], [2, 2, nan], [0, nan, nan]]
    # Unit 1: (0,1) (1,2) close, (0,2) not -> 2/3; units 2 and 3 -> 1; unit 4 not pairable.
    assert within_one(ratings) == pytest.approx((2 / 3 + 1 + 1) / 3)
    assert percent_agreement(ratings) == pytest.approx((0 + 1 / 3 + 1) / 3)


def test_raw_agreement_degenerate_inputs_raise_agreement_error() -> None:
    with pytest.raises(AgreementError, match="no unit has two ratings"):
        percent_agreement([[nan, nan], [1, nan]])
    with pytest.raises(AgreementError, match="fewer than 2 raters"):
        within_one([[1], [2]])


# ------------------------------------------------------------------- common behaviour


@pytest.mark.parametrize(
    "compute",
    [
        lambda r: cohen_kappa(r[:, 0], r[:, 1]),
        fleiss_kappa,
        krippendorff_alpha,
        icc,
        gwet_ac,
        percent_agreement,
        within_one,
    ],
)
def test_every_statistic_returns_a_python_float(compute) -> None:
    assert type(compute(SHROUT_FLEISS)) is float


def test_ratings_accept_lists_with_none_as_missing() -> None:
    as_list = [[None if np.isnan(v) else v for v in row] for row in KRIPPENDORFF_2011]
    assert fleiss_kappa(as_list) == fleiss_kappa(KRIPPENDORFF_2011)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: cohen_kappa([0, 1], [1, 0], weights="cubic"), "weights='cubic'"),
        (lambda: gwet_ac([[0, 1]], weights="Linear"), "weights='Linear'"),
        (lambda: krippendorff_alpha([[0, 1]], level="ordered"), "level='ordered'"),
        (lambda: icc([[0, 1]], form="4,1"), "form='4,1'"),
        (lambda: icc([[0, 1]], form=None), "form=None"),
        (lambda: fleiss_kappa([[0, 1]], categories=[2, 1, 0]), "strictly increasing"),
        (lambda: fleiss_kappa([[0, 1]], categories="abc"), "categories='abc'"),
        (lambda: cohen_kappa([0, 3], [1, 0], categories=[0, 1, 2]), r"values \[3.0\]"),
        (lambda: cohen_kappa([0, 1, 1], [1, 0]), "differ in length"),
        (lambda: fleiss_kappa([0, 1, 1]), r"shape \(units, raters\)"),
        (lambda: fleiss_kappa([[0, np.inf]]), "infinite"),
        (lambda: fleiss_kappa([["a", "b"]]), "numeric"),
    ],
)
def test_bad_options_raise_value_error_naming_them(call, message: str) -> None:
    with pytest.raises(ValueError, match=message) as raised:
        call()
    assert not isinstance(raised.value, AgreementError)


# ------------------------------------------------------------------------- bootstrap


def test_bootstrap_ci_contains_estimate_and_is_reproducible() -> None:
    low, high = bootstrap_ci(fleiss_kappa, FLEISS_1971, n_boot=300, seed=1)
    assert low < fleiss_kappa(FLEISS_1971) < high
    assert bootstrap_ci(fleiss_kappa, FLEISS_1971, n_boot=300, seed=1) == (low, high)
    assert bootstrap_ci(fleiss_kappa, FLEISS_1971, n_boot=300, seed=2) != (low, high)


def test_bootstrap_ci_passes_options_and_splits_columns_for_cohen_kappa() -> None:
    low, high = bootstrap_ci(krippendorff_alpha, KRIPPENDORFF_2011, n_boot=200, level="ordinal", seed=0)
    assert low <= krippendorff_alpha(KRIPPENDORFF_2011, level="ordinal") <= high
    a, b = expand_table(ABSTRACTORS)
    low, high = bootstrap_ci(cohen_kappa, np.column_stack([a, b]), n_boot=200, weights="linear")
    assert low < cohen_kappa(a, b, weights="linear") < high
    with pytest.raises(ValueError, match="2 columns"):
        bootstrap_ci(cohen_kappa, SHROUT_FLEISS, n_boot=10)


def test_bootstrap_ci_skips_degenerate_replicates_up_to_half() -> None:
    calls = {"n": 0}

    def every_other(ratings: np.ndarray) -> float:
        calls["n"] += 1
        if calls["n"] % 2:
            raise AgreementError("degenerate on purpose")
        return float(calls["n"])

    low, high = bootstrap_ci(every_other, SHROUT_FLEISS, n_boot=10)  # exactly half fail
    assert 2.0 <= low <= high <= 10.0

    def mostly_failing(ratings: np.ndarray) -> float:
        calls["n"] += 1
        if calls["n"] % 3:
            raise AgreementError("degenerate on purpose")
        return 0.5

    with pytest.raises(AgreementError, match=r"of 9 bootstrap replicates.*on purpose"):
        bootstrap_ci(mostly_failing, SHROUT_FLEISS, n_boot=9)


def test_bootstrap_ci_raises_when_the_statistic_never_exists() -> None:
    with pytest.raises(AgreementError, match="50 of 50 bootstrap replicates"):
        bootstrap_ci(gwet_ac, [[1, 1], [1, 1], [1, 1]], n_boot=50)


def test_bootstrap_krippendorff_brackets_the_estimate_on_a_full_cohort() -> None:
    # 500 vignettes x 30 trainees, 10% missing (timing lives in benchmarks/, not here).
    rng = np.random.default_rng(0)
    truth = rng.integers(0, 3, size=(500, 1))
    ratings = np.clip(truth + rng.integers(-1, 2, size=(500, 30)), 0, 2).astype(float)
    ratings[rng.random(ratings.shape) < 0.1] = nan
    low, high = bootstrap_ci(krippendorff_alpha, ratings, n_boot=200, level="ordinal")
    assert low < krippendorff_alpha(ratings, level="ordinal") < high


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"n_boot": 0}, "n_boot=0"),
        ({"n_boot": 10.5}, "n_boot=10.5"),
        ({"confidence": 1.0}, "confidence=1.0"),
        ({"confidence": 95}, "confidence=95"),
        ({"seed": -1}, "seed=-1"),
        ({"level": "bogus"}, "level='bogus'"),  # forwarded, fails on the first replicate
    ],
)
def test_bootstrap_ci_bad_options_raise_value_error(options: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message) as raised:
        bootstrap_ci(krippendorff_alpha, KRIPPENDORFF_2011, **options)
    assert not isinstance(raised.value, AgreementError)
