"""Does the room summary count what the room answered, find the splits and agency differences,
and keep every trace of the key out until it is given?

Responses are built from the shipped answer keys (vignettes v01..v08) with chosen changes.
"""

from __future__ import annotations

import math

import pytest

from arms_training.framework import INSUFFICIENT, framework_by_id
from arms_training.plots.session import figure_png, rating_distribution_figure
from arms_training.session.room import (
    agency_differences,
    agency_distance,
    attendance,
    categories,
    display_names,
    latest_per_trainee,
    most_split,
    normalised_entropy,
    prompts,
    summarise,
)
from tests.factories import LIB, V01, room_response

FW = framework_by_id("arms-2018")


def room_of(responses, *, key=False, vid=V01):
    return summarise(responses, FW, vignette_id=vid, key=LIB.keys[vid] if key else None)


# -- measures -------------------------------------------------------------------------------


def test_entropy_is_zero_for_agreement_and_one_for_an_even_spread():
    assert normalised_entropy({0: 5, 1: 0}, 4) == 0.0
    assert normalised_entropy({0: 2, 1: 2, 2: 2, INSUFFICIENT: 2}, 4) == pytest.approx(1.0)
    # Two categories of four, equally used: log 2 / log 4.
    assert normalised_entropy({0: 3, 2: 3}, 4) == pytest.approx(math.log(2) / math.log(4))
    assert normalised_entropy({}, 4) is None
    with pytest.raises(ValueError, match="n_categories=1 is not valid"):
        normalised_entropy({0: 1}, 1)


def test_agency_distance_is_total_variation():
    assert agency_distance({1: 3}, {1: 9}) == 0.0
    assert agency_distance({0: 2}, {2: 5}) == 1.0
    assert agency_distance({0: 1, 1: 3}, {1: 2, 2: 2}) == pytest.approx(0.5)
    assert agency_distance({}, {1: 1}) is None


def test_categories_follow_the_framework_scale_then_insufficient():
    assert categories(FW) == (0, 1, 2, INSUFFICIENT)


# -- the room ---------------------------------------------------------------------------------


def test_counts_by_agency_mode_and_spread():
    rs = [
        room_response(tid="p1", agency="police", ratings={"opportunity": 2}),
        room_response(tid="p2", agency="police", ratings={"opportunity": 2}),
        room_response(tid="b1", agency="probation", ratings={"opportunity": 1}),
        room_response(tid="b2", agency="probation", ratings={"opportunity": INSUFFICIENT}),
        room_response(vid="v02-online-images", tid="x", agency="other"),
    ]
    room = room_of(rs)
    assert room.n == 4 and room.agencies == ("police", "probation")
    assert room.n_by_agency == {"police": 2, "probation": 2} and room.n_full == 0
    f = room.factor("opportunity")
    assert f.counts == {
        "police": {0: 0, 1: 0, 2: 2, INSUFFICIENT: 0},
        "probation": {0: 0, 1: 1, 2: 0, INSUFFICIENT: 1},
    }
    assert f.total == {0: 0, 1: 1, 2: 2, INSUFFICIENT: 1} and f.n == 4
    assert f.modal == (2,) and f.modal_share == 0.5
    assert f.mean == {"police": 2.0, "probation": 1.0, "all": pytest.approx(5 / 3)}
    assert f.agency_gap == 1.0 and f.agency_distance == 1.0
    hostile = room.factor("hostile_orientation")
    assert hostile.entropy == 0.0 and hostile.agency_distance == 0.0


def test_nothing_of_the_key_is_in_the_room_before_reveal():
    key = LIB.keys[V01]
    rs = [
        room_response(
            tid=f"t{i}",
            agency=("police", "probation")[i % 2],
            ratings={"opportunity": i % 3},
            mode="full",
            plan=["disclosure", "overt_police_activity"],
            evidence={"opportunity": ["hv1"]},
        )
        for i in range(6)
    ]
    room = room_of(rs)
    assert not room.revealed and room.key_level is None and room.key_priority_level is None
    for f in room.factors:
        assert (f.expected, f.panel, f.rationale, f.evidence, f.matched) == (None, (), None, (), None)
    assert all(
        c.in_key is None and c.key_role is None
        for c in (*room.priorities, *room.priority_levels, *room.levels, *room.actions)
    )
    assert room.contraindicated == ()
    text = repr(room) + repr(prompts(room, vignette=LIB.vignettes[V01]))
    for f in key.factors.values():
        assert f.rationale[:40] not in text
    assert key.plan.contraindicated[0].why[:40] not in text
    # Before reveal the paragraphs to reread are the ones the room cited, not the key's.
    split = next(p for p in prompts(room) if p.factor == "opportunity")
    assert split.reread == ("hv1",) and split.rationale is None and split.expected is None


def test_the_key_overlays_consensus_panel_and_rationale_after_reveal():
    key = LIB.keys[V01]
    rs = [
        room_response(
            tid=f"t{i}", ratings={"opportunity": (1, 1, 2)[i % 3]}, evidence={"opportunity": ["hv3"]}
        )
        for i in range(6)
    ]
    room = room_of(rs, key=True)
    f = room.factor("opportunity")
    assert room.revealed and f.expected == 1 and f.panel == (1, 2, 1)
    assert f.rationale == key.factors["opportunity"].rationale
    assert f.matched == pytest.approx(4 / 6)
    p = next(p for p in prompts(room, vignette=LIB.vignettes[V01]) if p.factor == "opportunity")
    assert p.rationale == key.factors["opportunity"].rationale and p.expected == 1
    assert (
        p.reread[: len(key.factors["opportunity"].evidence)] == key.factors["opportunity"].evidence
        and "hv3" in p.reread
    )
    assert dict(p.paragraphs)["hv2"] == LIB.vignettes[V01].paragraph("hv2").text


def test_most_split_ranks_by_entropy_then_modal_share():
    rs = []
    for i in range(8):
        rs.append(
            room_response(
                tid=f"t{i}",
                ratings={
                    "opportunity": (0, 1, 2, INSUFFICIENT)[i % 4],  # evenly spread: entropy 1
                    "sexual_preoccupation": (0, 0, 0, 1)[i % 4],  # mostly agreed
                    "social_influences": (0, 2)[i % 2],
                },
            )
        )  # two camps
    ranked = [f.factor for f in most_split(room_of(rs), n=5)]
    assert ranked == ["opportunity", "social_influences", "sexual_preoccupation"]
    assert most_split(room_of(rs[:1])) == []  # one rating is not a split


def test_agency_differences_rank_and_say_who_rates_higher():
    rs = [
        room_response(tid=f"p{i}", agency="police", ratings={"opportunity": 2, "commitment_to_desist": 0})
        for i in range(3)
    ]
    rs += [
        room_response(
            tid=f"b{i}", agency="probation", ratings={"opportunity": 0, "commitment_to_desist": (0, 1, 1)[i]}
        )
        for i in range(3)
    ]
    room = room_of(rs)
    assert [f.factor for f in agency_differences(room)] == ["opportunity", "commitment_to_desist"]
    agency = [p for p in prompts(room) if p.kind == "agency"]
    assert agency[0].headline == "Opportunity: police and probation differ"
    assert "Police (n=3) mostly 2" in agency[0].detail and "Police rate it higher by 2.0" in agency[0].detail
    assert "Probation rate it higher" in agency[1].detail
    assert agency_differences(room, min_per_agency=4) == []
    police_only = room_of([r for r in rs if r.trainee.agency == "police"])
    assert agency_differences(police_only) == []


def test_a_trainee_who_submits_twice_is_counted_once_with_the_latest():
    first = room_response(tid="same", ratings={"opportunity": 0}, minute=1)
    second = room_response(tid="same", ratings={"opportunity": 2}, minute=5)
    other = room_response(tid="other", minute=3)
    assert latest_per_trainee([second, first, other]) == [other, second]
    room = room_of([first, second, other])
    assert room.n == 2 and room.factor("opportunity").total[2] == 1


def test_priorities_levels_and_plans_against_the_key():
    key = LIB.keys[V01]
    rs = [
        room_response(
            tid="p1",
            agency="police",
            mode="full",
            priorities=["opportunity"],
            priority_level="high",
            level="high",
            plan=["disclosure", "disclosure", "overt_police_activity"],
        ),
        room_response(
            tid="b1",
            agency="probation",
            mode="full",
            priorities=["opportunity", "intimate_relationships"],
            priority_level="medium",
            plan=["disclosure", "family_work"],
        ),
        room_response(tid="q1", agency="probation", mode="quick", priority_level="low"),
    ]
    room = room_of(rs, key=True)
    pri = {c.choice: c for c in room.priorities}
    assert pri["opportunity"].total == 3 and pri["opportunity"].in_key
    assert pri["hostile_orientation"].total == 0 and not pri["hostile_orientation"].in_key
    levels = {c.choice: c for c in room.priority_levels}
    assert levels["high"].by_agency == {"police": 1, "probation": 0}
    assert levels["medium"].in_key and room.key_priority_level == key.priority_level
    rm = {c.choice: c.total for c in room.levels}
    assert rm == {"low": 0, "medium": 1, "high": 1, "very_high": 0} and room.n_full == 2
    actions = {c.choice: c for c in room.actions}
    assert room.actions[0].choice == "disclosure" and actions["disclosure"].total == 2
    assert actions["disclosure"].key_role == "essential"
    assert actions["overt_police_activity"].key_role == "contraindicated"
    (contra,) = room.contraindicated
    assert contra.intervention == "overt_police_activity" and contra.total == 1
    assert contra.by_agency == {"police": 1, "probation": 0}
    assert contra.why == key.plan.contraindicated[0].why


def test_an_empty_room_has_no_prompts_and_draws_a_message():
    room = room_of([], key=True)
    assert room.n == 0 and room.agencies == () and prompts(room) == []
    assert all(f.entropy is None and f.modal == () for f in room.factors)
    assert figure_png(rating_distribution_figure(room, FW))[:4] == b"\x89PNG"


@pytest.mark.parametrize("vid", sorted(LIB.keys))
def test_every_shipped_case_summarises_with_its_key(vid):
    key = LIB.keys[vid]
    rs = [
        room_response(vid, tid=f"t{i}", agency=("police", "probation")[i % 2], mode="full") for i in range(4)
    ]
    room = summarise(rs, FW, vignette_id=vid, key=key)
    assert room.n == 4 and all(f.matched == 1.0 for f in room.factors if f.expected is not None)
    assert prompts(room) == []  # everyone gave the key's answers: nothing to discuss


def test_a_key_for_another_case_is_refused():
    with pytest.raises(ValueError, match="answer key is for 'v02-online-images'"):
        summarise([], FW, vignette_id=V01, key=LIB.keys["v02-online-images"])


# -- people -----------------------------------------------------------------------------------


def test_display_names_number_each_agency_in_joining_order():
    people = [
        ("kestrel", "police"),
        ("owl", "probation"),
        ("kite", "police"),
        ("kestrel", "police"),
        ("<b>x</b>", "other"),
    ]
    assert display_names(people, anonymise=True) == {
        "kestrel": "Police 1",
        "owl": "Probation 1",
        "kite": "Police 2",
        "<b>x</b>": "Other 1",
    }
    assert display_names(people, anonymise=False)["<b>x</b>"] == "<b>x</b>"


def test_attendance_counts_joined_working_and_submitted_once_each():
    joined = [("a", "police"), ("b", "probation"), ("a", "police"), ("c", "probation")]
    drafts = [room_response(tid="b", agency="probation")]
    submitted = [
        room_response(tid="a"),
        room_response(tid="a"),
        room_response(tid="late", agency="police"),
    ]  # submitted without joining
    att = attendance(joined, drafts, submitted, anonymise=True)
    assert att.joined == {"police": 2, "probation": 2}
    assert att.in_progress == {"police": 0, "probation": 1}
    assert att.submitted == {"police": 2, "probation": 0} and att.total_submitted == 2
    assert [(p.label, p.status) for p in att.people] == [
        ("Police 1", "submitted"),
        ("Probation 1", "in progress"),
        ("Probation 2", "joined"),
        ("Police 2", "submitted"),
    ]


# -- the figure -------------------------------------------------------------------------------


@pytest.mark.parametrize("layout", ["side_by_side", "stacked"])
def test_the_distribution_figure_draws_both_layouts_before_and_after_reveal(layout):
    rs = [
        room_response(
            tid=f"t{i}", agency=("police", "probation", "other")[i % 3], ratings={"opportunity": i % 3}
        )
        for i in range(9)
    ]
    for key in (False, True):
        fig = rating_distribution_figure(room_of(rs, key=key), FW, layout=layout)
        texts = " ".join(t.get_text() for t in fig.findobj(lambda a: hasattr(a, "get_text")) if t.get_text())
        assert ("expert consensus" in texts) is key
        assert "Police (n=3)" in texts and "Opportunity" in texts
        assert figure_png(fig)[:4] == b"\x89PNG"


def test_a_bad_layout_is_refused():
    with pytest.raises(ValueError, match="layout='bars' is not valid"):
        rating_distribution_figure(room_of([room_response()]), FW, layout="bars")
