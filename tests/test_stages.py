"""Is the one list of stages what the exercise, the scorer and the rubric all follow?"""

from __future__ import annotations

import pytest

from arms_training.framework import framework_by_id
from arms_training.responses import Trainee, new_response
from arms_training.scoring import score
from arms_training.stages import (
    PART_LABELS,
    PARTS,
    STAGE_IDS,
    STAGES,
    missing_for_submission,
    parts_for,
    stage,
    stages_for,
)
from tests.factories import KEY, VIGNETTE, make_key, perfect

FW = framework_by_id("arms-2018")


@pytest.fixture
def response():
    return new_response(
        Trainee(id="pc-42", agency="police", role="offender manager"), "v01-new-partner", 1, "arms-2018"
    )


def test_the_stages_in_order_with_the_parts_they_feed():
    assert STAGE_IDS == ("gather", "rate", "prioritise", "level", "plan", "review")
    assert PARTS == ("ratings", "priorities", "level", "plan", "follow_up")
    assert stage("rate").part == "ratings" and stage("gather").part is None
    assert PART_LABELS["follow_up"] == "Follow-up review"


def test_which_stages_each_mode_asks():
    ids = lambda mode, fu: tuple(s.id for s in stages_for(mode, has_follow_up=fu))  # noqa: E731
    assert ids("quick", True) == ids("quick", False) == ("gather", "rate", "prioritise")
    assert ids("full", False) == ("gather", "rate", "prioritise", "level", "plan")
    assert ids("full", True) == STAGE_IDS
    assert parts_for("quick", has_follow_up=True) == ("ratings", "priorities")


def test_an_unknown_stage_names_the_stages_there_are():
    with pytest.raises(KeyError, match="the stages are gather, rate"):
        stage("share")


def test_missing_items_name_the_stage(response):
    missing = missing_for_submission(response, FW, has_follow_up=True)
    assert set(missing) == {"rate", "prioritise", "level", "plan", "review"}
    assert "rate Opportunity" in missing["rate"]
    response.mode = "quick"
    assert set(missing_for_submission(response, FW)) == {"rate", "prioritise"}


def test_every_stage_that_feeds_a_part_is_complete_in_a_perfect_response():
    done = perfect(KEY)
    assert missing_for_submission(done, FW, has_follow_up=KEY.follow_up is not None) == {}
    assert [s.id for s in STAGES if s.missing(done, FW)] == []


@pytest.mark.parametrize("mode", ["full", "quick"])
@pytest.mark.parametrize("with_follow_up", [True, False])
def test_the_scorer_scores_exactly_the_parts_the_stages_ask(mode, with_follow_up):
    key = KEY if with_follow_up else make_key(follow_up=None)
    report = score(perfect(key, mode=mode), key, FW, vignette=VIGNETTE if with_follow_up else None)
    assert tuple(report.parts) == parts_for(mode, has_follow_up=with_follow_up)


def test_the_rubric_weighs_every_part_and_nothing_else():
    assert set(FW.plan_rubric.components) == set(PARTS)
