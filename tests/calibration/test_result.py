"""Do the calibration tables score exactly as score() does, flag the right assessors, keep bad
records out (counted and listed) and export safely?"""

from __future__ import annotations

import csv
import json
import math
import random
import uuid

import numpy as np
import pandas as pd
import pytest

from arms_training import agreement
from arms_training.agreement.bootstrap import counts_ci
from arms_training.agreement.ratings import unit_counts
from arms_training.calibration.demo_data import generate
from arms_training.calibration.reliability import rater_matrix
from arms_training.calibration.result import (
    CalibrationSettings,
    Filters,
    load_responses,
    responses_frame,
    safe_cell,
    score_frames,
    tables,
)
from arms_training.calibration.scored import scored_frame
from arms_training.content import load_library
from arms_training.framework import INSUFFICIENT, framework_by_id
from arms_training.reports.calibration_bundle import write_tables
from arms_training.responses import Response
from arms_training.scoring.rules import ScoringError, score, score_response
from tests.factories import KEY, VIGNETTE, make_key, perfect

FW = framework_by_id("arms-2018")
LIB = load_library()


@pytest.fixture(scope="module")
def demo():
    responses, assessors = generate(40, 8, seed=0, library=LIB)
    return responses, assessors


# ------------------------------------------------------------------ vectorised == score()


def mutate(r: Response, rng: random.Random) -> Response:
    """A response bent in the ways real ones are: gaps, insufficient, odd plans, overrides."""
    d = r.to_json_dict()
    factors = list(FW.factor_ids)
    for f in rng.sample(factors, rng.randint(0, 3)):
        d["ratings"].pop(f, None)
    for f in rng.sample(factors, rng.randint(0, 2)):
        d["ratings"][f] = INSUFFICIENT
    if rng.random() < 0.2:
        d["priorities"] = []
    if rng.random() < 0.2:
        d["priorities"] = d["priorities"] + d["priorities"][:1] + [rng.choice(factors)]
    if rng.random() < 0.15:
        d["priority_level"] = None
    if d["mode"] == "full":
        if rng.random() < 0.15:
            d["risk_management_level"] = None
        if rng.random() < 0.3:
            d["risk_management_level"] = rng.choice(FW.level_ids)
            d["override_rationale"] = rng.choice([None, "", "   ", "new intelligence"])
        plan = d["plan"]
        if rng.random() < 0.2:
            plan.append({"intervention": "other", "label": "bespoke", "factors": []})
        if plan and rng.random() < 0.3:
            plan.append(dict(plan[0]))  # the same intervention twice
        if rng.random() < 0.3:
            plan.append({"intervention": rng.choice(FW.intervention_ids), "factors": []})
        for a in plan:
            if rng.random() < 0.2:
                a["factors"] = []
            if rng.random() < 0.2:
                a["owner"] = ""
        if rng.random() < 0.1:
            d["plan"] = []
        if rng.random() < 0.15:
            d["follow_up"] = None
        elif d.get("follow_up") and rng.random() < 0.3:
            d["follow_up"]["significant_change"] = None
            d["follow_up"]["ratings"].pop("opportunity", None)
    return Response.model_validate(d)


SCALAR = {
    "total": lambda d: d["total"],
    "exact_agreement": lambda d: d["exact_agreement"],
    "within_one": lambda d: d["within_one"],
    "bias_risk": lambda d: d["bias"]["risk"],
    "bias_protective": lambda d: d["bias"]["protective"],
    "bias_all": lambda d: d["bias"]["all"],
    "precision": lambda d: d["priorities"]["precision"],
    "recall": lambda d: d["priorities"]["recall"],
    "f1": lambda d: d["priorities"]["f1"],
    **{
        part: (lambda p: lambda d: d["parts"][p]["score"] if p in d["parts"] else None)(part)
        for part in ("ratings", "priorities", "level", "plan", "follow_up")
    },
    **{
        share: (lambda s: lambda d: d["plan"][s] if d["plan"] else None)(share)
        for share in ("essential_covered", "priorities_addressed", "actions_complete")
    },
}


def test_vectorised_scores_equal_score_bit_for_bit(demo):
    """On demo responses and deliberately awkward variants, does the batch path give exactly
    (==, not approximately) the numbers score() gives?"""
    rng = random.Random(11)
    sample = demo[0][:120] + [mutate(r, rng) for r in demo[0][120:320]]
    batch = score_frames(responses_frame(sample), LIB.keys, vignettes=LIB.vignettes)
    assert not batch.problems and batch.scores["ok"].all()
    mismatches = []
    for i, r in enumerate(sample):
        d = score(r, LIB.keys[r.vignette_id], FW, vignette=LIB.vignettes[r.vignette_id]).to_dict()
        for column, get in SCALAR.items():
            want, got = get(d), batch.scores.at[i, column]
            if not ((want is None and math.isnan(got)) or want == got):
                mismatches.append((i, column, want, got))
        credits = {f: x["credit"] for f, x in d["factors"].items()}
        assert credits == batch.credit.loc[i, list(credits)].to_dict()
    assert mismatches == []


def test_fixture_key_scores_equal_too():
    """The code-built key (panel split, insufficient consensus) through both paths."""
    responses = [
        perfect(KEY),
        perfect(KEY, ratings={**KEY.ratings, "intimate_relationships": 1, "social_influences": 2}),
        perfect(KEY, mode="quick", plan=[], follow_up=None),
    ]
    batch = score_frames(responses_frame(responses), {"t-score": KEY}, vignettes={"t-score": VIGNETTE})
    for i, r in enumerate(responses):
        assert batch.scores.at[i, "total"] == score(r, KEY, FW, vignette=VIGNETTE).total


# --------------------------------------------------------------------------------- flags


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_flags_exactly_the_assessors_with_a_bad_tendency(seed):
    """40 trainees x 8 responses: every over-rater, under-crediter and careless assessor is
    flagged, no accurate one is (police lean included), for several seeds."""
    responses, assessors = generate(40, 8, seed=seed, library=LIB)
    result = tables(responses, LIB)
    bad = {a.id for a in assessors if a.tendency != "accurate"}
    assert set(result.flagged["trainee_id"]) == bad
    tendency = {a.id: a.tendency for a in assessors}
    reasons = result.assessors.set_index("trainee_id")["flag_reasons"]
    for trainee in bad:
        expected_reason = {
            "over_rates_risk": "over-rates risk",
            "under_credits_protective": "under-credits protective",
            "careless": "exact agreement",
        }[tendency[trainee]]
        assert expected_reason in reasons[trainee]


def test_assessor_with_too_few_responses_is_listed_not_assessed(demo):
    responses = [r for r in demo[0] if r.trainee.id != "demo-0001"]
    responses += [r for r in demo[0] if r.trainee.id == "demo-0001"][:2]
    a = tables(responses, LIB).assessors.set_index("trainee_id").loc["demo-0001"]
    assert a["n"] == 2 and not a["flagged"] and "fewer than 5" in a["note"]


def test_trend_is_points_per_month():
    """Totals rising 10 points a month give a slope of 10."""
    base = perfect(KEY)
    responses = []
    for month, total_ratings in enumerate([0, 1, 2]):
        ratings = dict(KEY.ratings)
        for f in list(ratings)[: 4 - 2 * total_ratings]:
            ratings.pop(f)
        responses.append(
            base.model_copy(
                update={
                    "response_id": uuid.uuid4(),
                    "ratings": ratings,
                    "submitted_at": pd.Timestamp("2025-01-01", tz="UTC") + pd.Timedelta(days=30.4375 * month),
                }
            )
        )
    result = tables(
        responses,
        {"t-score": KEY},
        vignettes={"t-score": VIGNETTE},
        settings=CalibrationSettings(min_responses=1),
    )
    totals = result.scores["total"].to_numpy()
    slope = result.assessors["trend"].iat[0]
    assert slope == pytest.approx(np.polyfit([0, 1, 2], totals, 1)[0])
    assert slope > 0


# ------------------------------------------------------------------------------- bad records


def _write_jsonl(path, records):
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")


def test_bad_records_are_counted_listed_and_the_rest_scored(tmp_path, demo):
    good = [r.to_json_dict() for r in demo[0][:20]]
    bad = [dict(good[0], response_id=str(uuid.UUID(int=i + 1))) for i in range(6)]
    bad[0]["vignette_id"] = "v99-missing"
    bad[1]["framework"] = "arms-1999"
    bad[2]["ratings"] = {**bad[2]["ratings"], "opportunity": 5}
    bad[3]["ratings"] = {**bad[3]["ratings"], "made_up_factor": 1}
    bad[4]["key_version"] = 9
    bad[5]["vignette_version"] = 7
    path = tmp_path / "batch.jsonl"
    _write_jsonl(path, good + bad)
    with path.open("a", encoding="utf-8") as fh:
        fh.write("{not json\n")
        fh.write(json.dumps({**good[1], "mode": "sideways"}) + "\n")
    responses, load_problems = load_responses(path)
    result = tables(responses, LIB, bad=load_problems)
    assert result.n_scored == 20 and result.n_bad == 8 and result.n_records == 28
    text = "\n".join(str(p) for p in result.bad)
    for i, field in enumerate(
        [
            "vignette_id",
            "framework",
            "ratings.opportunity",
            "ratings.made_up_factor",
            "key_version",
            "vignette_version",
        ]
    ):
        assert f"response {uuid.UUID(int=i + 1)}: {field}" in text
    assert f"{path}:27: (file): malformed JSON" in text
    assert f"{path}:28 (response {good[1]['response_id']}): mode" in text
    assert "8 bad" in result.summary()


def test_batch_problems_are_worded_as_score_words_them(demo):
    r = demo[0][0].model_copy(update={"key_version": 4, "ratings": {**demo[0][0].ratings, "opportunity": 9}})
    with pytest.raises(ScoringError) as err:
        score_response(r, library=LIB)
    result = tables([r], LIB)
    assert [str(p) for p in result.bad] == [str(p) for p in err.value.problems]


def test_empty_input_gives_empty_tables():
    result = tables([], LIB)
    assert result.n_records == 0 and result.assessors.empty and result.reliability.empty


# ---------------------------------------------------------------------------------- filters


def test_filters(demo):
    responses = demo[0]
    frames = responses_frame(responses)
    meta = frames.responses
    cases = [
        (Filters(agency="police"), meta["agency"] == "police"),
        (Filters(area=["North", "East"]), meta["area"].isin(["North", "East"])),
        (Filters(vignette="v03-reactive-eligible"), meta["vignette_id"] == "v03-reactive-eligible"),
        (Filters(session=meta["session_code"].iat[0]), meta["session_code"] == meta["session_code"].iat[0]),
        (Filters(cohort=["demo-0001", "demo-0002"]), meta["trainee_id"].isin(["demo-0001", "demo-0002"])),
        (
            Filters(since="2025-03-01", until="2025-05-31"),
            (meta["when"] >= pd.Timestamp("2025-03-01", tz="UTC"))
            & (meta["when"] < pd.Timestamp("2025-06-01", tz="UTC")),
        ),
    ]
    for filters, expected in cases:
        result = tables(frames, LIB, filters=filters)
        assert result.n_scored == int(expected.sum()), filters
        assert result.n_filtered_out == len(responses) - int(expected.sum())
        assert set(result.scores["response_id"]) == set(meta.loc[expected, "response_id"])


# ------------------------------------------------------------------------------ reliability


def test_reliability_values_come_from_agreement(demo):
    result = tables(demo[0], LIB, settings=CalibrationSettings(n_boot=200))
    rel = result.reliability.set_index(["statistic", "scope"])
    frames = responses_frame(demo[0])
    batch = score_frames(frames, LIB.keys, vignettes=LIB.vignettes)
    scored = scored_frame(frames, batch)
    vids = sorted(scored["vignette_id"].unique())
    matrix, units, raters = rater_matrix(scored, frames, FW, vids)
    assert len(units) == 88 and len(raters) == 40
    levels = FW.scale_values
    assert rel.loc[("krippendorff_alpha (ordinal)", "cohort"), "value"] == pytest.approx(
        agreement.krippendorff_alpha(matrix, level="ordinal", categories=levels)
    )
    assert rel.loc[("fleiss_kappa", "cohort"), "value"] == pytest.approx(
        agreement.fleiss_kappa(matrix, categories=levels)
    )
    assert rel.loc[("gwet_ac1", "cohort"), "value"] == pytest.approx(
        agreement.gwet_ac(matrix, categories=levels)
    )
    icc_row = rel.loc[("icc(2,1)", "cohort")]
    assert "complete block" in icc_row["note"] and 0 < icc_row["value"] <= 1
    for (name, scope), row in rel.iterrows():
        assert row["ci_low"] <= row["value"] <= row["ci_high"], (name, scope)
        assert row["interpretation"] == agreement.statistic_for_label(name).interpret(row["value"])
    assert set(result.reliability["scope"]) == {"cohort", *vids}


@pytest.mark.parametrize(
    "statistic, fn, kwargs",
    [
        ("krippendorff_alpha", agreement.krippendorff_alpha, {"level": "ordinal"}),
        ("krippendorff_alpha", agreement.krippendorff_alpha, {"level": "nominal"}),
        ("krippendorff_alpha", agreement.krippendorff_alpha, {"level": "interval"}),
        ("fleiss_kappa", agreement.fleiss_kappa, {}),
        ("percent_agreement", agreement.percent_agreement, {}),
    ],
)
def test_vectorised_bootstrap_equals_agreement_bootstrap_ci(statistic, fn, kwargs):
    """Same replicates, same interval as agreement.bootstrap_ci, including missing ratings."""
    rng = np.random.default_rng(3)
    matrix = rng.integers(0, 3, size=(12, 6)).astype(float)
    matrix[rng.random(matrix.shape) < 0.2] = np.nan
    levels = np.array([0.0, 1.0, 2.0])
    extra = {"categories": levels} if statistic != "percent_agreement" else {}
    want = agreement.bootstrap_ci(fn, matrix, n_boot=300, seed=5, **kwargs, **extra)
    got = counts_ci(statistic, unit_counts(matrix, levels), n_boot=300, seed=5, levels=levels, **kwargs)
    assert got == pytest.approx(want, abs=1e-12)


def test_undefined_statistic_gets_a_note_not_a_number():
    """One assessor only: agreement among assessors is undefined and says so."""
    responses = [perfect(KEY)]
    result = tables(responses, {"t-score": KEY}, vignettes={"t-score": VIGNETTE})
    among = result.reliability[result.reliability["statistic"] != "cohen_kappa_vs_key (linear)"]
    assert among["value"].isna().all()
    assert among["note"].str.contains("fewer than 2 raters").all()


# ------------------------------------------------------------------- factors, agencies, drift


def test_factors_table_counts_add_up(demo):
    result = tables(demo[0], LIB)
    f = result.factors
    assert len(f) == 8 * 11
    counted = f[["n_0", "n_1", "n_2", "n_insufficient", "n_missing"]].sum(axis=1)
    assert (counted == f["n"]).all()
    assert f["share_matching_key"].between(0, 1).all()


def test_agencies_table_has_pooled_rows_and_welch_ci(demo):
    result = tables(demo[0], LIB)
    a = result.agencies.set_index("factor")
    assert {"all risk factors", "all protective factors", "opportunity"} <= set(a.index)
    row = a.loc["all risk factors"]
    assert row["police_n"] == 20 and row["probation_n"] == 20
    assert row["ci_low"] < row["difference"] < row["ci_high"]
    assert row["difference"] == pytest.approx(row["police_mean_diff"] - row["probation_mean_diff"])


def test_drift_table_covers_every_scored_response(demo):
    result = tables(demo[0], LIB)
    assert result.drift["n"].sum() == result.n_scored
    assert list(result.drift["month"]) == sorted(result.drift["month"])


def test_plans_table_share_by_hand():
    """Two full responses; one leaves out two essentials: share 1/2 for each of them."""
    plan = [
        a
        for a in perfect(KEY).to_json_dict()["plan"]
        if a["intervention"] not in ("accredited_programme", "employment_support")
    ]
    responses = [perfect(KEY), perfect(KEY, plan=plan).model_copy(update={"response_id": uuid.uuid4()})]
    result = tables(responses, {"t-score": KEY}, vignettes={"t-score": VIGNETTE})
    missing = result.plans[result.plans["finding"] == "missing_essential"]
    assert set(missing["item"]) == {"accredited_programme", "employment_support"}
    assert (missing["share"] == 0.5).all() and (missing["n"] == 1).all()
    assert "treatment" in set(missing["why"])


# ----------------------------------------------------------------------------------- export


def test_safe_cell():
    for text in ("=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\nx"):
        assert safe_cell(text) == "'" + text
    assert safe_cell("\rx") == "'\nx"
    assert safe_cell("ordinary") == "ordinary" and safe_cell(-0.3) == -0.3


def test_csv_export_guards_formula_injection(tmp_path):
    evil = '=HYPERLINK("http://x","y")'
    r = perfect(KEY)
    responses = [
        r.model_copy(
            update={"trainee": r.trainee.model_copy(update={"id": evil}), "response_id": uuid.uuid4()}
        )
        for _ in range(5)
    ]
    result = tables(responses, {"t-score": KEY}, vignettes={"t-score": VIGNETTE})
    written = write_tables(result, tmp_path)
    assert sorted(p.name for p in written) == sorted(
        [
            "assessors.csv",
            "factors.csv",
            "reliability.csv",
            "agencies.csv",
            "drift.csv",
            "plans.csv",
            "bad_records.csv",
        ]
    )
    with (tmp_path / "assessors.csv").open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert rows[0]["trainee_id"] == "'" + evil
    with (tmp_path / "agencies.csv").open(newline="", encoding="utf-8") as fh:
        text = fh.read()
    assert "'-" not in text  # negative numbers stay numbers


def test_multiple_frameworks_are_scored_separately():
    """A 2015-framework key and a 2018 one in the same batch each use their own factors."""
    key15 = make_key(framework="arms-2015", vignette_id="t-2015")
    fw15 = framework_by_id("arms-2015")
    if set(fw15.factor_ids) != set(FW.factor_ids):
        pytest.skip("the 2015 framework's factors differ; this fixture key is 2018-shaped")
    r15 = perfect(key15).model_copy(update={"framework": "arms-2015", "response_id": uuid.uuid4()})
    result = tables([perfect(KEY), r15], {"t-score": KEY, "t-2015": key15}, vignettes={"t-score": VIGNETTE})
    assert result.n_scored == 2


def test_parallel_load_frames_equals_serial(tmp_path, demo, monkeypatch):
    """Cut across worker processes, a JSONL file gives the same frames and problems, and a
    suspect record is re-read from the file when the scorer asks for it."""
    import arms_training.io.frames as cf

    lines = [r.to_json().replace("\n", "") for r in demo[0][:60]]
    broken = json.loads(lines[7]) | {"key_version": 42}
    lines[7] = json.dumps(broken)
    lines.insert(30, "{oops")
    path = tmp_path / "many.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    monkeypatch.setattr(cf, "PARALLEL_MIN_BYTES", 0)
    frames, problems = cf.load_frames(path, workers=2)
    good, serial_problems = load_responses(path)
    serial = responses_frame(good)
    assert [str(p) for p in problems] == [str(p) for p in serial_problems]
    for name in (
        "responses",
        "ratings",
        "insufficient",
        "priorities",
        "actions",
        "action_factors",
        "follow_up_ratings",
    ):
        pd.testing.assert_frame_equal(
            getattr(frames, name),
            getattr(serial, name)[getattr(frames, name).columns]
            if name in ("ratings", "insufficient", "follow_up_ratings")
            else getattr(serial, name),
            check_dtype=False,
        )
    assert frames.objects[7] == good[7]
    result = tables(frames, LIB, bad=problems)
    assert result.n_bad == 2 and result.n_scored == 59
    assert f"response {broken['response_id']}: key_version" in result.summary()


def test_long_ratings_view():
    ratings = {**KEY.ratings, "opportunity": INSUFFICIENT}
    del ratings["social_investment"]
    frames = responses_frame([perfect(KEY, ratings=ratings)])
    long = frames.long_ratings().set_index("factor")["rating"]
    assert long["opportunity"] == INSUFFICIENT and long["hostile_orientation"] == 1
    assert "social_investment" not in long.index and len(long) == 10
    assert isinstance(long["hostile_orientation"], int)


@pytest.mark.parametrize("dof", [2.5, 10, 29.9, 30, 45.2, 200, 1e5])
@pytest.mark.parametrize("p", [0.9, 0.975, 0.995])
def test_t_quantile_matches_scipy(dof, p):
    """The expansion used for large samples agrees with scipy to 1e-6 (A&S 26.7.5)."""
    from scipy.special import stdtrit

    from arms_training.calibration.agencies import t_quantile

    assert t_quantile(p, dof) == pytest.approx(float(stdtrit(dof, p)), abs=1e-6)


# ------------------------------------------------------------------------------- duplicates


def test_records_sharing_a_response_id_are_scored_once_first_copy_kept(demo):
    responses = demo[0][:30]
    # A later copy with every rating moved: were it scored, the first assessor's numbers move.
    changed = responses[0].model_copy(update={"ratings": {f: 0 for f in FW.factor_ids}})
    result = tables([*responses, changed, responses[5], responses[0]], LIB)
    alone = tables(responses, LIB)
    assert (result.n_records, result.n_scored, result.n_bad, result.n_duplicates) == (33, 30, 0, 3)
    pd.testing.assert_frame_equal(result.assessors, alone.assessors)
    pd.testing.assert_frame_equal(result.scores, alone.scores)
    assert [p.path for p in result.duplicates] == [
        f"response {responses[0].response_id} (copy 2)",
        f"response {responses[5].response_id} (copy 2)",
        f"response {responses[0].response_id} (copy 3)",
    ]
    assert "3 duplicates skipped" in result.summary()
    assert str(responses[5].response_id) in result.summary()
    assert "0 duplicates skipped" in alone.summary() and alone.duplicates == []


def test_duplicates_are_dropped_before_filters_and_bad_ones_still_named(tmp_path, demo, monkeypatch):
    """Through the parallel loader (records re-read from the file on demand): after the copies
    are dropped, a bad record is still named by its own response id."""
    import arms_training.io.frames as cf

    lines = [r.to_json().replace("\n", "") for r in demo[0][:40]]
    broken = json.loads(lines[20]) | {"key_version": 42}
    lines[20] = json.dumps(broken)
    lines[3:3] = [lines[0], lines[1]]  # copies early, so every later row shifts
    path = tmp_path / "dups.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    monkeypatch.setattr(cf, "PARALLEL_MIN_BYTES", 0)
    frames, problems = cf.load_frames(path, workers=2)
    result = tables(frames, LIB, bad=problems, filters=Filters(agency="police"))
    police = sum(r.trainee.agency == "police" for r in demo[0][:40])
    assert result.n_records == 42 and result.n_duplicates == 2 and result.n_bad == 1
    assert result.n_scored + result.n_filtered_out == 39
    assert result.n_scored == police - (demo[0][20].trainee.agency == "police")
    assert [str(p).split(":")[0] for p in result.bad] == [f"response {broken['response_id']}"]


def test_bad_records_csv_lists_problems_then_duplicates(tmp_path, demo):
    r = demo[0][0]
    result = tables([r, r.model_copy(update={"key_version": 9}), r], LIB)
    write_tables(result, tmp_path)
    with (tmp_path / "bad_records.csv").open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert [(x["record"], x["field"]) for x in rows] == [
        (f"response {r.response_id} (copy 2)", "response_id"),
        (f"response {r.response_id} (copy 3)", "response_id"),
    ]
    assert result.n_scored == 1 and result.n_bad == 0


def test_factor_summary_and_plan_findings_are_the_dashboards(demo):
    from arms_training.calibration.dashboard import Dashboard, DashboardState

    settings = CalibrationSettings(n_boot=20)
    result = tables(demo[0][:80], LIB, settings=settings, filters=Filters(agency="probation"), summaries=True)
    assert tables(demo[0][:80], LIB, settings=settings).factor_summary is None
    d = Dashboard(LIB, state=DashboardState(settings=settings, agency=("probation",)))
    d.import_responses(demo[0][:80])
    pd.testing.assert_frame_equal(result.factor_summary, d.view("factor_summary"))
    pd.testing.assert_frame_equal(result.plan_findings, d.view("plan_findings"))
    assert len(result.factor_summary) and len(result.plan_findings)
