"""Does score() apply the documented rules, with numbers worked out by hand from the rubric?"""

from __future__ import annotations

import json
import subprocess
import sys
import uuid

import pytest

from arms_training.content import load_library
from arms_training.framework import INSUFFICIENT
from arms_training.scoring.rules import ScoringError, factor_credit, score, score_response
from tests.factories import (
    FW,
    KEY,
    KEY_RATINGS,
    PROTECTIVE,
    RISK,
    VIGNETTE,
    complete_action,
    make_key,
    perfect,
)

ADJ = FW.plan_rubric.adjacent_credit
W = FW.plan_rubric.components


def shift_risk_up(ratings: dict) -> dict:
    top = max(FW.scale_values)
    return {f: (min(r + 1, top) if f in RISK and r != INSUFFICIENT else r) for f, r in ratings.items()}


# ------------------------------------------------------------------------- done-when checks


def test_perfect_response_scores_100_with_zero_bias():
    """Is a response built from the key worth exactly 100, with no bias?"""
    d = score(perfect(KEY), KEY, FW, vignette=VIGNETTE).to_dict()
    assert d["total"] == 100.0
    assert d["bias"] == {"risk": 0.0, "protective": 0.0, "all": 0.0}
    assert d["exact_agreement"] == 1.0 and d["within_one"] == 1.0
    assert set(d["parts"]) == {"ratings", "priorities", "level", "plan", "follow_up"}
    assert all(p["score"] == 1.0 for p in d["parts"].values())
    assert d["level"]["findings"] == [] and d["plan"]["missing_essential"] == []


def test_every_shipped_key_scores_its_own_perfect_response_100():
    """Does each shipped vignette's key give its own answers 100 (so no key contradicts the
    rules, for example a priority that no essential action addresses)?"""
    lib = load_library()
    assert lib.keys, "the shipped library has answer keys"
    for vid, key in lib.keys.items():
        v = lib.vignettes[vid]
        d = score(perfect(key, v.version), key, FW, vignette=v).to_dict()
        assert d["total"] == 100.0, (vid, d["parts"], d["feedback"])
        assert d["bias"]["all"] == 0.0


def test_shifting_risk_up_one_step_loses_exactly_the_adjacent_credit():
    """A trainee who rates every risk factor one step higher (capped at the top) shows positive
    risk bias and loses (1 - adjacent_credit) per shifted factor, on the ratings part only."""
    response = perfect(KEY, ratings=shift_risk_up(KEY.ratings))
    d = score(response, KEY, FW, vignette=VIGNETTE).to_dict()
    top = max(FW.scale_values)
    shifted = [f for f in RISK if KEY_RATINGS[f] != INSUFFICIENT and KEY_RATINGS[f] < top]
    assert len(shifted) == 4  # opportunity, sexual_preoccupation, congruence, hostile
    n_factors = len(FW.factor_ids)
    ratings_part = (n_factors - len(shifted) * (1 - ADJ)) / n_factors
    expected_total = (
        100
        * (W["ratings"] * ratings_part + W["priorities"] + W["level"] + W["plan"] + W["follow_up"])
        / sum(W.values())
    )
    assert d["total"] == pytest.approx(expected_total, abs=1e-12)
    assert 100 - d["total"] == pytest.approx(
        100 * W["ratings"] / sum(W.values()) * len(shifted) * (1 - ADJ) / n_factors
    )
    assert d["bias"]["risk"] == pytest.approx(len(shifted) / len(RISK)) and d["bias"]["risk"] > 0
    assert d["bias"]["protective"] == 0.0
    for f in shifted:
        assert d["factors"][f]["credit"] == ADJ and d["factors"][f]["difference"] == 1


def test_quick_mode_scores_only_ratings_and_priorities():
    """Does quick mode leave level, plan and follow-up out of the total?"""
    response = perfect(
        KEY, mode="quick", priority_level="high", plan=[], risk_management_level=None, follow_up=None
    )
    d = score(response, KEY, FW, vignette=VIGNETTE).to_dict()
    assert set(d["parts"]) == {"ratings", "priorities"}
    assert d["level"] is None and d["plan"] is None and d["follow_up"] is None
    # Right factors (F1 = 1), wrong priority level: 0.75 of the priorities part.
    expected = 100 * (W["ratings"] * 1 + W["priorities"] * 0.75) / (W["ratings"] + W["priorities"])
    assert d["total"] == pytest.approx(expected)
    assert d["parts"]["ratings"]["weight"] == pytest.approx(40 / 55)


# ----------------------------------------------------------------------------- factor credit


@pytest.mark.parametrize(
    "given, expected, panel, credit",
    [
        (1, 1, [1, 1, 2], 1.0),  # consensus
        (2, 1, [1, 1, 2], 0.5),  # 1 of 3 chose it, modal 2: 1/2 (= adjacent)
        (0, 2, [0, 0, 2, 2, 2], 2 / 3),  # two steps off but 2 experts chose it: 2/3
        (0, 2, [2, 2, 2], 0.0),  # two steps off, nobody chose it
        (0, 1, [1, 1, 1], ADJ),  # one step, nobody chose it: adjacent credit
        (2, 1, [1, 1, 1, 1, 2], ADJ),  # 1/4 of modal < adjacent: the larger applies
        (INSUFFICIENT, 1, [1, 1, 1], 0.0),  # insufficient is never "one step"
        (INSUFFICIENT, 1, [INSUFFICIENT, 1, 1], 0.5),  # ... but earns its panel share
        (1, INSUFFICIENT, [INSUFFICIENT, INSUFFICIENT, 1], 0.5),
        (2, INSUFFICIENT, [INSUFFICIENT, INSUFFICIENT, 1], 0.0),
        (INSUFFICIENT, INSUFFICIENT, [INSUFFICIENT, INSUFFICIENT, 1], 1.0),
        (None, 1, [1, 1, 1], 0.0),  # missing rating
    ],
)
def test_factor_credit_rules(given, expected, panel, credit):
    assert factor_credit(given, expected, panel, adjacent_credit=ADJ) == pytest.approx(credit)


def test_panel_dissent_and_insufficient_through_score():
    """Does score() give panel-share credit for a dissenting expert's rating, both ways round
    for insufficient, and zero for a missing rating?"""
    ratings = dict(KEY.ratings)
    ratings["social_influences"] = 2  # expert c: 1 of 3 vs modal 2 -> 0.5
    ratings["intimate_relationships"] = 1  # key insufficient, expert c chose 1 -> 0.5
    del ratings["social_investment"]  # missing -> 0
    d = score(perfect(KEY, ratings=ratings), KEY, FW, vignette=VIGNETTE).to_dict()
    f = d["factors"]
    assert f["social_influences"]["credit"] == 0.5
    assert f["intimate_relationships"]["credit"] == 0.5
    assert f["intimate_relationships"]["difference"] is None
    assert f["social_investment"]["given"] is None and f["social_investment"]["credit"] == 0
    assert d["parts"]["ratings"]["score"] == pytest.approx((8 + 0.5 + 0.5 + 0) / 11)
    assert d["exact_agreement"] == pytest.approx(8 / 11)
    # within one: 8 exact + social_influences (|2-1| = 1); insufficient vs 1 and missing are not.
    assert d["within_one"] == pytest.approx(9 / 11)
    assert d["bias"]["protective"] == pytest.approx(1 / 3)  # +1 over 3 numeric protective pairs
    assert d["bias"]["risk"] == 0.0


def test_bias_is_none_without_a_numeric_pair():
    ratings = {f: INSUFFICIENT for f in PROTECTIVE} | {f: KEY_RATINGS[f] for f in RISK}
    d = score(perfect(KEY, ratings=ratings), KEY, FW, vignette=VIGNETTE).to_dict()
    assert d["bias"]["protective"] is None and d["bias"]["risk"] == 0.0


# ---------------------------------------------------------------------- priorities and level


def test_priorities_precision_recall_f1():
    response = perfect(
        KEY, priorities=["opportunity", "poor_self_management", "hostile_orientation", "hostile_orientation"]
    )
    d = score(response, KEY, FW, vignette=VIGNETTE).to_dict()
    p = d["priorities"]
    assert (p["precision"], p["recall"]) == (pytest.approx(2 / 3), pytest.approx(2 / 3))
    assert p["f1"] == pytest.approx(2 / 3)
    assert p["missed"] == ["offence_related_sexual_interest"]
    assert p["extra"] == ["hostile_orientation"]
    assert d["priority_level"] == {"given": "medium", "expected": "medium", "correct": True}
    assert d["parts"]["priorities"]["score"] == pytest.approx(0.75 * 2 / 3 + 0.25)


def test_level_off_the_matrix_without_rationale_is_a_finding_and_halves_the_level():
    """Static medium + own priority medium gives medium; 'high' without a rationale is one step
    from the key (adjacent credit) and unexplained (x 0.5)."""
    d = score(perfect(KEY, risk_management_level="high"), KEY, FW, vignette=VIGNETTE).to_dict()
    lv = d["level"]
    assert lv["matrix"] == "medium" and lv["correct"] is False
    assert any("override rationale" in f for f in lv["findings"])
    assert lv["score"] == pytest.approx(ADJ * 0.5)
    explained = perfect(KEY, risk_management_level="high", override_rationale="new intelligence")
    lv = score(explained, KEY, FW, vignette=VIGNETTE).to_dict()["level"]
    assert lv["score"] == ADJ and not any("override rationale" in f for f in lv["findings"])
    # The matrix uses the trainee's own priority: high priority -> high level, no finding.
    own = perfect(KEY, risk_management_level="high", priority_level="high")
    lv = score(own, KEY, FW, vignette=VIGNETTE).to_dict()["level"]
    assert lv["matrix"] == "high" and lv["score"] == ADJ
    # Without the vignette the matrix is unknown and no deviation finding is made.
    lv = score(perfect(KEY, risk_management_level="high"), KEY, FW).to_dict()["level"]
    assert lv["matrix"] is None and lv["score"] == ADJ


def test_priority_shares_and_the_override_factor_come_from_the_framework():
    """A force that tunes plan_rubric changes the scores, in score() and the batch scorer."""
    import pandas as pd

    from arms_training.calibration.result import responses_frame
    from arms_training.scoring.batch import score_frames

    rubric = FW.plan_rubric.model_copy(
        update={"priorities": {"factors": 0.5, "level": 0.5}, "unexplained_override_factor": 0.2}
    )
    tuned = FW.model_copy(update={"plan_rubric": rubric})
    response = perfect(
        KEY,
        priorities=["opportunity", "poor_self_management", "hostile_orientation"],
        risk_management_level="high",
    )
    d = score(response, KEY, tuned, vignette=VIGNETTE).to_dict()
    assert d["parts"]["priorities"]["score"] == pytest.approx(0.5 * 2 / 3 + 0.5)
    assert d["level"]["score"] == pytest.approx(ADJ * 0.2)
    batch = score_frames(
        responses_frame([response]),
        {KEY.vignette_id: KEY},
        frameworks={tuned.id: tuned},
        vignettes={VIGNETTE.id: VIGNETTE},
    )
    row = batch.scores.iloc[0]
    assert row["priorities"] == pytest.approx(d["parts"]["priorities"]["score"])
    assert row["level"] == pytest.approx(d["level"]["score"])
    assert not pd.isna(row["total"])


# ---------------------------------------------------------------------------------- plan


def test_plan_rubric_by_hand():
    """Two of four essentials, one contraindicated, one incomplete action, one of three own
    priorities unaddressed; relapse prevention is constructive and the catalogue says it serves
    commitment to desist, so the plan builds a protective factor."""
    plan = [
        complete_action("home_visits", ["opportunity"]),
        complete_action("relapse_prevention", ["poor_self_management"]),
        {**complete_action("residence_restriction", ["opportunity"]), "owner": "", "rationale": "  "},
    ]
    d = score(perfect(KEY, plan=plan), KEY, FW, vignette=VIGNETTE).to_dict()["plan"]
    shares = FW.plan_rubric.plan
    expected = (
        shares["essential_covered"] * 2 / 4
        + shares["priorities_addressed"] * 2 / 3
        + shares["actions_complete"] * 2 / 3
        + shares["constructive_for_protective"] * 1
        - FW.plan_rubric.contraindicated_penalty
    )
    assert d["score"] == pytest.approx(expected)
    assert d["essential_covered"] == 0.5 and d["actions_complete"] == pytest.approx(2 / 3)
    assert d["unaddressed_priorities"] == ["offence_related_sexual_interest"]
    assert [m["intervention"] for m in d["missing_essential"]] == [
        "accredited_programme",
        "employment_support",
    ]
    assert d["contraindicated"] == [{"intervention": "residence_restriction", "why": "cuts family off"}]
    assert d["incomplete_actions"] == [
        {"index": 2, "intervention": "residence_restriction", "missing": ["rationale", "owner"]}
    ]
    assert d["constructive_for_protective"] is True


def test_plan_catalogue_fallback_and_clamp():
    """An action with no factors addresses its catalogue factors; penalties clamp at 0."""
    plan = [{"intervention": "residence_restriction"}, {"intervention": "overt_police_activity"}]
    d = score(perfect(KEY, plan=plan), KEY, FW, vignette=VIGNETTE).to_dict()["plan"]
    assert d["score"] == 0.0  # 0.25 * 2/3 addressed - 2 * 0.25 penalty -> clamped
    assert d["priorities_addressed"] == pytest.approx(1 / 3)  # opportunity via the catalogue
    empty = score(perfect(KEY, plan=[]), KEY, FW, vignette=VIGNETTE).to_dict()["plan"]
    assert empty["score"] == 0.0 and empty["n_actions"] == 0


def test_constructive_for_protective():
    """home_visits is 'both': counts only if the trainee links it to a protective factor;
    employment_support is constructive and builds a protective factor by the catalogue."""
    linked = [complete_action("home_visits", ["commitment_to_desist"])]
    unlinked = [complete_action("home_visits", ["opportunity"])]
    building = [complete_action("employment_support", ["opportunity"])]
    result = [
        score(perfect(KEY, plan=p), KEY, FW).to_dict()["plan"]["constructive_for_protective"]
        for p in (linked, unlinked, building)
    ]
    assert result == [True, False, True]


def test_follow_up_part():
    fu = {
        "significant_change": False,
        "ratings": dict(KEY.follow_up.ratings) | {"opportunity": 1},
        "risk_management_level": "high",
    }
    d = score(perfect(KEY, follow_up=fu), KEY, FW, vignette=VIGNETTE).to_dict()["follow_up"]
    assert d["significant_change"] == {"given": False, "expected": True, "correct": False}
    assert d["factors"]["opportunity"] == {"given": 1, "expected": 2, "credit": ADJ}
    assert d["ratings_score"] == pytest.approx((10 + ADJ) / 11)
    assert d["score"] == pytest.approx((0 + (10 + ADJ) / 11 + 1) / 3)
    no_fu = score(perfect(KEY, follow_up=None), KEY, FW, vignette=VIGNETTE).to_dict()
    assert no_fu["follow_up"]["score"] == 0.0
    key = make_key(follow_up=None)
    d = score(perfect(key, follow_up=None), key, FW).to_dict()
    assert d["follow_up"] is None and "follow_up" not in d["parts"] and d["total"] == 100.0


# -------------------------------------------------------------------------- report and feedback

TOP_KEYS = {
    "response_id",
    "vignette_id",
    "vignette_version",
    "key_version",
    "framework",
    "mode",
    "total",
    "parts",
    "factors",
    "exact_agreement",
    "within_one",
    "bias",
    "priorities",
    "priority_level",
    "level",
    "plan",
    "follow_up",
    "feedback",
}


def test_to_dict_is_json_with_the_documented_keys():
    report = score(perfect(KEY, ratings=shift_risk_up(KEY.ratings)), KEY, FW, vignette=VIGNETTE)
    d = json.loads(json.dumps(report.to_dict()))
    assert set(d) == TOP_KEYS
    assert set(d["factors"]["opportunity"]) == {
        "name",
        "kind",
        "given",
        "expected",
        "difference",
        "credit",
        "within_one",
        "panel",
        "rationale",
        "evidence",
        "evidence_given",
    }
    assert set(d["level"]) == {
        "given",
        "expected",
        "matrix",
        "correct",
        "override_rationale",
        "unexplained_override",
        "findings",
        "score",
    }
    assert {
        "score",
        "essential_covered",
        "priorities_addressed",
        "actions_complete",
        "constructive_for_protective",
        "unaddressed_priorities",
        "missing_essential",
        "contraindicated",
        "incomplete_actions",
    } <= set(d["plan"])
    assert set(d["feedback"]) == {"factors", "priorities", "level", "plan", "follow_up"}
    assert d["response_id"] == str(uuid.UUID(int=7)) and d["key_version"] == 2


def test_feedback_quotes_rationale_evidence_and_why():
    plan = [complete_action("residence_restriction", ["opportunity"])]
    d = score(perfect(KEY, plan=plan), KEY, FW, vignette=VIGNETTE).to_dict()["feedback"]
    assert "why opportunity" in d["factors"]["opportunity"]
    assert "Evidence: paragraphs p1." in d["factors"]["opportunity"]
    assert any("cuts family off" in t for t in d["plan"])
    assert any("coping plan" in t for t in d["plan"])


# -------------------------------------------------------------------------------- bad input


def problem_fields(exc: ScoringError) -> list[str]:
    return [p.field for p in exc.problems]


@pytest.mark.parametrize(
    "changes, field",
    [
        ({"key_version": 1}, "key_version"),
        ({"vignette_id": "other"}, "vignette_id"),
        ({"vignette_version": 1}, "vignette_version"),
        ({"framework": "arms-2015"}, "framework"),
        ({"ratings": {"opportunity": 5}}, "ratings.opportunity"),
        ({"ratings": {"made_up": 1}}, "ratings.made_up"),
        ({"priorities": ["made_up"]}, "priorities[0]"),
        ({"priority_level": "urgent"}, "priority_level"),
        ({"risk_management_level": "extreme"}, "risk_management_level"),
        ({"plan": [{"intervention": "teleport"}]}, "plan[0].intervention"),
        ({"follow_up": {"ratings": {"opportunity": -1}}}, "follow_up.ratings.opportunity"),
    ],
)
def test_bad_response_names_response_id_and_field(changes, field):
    response = perfect(KEY, **changes)
    with pytest.raises(ScoringError) as err:
        score(response, KEY, FW, vignette=VIGNETTE)
    assert field in problem_fields(err.value)
    assert str(response.response_id) in str(err.value)
    assert isinstance(err.value, ValueError)


def test_unknown_vignette_and_framework_through_the_library():
    lib = load_library()
    vid = next(iter(lib.keys))
    key = lib.keys[vid]
    response = perfect(key, lib.vignettes[vid].version)
    assert score_response(response, library=lib).total == 100.0
    with pytest.raises(ScoringError, match="vignette_id: no answer key for vignette 'nope'"):
        score_response(response.model_copy(update={"vignette_id": "nope"}), library=lib)
    with pytest.raises(ScoringError, match="framework: unknown framework 'arms-1999'"):
        score_response(response.model_copy(update={"framework": "arms-1999"}), library=lib)


def test_scoring_does_not_import_pandas():
    """The trainee kernel stays lean: importing scoring must not pull in pandas."""
    code = "import sys, arms_training.scoring.rules; print('pandas' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
