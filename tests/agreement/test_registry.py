"""Does every statistic of the reliability table carry its published reading (or say why it has
none), read values at the band edges as the sources print them, and reach the tables, the
dashboard's band columns and the figure from its one record?

Published cut-offs: Landis & Koch (1977), Biometrics 33, p. 165 (kappa-type statistics: 0, .20,
.40, .60, .80); Krippendorff (2004), Content Analysis, 2nd ed., p. 241 (alpha: .667 and .800);
Koo & Li (2016), J. Chiropr. Med. 15, 155-163 (ICC: .50, .75, .90).
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest

from arms_training.agreement import bootstrap_ci, gwet_ac, within_one
from arms_training.agreement.alpha import ALPHA_LEVELS
from arms_training.agreement.registry import (
    KOO_LI,
    KRIPPENDORFF,
    LANDIS_KOCH,
    REGISTRY,
    Band,
    Bands,
    Options,
    Statistic,
    band_note,
    band_notes,
    interpret,
    interpret_interval,
    register,
    statistic,
    statistic_for_label,
    unregister,
)
from arms_training.calibration.dashboard import Dashboard, DashboardState
from arms_training.calibration.demo_data import generate
from arms_training.calibration.reliability import rater_matrix
from arms_training.calibration.result import CalibrationSettings, responses_frame, score_frames, tables
from arms_training.calibration.scored import scored_frame
from arms_training.content import load_library
from arms_training.framework import framework_by_id
from arms_training.plots.calibration import reliability_figure

LIB = load_library()
FW = framework_by_id("arms-2018")
FAST = CalibrationSettings(n_boot=60)
TABLE_IDS = ["krippendorff_alpha", "fleiss_kappa", "percent_agreement", "gwet_ac1", "icc_2_1"]


def _never(sample, options) -> float:
    raise AssertionError("not computed in this test")


# ------------------------------------------------------------------------------- records


def test_every_record_has_bands_or_a_reason_for_having_none() -> None:
    assert list(REGISTRY) == [*TABLE_IDS, "cohen_kappa_vs_key"]
    for record in REGISTRY.values():
        assert (record.bands is None) != (record.no_band is None), record.id
        assert record.band_note, record.id
    assert statistic("percent_agreement").band_note == "no accepted band (not corrected for chance)"


@pytest.mark.parametrize(
    "reading",
    [{}, {"bands": LANDIS_KOCH, "no_band": "not corrected for chance"}, {"no_band": ""}],
    ids=["neither", "both", "empty reason"],
)
def test_a_record_without_exactly_one_reading_raises_when_built(reading: dict) -> None:
    with pytest.raises(ValueError, match="either bands or a no_band reason"):
        Statistic(id="spearman", label="spearman", family="raw", point=_never, interval=None, **reading)
    assert "spearman" not in REGISTRY


def test_register_refuses_a_taken_id_or_label() -> None:
    kwargs = dict(family="kappa", point=_never, interval=None, bands=LANDIS_KOCH)
    with pytest.raises(ValueError, match="already registered"):
        register(Statistic(id="fleiss_kappa", label="fleiss_kappa (again)", **kwargs))
    with pytest.raises(ValueError, match="'gwet_ac1' is already used"):
        register(Statistic(id="ac1_again", label="gwet_ac1", **kwargs))
    # Alpha's label takes every level, so each of them is taken.
    with pytest.raises(ValueError, match=r"'krippendorff_alpha \(ratio\)' is already used"):
        register(Statistic(id="alpha_ratio", label="krippendorff_alpha (ratio)", **kwargs))
    with pytest.raises(ValueError, match="no placeholder but"):
        Statistic(id="x", label="x ({weights})", **kwargs)
    assert list(REGISTRY) == [*TABLE_IDS, "cohen_kappa_vs_key"]


@pytest.mark.parametrize(
    ("edges", "message"),
    [
        ((), "no band"),
        ((Band(0.5, "low"),), "end at 1"),
        ((Band(0.5, "low"), Band(1.0, "high", closed=False)), "end at 1"),
        ((Band(0.5, "low"), Band(0.4, "mid"), Band(1.0, "high")), "increase"),
        ((Band(0.5, "low"), Band(1.0, "low")), "unique"),
    ],
)
def test_bands_must_be_increasing_and_cover_every_value_up_to_one(edges, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Bands(edges, note="a note", source="a source")


@pytest.mark.parametrize(
    ("bands", "uppers"),
    [
        (LANDIS_KOCH, [0.0, 0.20, 0.40, 0.60, 0.80, 1.0]),
        (KRIPPENDORFF, [0.667, 0.800, 1.0]),
        (KOO_LI, [0.50, 0.75, 0.90, 1.0]),
    ],
)
def test_band_edges_and_wording_are_the_published_ones(bands: Bands, uppers: list[float]) -> None:
    assert [b.upper for b in bands.edges] == uppers
    for band in bands.edges:
        assert band.word in bands.note
    author = bands.note.split(" (")[0].split(" & ")[0]
    assert bands.source.startswith(author)
    assert bands.spans() == list(zip([-1.0, *uppers[:-1]], uppers, strict=True))


# ------------------------------------------------------------------------- band edges


@pytest.mark.parametrize(
    ("value", "band"),
    [
        (-0.01, "poor"),
        (0.0, "slight"),
        (0.20, "slight"),
        (0.21, "fair"),
        (0.40, "fair"),
        (0.41, "moderate"),
        (0.1 + 0.2 + 0.3, "moderate"),  # 0.6000000000000001 is still the .60 boundary
        (0.61, "substantial"),
        (0.80, "substantial"),
        (0.81, "almost perfect"),
        (1.0, "almost perfect"),
    ],
)
def test_interpret_landis_koch_bands(value: float, band: str) -> None:
    kappa_type = [r.id for r in REGISTRY.values() if r.bands is LANDIS_KOCH]
    assert kappa_type == ["fleiss_kappa", "gwet_ac1", "cohen_kappa_vs_key"]
    for id in kappa_type:
        assert interpret(id, value) == band


@pytest.mark.parametrize(
    ("value", "band"),
    [
        (0.49, "poor"),
        (0.4999999999, "moderate"),  # within the edge slack of .50
        (0.50, "moderate"),
        (0.74, "moderate"),
        (0.75, "good"),
        (0.90, "good"),
        (0.91, "excellent"),
    ],
)
def test_interpret_koo_li_bands_for_icc(value: float, band: str) -> None:
    assert interpret("icc_2_1", value) == band


@pytest.mark.parametrize(
    ("value", "band"),
    [
        (0.800, "reliable"),
        (0.7999, "tentative"),
        (0.667, "tentative"),
        (0.6669, "unreliable"),
        (-0.2, "unreliable"),
    ],
)
def test_interpret_krippendorff_bands(value: float, band: str) -> None:
    assert interpret("krippendorff_alpha", value) == band


def test_interpret_has_no_band_for_raw_agreement_and_rejects_unknowns() -> None:
    assert interpret("percent_agreement", 0.9) == ""
    with pytest.raises(ValueError, match="statistic='spearman' is not registered"):
        interpret("spearman", 0.5)
    with pytest.raises(ValueError, match="value=1.5"):
        interpret("fleiss_kappa", 1.5)
    with pytest.raises(ValueError, match="value=nan"):
        interpret("icc_2_1", float("nan"))


@pytest.mark.parametrize(
    ("id", "low", "high", "reading"),
    [
        ("fleiss_kappa", 0.35, 0.65, "fair to substantial"),
        ("fleiss_kappa", 0.45, 0.55, "moderate"),
        ("icc_2_1", 0.72, 1.0000001, "moderate to excellent"),  # a bootstrap end just above 1
        ("krippendorff_alpha", float("nan"), 0.9, ""),
        ("percent_agreement", 0.2, 0.9, ""),
    ],
)
def test_interpret_interval_reads_both_ends(id: str, low: float, high: float, reading: str) -> None:
    assert interpret_interval(id, low, high) == reading


def test_every_table_label_maps_to_its_record_exactly() -> None:
    for record in REGISTRY.values():
        for level in ALPHA_LEVELS:
            assert statistic_for_label(record.label_for(Options(level=level))) is record
    for near_miss in ("krippendorff_alpha", "ICC(2,1)", "cohen_kappa_vs_key", "icc"):
        with pytest.raises(ValueError, match="no registered statistic"):
            statistic_for_label(near_miss)
    assert band_notes(["gwet_ac1", "icc(2,1)", "fleiss_kappa"]) == [
        band_note("gwet_ac1"),
        band_note("icc_2_1"),
    ]


# --------------------------------------------------------------- the tables read the records


@pytest.fixture(scope="module")
def demo():
    responses, _ = generate(12, 4, seed=1, library=LIB)
    return responses


def test_reliability_table_has_one_row_per_record_and_scope_in_registry_order(demo) -> None:
    rel = tables(demo, LIB, settings=FAST).reliability
    cohort = rel[rel["scope"] == "cohort"]
    assert [statistic_for_label(s).id for s in cohort["statistic"]] == list(REGISTRY)
    for scope, rows in rel[rel["scope"] != "cohort"].groupby("scope"):
        assert [statistic_for_label(s).id for s in rows["statistic"]] == TABLE_IDS, scope
    for _, row in rel.dropna(subset=["value"]).iterrows():
        assert row["interpretation"] == statistic_for_label(row["statistic"]).interpret(row["value"])


@pytest.fixture
def two_more() -> Iterator[tuple[Statistic, Statistic]]:
    """Two statistics the package does not tabulate, registered for one test."""
    within = register(
        Statistic(
            id="within_one",
            label="within_one",
            family="raw",
            point=lambda s, o: within_one(s.ratings),
            interval=lambda s, o: bootstrap_ci(within_one, s.ratings, **o.boot),
            no_band="not corrected for chance; one scale step apart counts as agreeing",
        )
    )
    ac2 = register(
        Statistic(
            id="gwet_ac2",
            label="gwet_ac2 (quadratic)",
            family="kappa",
            point=lambda s, o: gwet_ac(s.ratings, weights="quadratic", categories=s.levels),
            interval=None,
            bands=LANDIS_KOCH,
        )
    )
    yield within, ac2
    unregister("within_one")
    unregister("gwet_ac2")


def test_a_registered_statistic_reaches_the_tables_dashboard_and_figure(demo, two_more) -> None:
    result = tables(demo, LIB, settings=FAST)
    rel = result.reliability.set_index(["statistic", "scope"])
    frames = responses_frame(demo)
    scored = scored_frame(frames, score_frames(frames, LIB.keys, vignettes=LIB.vignettes))
    vids = sorted(scored["vignette_id"].unique())
    matrix, _, _ = rater_matrix(scored, frames, FW, vids)
    levels = np.asarray(FW.scale_values, dtype=float)

    within = rel.loc[("within_one", "cohort")]
    assert within["value"] == pytest.approx(within_one(matrix))
    assert within["ci_low"] <= within["value"] <= within["ci_high"]
    assert within["interpretation"] == ""
    ac2 = rel.loc[("gwet_ac2 (quadratic)", "cohort")]
    assert ac2["value"] == pytest.approx(gwet_ac(matrix, weights="quadratic", categories=levels))
    assert ac2["interpretation"] == interpret("gwet_ac2", ac2["value"]) != ""
    assert np.isnan(ac2["ci_low"]) and ac2["note"] == ""  # no interval function: no CI, no excuse
    # In every scope, after the built-in statistics among assessors.
    for scope in {"cohort", *vids}:
        labels = list(result.reliability.loc[result.reliability["scope"] == scope, "statistic"])
        assert labels.index("within_one") == labels.index("icc(2,1)") + 1, scope
        assert labels.index("gwet_ac2 (quadratic)") == labels.index("within_one") + 1, scope

    d = Dashboard(LIB, state=DashboardState(settings=FAST))
    d.import_responses(demo)
    full = d.view("reliability")
    for _, row in full.iterrows():
        record = statistic_for_label(row["statistic"])
        assert row["ci_interpretation"] == record.interpret_interval(row["ci_low"], row["ci_high"])
        assert row["bands"] == record.band_note
    assert (full["ci_interpretation"] != "").any()
    view = full.set_index(["statistic", "scope"])
    assert view.loc[("within_one", "cohort"), "bands"] == two_more[0].band_note
    assert view.loc[("within_one", "cohort"), "ci_interpretation"] == ""
    assert view.loc[("gwet_ac2 (quadratic)", "cohort"), "bands"] == LANDIS_KOCH.note
    assert two_more[0].band_note in band_notes(view.index.get_level_values("statistic"))
    figure = reliability_figure(full)
    assert "gwet_ac2 (quadratic)" in [t.get_text() for t in figure.axes[0].get_yticklabels()]
