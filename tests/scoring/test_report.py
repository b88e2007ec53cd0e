"""Is ``ScoreReport.from_dict`` the exact inverse of ``to_dict``, for every shipped case, and does
it refuse what is not a score report?

Responses are built from the shipped answer keys (v01..v08): the expert's own answers, and
answers that go wrong in every part (ratings, priorities, level with an unexplained override,
a plan with a contraindicated and an incomplete action, the follow-up review), in full and
quick mode. The JSON round trip is the store's: ``json.dumps`` then ``json.loads``.
"""

from __future__ import annotations

import json

import pytest

from arms_training.content import AnswerKey, load_library
from arms_training.errors import ScoringError
from arms_training.framework import INSUFFICIENT, framework_by_id
from arms_training.responses import Response
from arms_training.scoring import score
from arms_training.scoring.report import ScoreReport
from tests.factories import REPO, complete_action, perfect

LIB = load_library(REPO)
CASES = sorted(LIB.keys)


def imperfect(key: AnswerKey, version: int, *, mode: str) -> Response:
    """Wrong in every part the mode asks for."""
    fw = framework_by_id(key.framework)
    top = max(fw.scale_values)
    ratings = {
        f: (INSUFFICIENT if i == 0 else top if r != top else 0) if i % 2 == 0 else r
        for i, (f, r) in enumerate(key.ratings.items())
    }
    changes: dict = {
        "mode": mode,
        "ratings": ratings,
        "priorities": [*key.priorities[1:], *[f for f in fw.factor_ids if f not in key.priorities][:1]],
        "priority_level": next(p for p in ("low", "medium", "high") if p != key.priority_level),
    }
    if mode == "quick":
        changes |= {"risk_management_level": None, "plan": [], "follow_up": None, "override_rationale": None}
    else:
        essential = [e.intervention for e in key.plan.essential]
        contra = [c.intervention for c in key.plan.contraindicated][:1]
        plan = [complete_action(i) for i in essential[1:]]
        plan += [{"intervention": i} for i in contra]  # incomplete and contraindicated
        level = next(x for x in ("low", "medium", "high", "very_high") if x != key.risk_management_level)
        changes |= {"plan": plan, "risk_management_level": level, "override_rationale": None}
        if key.follow_up is not None:
            changes["follow_up"] = {
                "significant_change": not key.follow_up.significant_change,
                "ratings": {f: 0 for f in key.follow_up.ratings},
                "risk_management_level": None,
            }
    return perfect(key, version, **changes)


def responses() -> list[tuple[str, Response]]:
    out = []
    for vid in CASES:
        key, v = LIB.keys[vid], LIB.vignettes[vid]
        out += [
            (f"{vid}-perfect", perfect(key, v.version)),
            (
                f"{vid}-perfect-quick",
                perfect(key, v.version, mode="quick", risk_management_level=None, plan=[], follow_up=None),
            ),
            (f"{vid}-imperfect", imperfect(key, v.version, mode="full")),
            (f"{vid}-imperfect-quick", imperfect(key, v.version, mode="quick")),
        ]
    return out


RESPONSES = responses()


def report_of(response: Response) -> ScoreReport:
    vid = response.vignette_id
    return score(response, LIB.keys[vid], framework_by_id(response.framework), vignette=LIB.vignettes[vid])


@pytest.mark.parametrize("response", [r for _, r in RESPONSES], ids=[name for name, _ in RESPONSES])
def test_from_dict_inverts_to_dict_through_json(response):
    report = report_of(response)
    stored = json.loads(json.dumps(report.to_dict()))
    back = ScoreReport.from_dict(stored)
    assert back == report
    assert back.to_dict() == report.to_dict() == stored
    assert isinstance(back.priorities.given, tuple)
    assert all(isinstance(f.panel, tuple) for f in back.factors.values())


def test_the_cases_cover_quick_mode_follow_up_and_every_plan_finding():
    """The round trip above is only as good as what the reports hold."""
    reports = [report_of(r) for _, r in RESPONSES]
    assert any(r.mode == "quick" and r.plan is None and r.level is None for r in reports)
    assert any(r.follow_up is not None and not r.follow_up.significant_correct for r in reports)
    assert any(r.follow_up is not None and r.follow_up.significant_correct for r in reports)
    plans = [r.plan for r in reports if r.plan is not None]
    assert any(p.contraindicated for p in plans) and any(p.missing_essential for p in plans)
    assert any(p.incomplete_actions for p in plans) and any(p.unaddressed_priorities for p in plans)
    assert any(r.level is not None and r.level.unexplained_override for r in reports)
    assert all(r.feedback["factors"] for r in reports)


def test_the_plan_shares_survive_the_name_they_share_with_the_flag():
    """``constructive_for_protective`` is both a share (0.0 or 1.0) and a flag in the JSON form."""
    key = LIB.keys[CASES[0]]
    report = report_of(imperfect(key, LIB.vignettes[CASES[0]].version, mode="full"))
    d = report.to_dict()
    assert report.plan is not None
    back = ScoreReport.from_dict(d).plan
    assert back is not None and back.shares == report.plan.shares
    assert list(back.shares) == list(report.plan.shares)  # the order the rubric adds them in
    assert back.constructive_for_protective is report.plan.constructive_for_protective


def test_from_dict_does_not_share_the_callers_feedback():
    d = report_of(RESPONSES[0][1]).to_dict()
    back = ScoreReport.from_dict(d)
    d["feedback"]["plan"].append("changed afterwards")
    assert "changed afterwards" not in back.feedback["plan"]


@pytest.mark.parametrize(
    ("broken", "field"),
    [
        (lambda d: d.pop("parts"), "parts"),
        (lambda d: d["factors"]["opportunity"].pop("rationale"), "rationale"),
        (lambda d: d.__setitem__("priorities", None), ""),
    ],
)
def test_what_is_not_a_score_report_is_a_scoring_error_naming_the_key(broken, field):
    d = report_of(RESPONSES[0][1]).to_dict()
    broken(d)
    with pytest.raises(ScoringError) as info:
        ScoreReport.from_dict(d)
    (problem,) = info.value.problems
    assert problem.field == field and d["response_id"] in problem.path
