"""Does the exercise state accept what a trainee may do, refuse what they may not, and say why?"""

from __future__ import annotations

import pytest

from arms_training.content import load_vignettes
from arms_training.exercise.state import (
    Exercise,
    InputError,
    make_trainee,
    parse_arrival,
    validate_trainee_id,
)
from arms_training.framework import framework_by_id
from arms_training.responses import MAX_TEXT, Trainee, new_response
from tests.factories import (
    Clock,
    secret_key_data,
    secret_vignette,
    secret_vignette_data,
    write_content,
)

FW = framework_by_id("arms-2018")


@pytest.fixture
def clock():
    return Clock()


def exercise(clock=None, *, mode="full", follow_up=True) -> Exercise:
    v = secret_vignette(follow_up=follow_up)
    r = new_response(Trainee(id="t1", agency="police"), v.id, v.version, FW.id, mode=mode)
    return Exercise(FW, v, r, **({"clock": clock} if clock else {}))


def complete_first_assessment(ex: Exercise) -> None:
    for f in FW.factor_ids:
        ex.set_rating(f, 1)
    ex.set_priorities(["opportunity"])
    ex.set_priority_level("medium")
    ex.add_action("home_visits")


# -- identity and arrival ------------------------------------------------------------------------
@pytest.mark.parametrize("good", ["blue-heron_7", "J. Smith", "Zoë 2", "a" * 40])
def test_trainee_id_accepts_pseudonyms(good):
    assert validate_trainee_id(f"  {good} ") == good


@pytest.mark.parametrize(
    "bad, words",
    [
        ("", "Enter a trainee id"),
        ("<script>alert(1)</script>", "only letters"),
        ("a" * 41, "at most 40"),
        ("x&y", "only letters"),
        ('"q"', "only letters"),
    ],
)
def test_trainee_id_refuses_markup_and_length(bad, words):
    with pytest.raises(InputError, match=words):
        validate_trainee_id(bad)


def test_trainee_needs_an_agency_and_plain_role():
    with pytest.raises(InputError, match="agency"):
        make_trainee("t1", "")
    with pytest.raises(InputError, match="plain words"):
        make_trainee("t1", "police", role="<b>boss</b>")
    assert make_trainee("t1", "probation", " PO ", "").role == "PO"


def test_arrival_reads_vignette_session_and_proxy_user():
    a = parse_arrival("?vignette=v01-new-partner&session=abc234", {"x-forwarded-user": "pat.smith"})
    assert (a.vignette_id, a.session_code, a.proxy_user, a.problems) == (
        "v01-new-partner",
        "ABC234",
        "pat.smith",
        (),
    )


def test_arrival_drops_bad_values_with_a_reason():
    a = parse_arrival("vignette=<x>&session=%3Cscript%3E", {"X-Forwarded-User": "<evil>"})
    assert a.vignette_id is None and a.session_code is None and a.proxy_user is None
    assert len(a.problems) == 3
    assert parse_arrival(None) == parse_arrival("")


def test_load_vignettes_never_reads_answer_keys(tmp_path, monkeypatch):
    write_content(tmp_path, [(secret_vignette_data(), secret_key_data())])
    (tmp_path / "answer_keys" / "broken.yaml").write_text(": not yaml [", encoding="utf-8")
    import arms_training.content as content

    real = content.read_document

    def read(path):
        assert "answer_keys" not in str(path), f"read {path}"
        return real(path)

    monkeypatch.setattr(content, "read_document", read)
    found, problems = load_vignettes(tmp_path)
    assert list(found) == ["t90-state"] and problems == []


# -- stages and time ------------------------------------------------------------------------------
def test_stages_follow_mode_and_follow_up():
    assert exercise().stages == ("gather", "rate", "prioritise", "level", "plan", "review")
    assert exercise(follow_up=False).stages[-1] == "plan"
    assert exercise(mode="quick").stages == ("gather", "rate", "prioritise")


def test_time_accumulates_per_stage(clock):
    ex = exercise(clock)
    clock.now += 30
    ex.go("rate")
    clock.now += 12.5
    ex.tick()
    clock.now += 5
    ex.go("gather")
    assert ex.response.stage_seconds == {"gather": 30.0, "rate": 17.5}


def test_gather_is_done_once_the_trainee_moves_on():
    ex = exercise()
    assert ex.status("gather") == "incomplete"
    ex.go("rate")
    assert ex.status("gather") == "done" and ex.status("rate") == "incomplete"


# -- rate -----------------------------------------------------------------------------------------
def test_ratings_evidence_and_notes():
    ex = exercise()
    ex.set_rating("opportunity", 2)
    ex.set_rating("sexual_preoccupation", "insufficient")
    ex.set_evidence("opportunity", ["h1", "p1"])
    ex.set_note("opportunity", "Lives alone.")
    r = ex.response
    assert r.ratings == {"opportunity": 2, "sexual_preoccupation": "insufficient"}
    assert r.evidence == {"opportunity": ["h1", "p1"]} and r.notes == {"opportunity": "Lives alone."}
    ex.set_rating("opportunity", None)
    ex.set_note("opportunity", "   ")
    assert "opportunity" not in r.ratings and r.notes == {}


def test_bad_rating_and_unknown_paragraph_are_refused():
    ex = exercise()
    with pytest.raises(InputError, match="Choose one of 0, 1, 2, insufficient"):
        ex.set_rating("opportunity", 3)
    with pytest.raises(InputError, match="Unknown paragraph f1"):
        ex.set_evidence("opportunity", ["f1"])  # follow-up paragraphs are not yet evidence


def test_a_huge_note_is_refused_and_the_old_one_kept():
    ex = exercise()
    ex.set_note("opportunity", "short")
    with pytest.raises(InputError, match=f"100,000 characters long; the limit is {MAX_TEXT:,}"):
        ex.set_note("opportunity", "x" * 100_000)
    assert ex.response.notes["opportunity"] == "short"


# -- prioritise and level -------------------------------------------------------------------------
def test_matrix_level_follows_the_priority():
    ex = exercise()
    assert ex.matrix_level() is None and ex.response.risk_management_level is None
    ex.set_priority_level("high")
    assert ex.response.risk_management_level == "high"  # medium static x high priority
    assert ex.visit_frequency("high") == "every 3 months"
    ex.set_priority_level("low")
    assert ex.response.risk_management_level == "low"


def test_override_needs_a_rationale():
    ex = exercise()
    ex.set_priority_level("medium")
    ex.choose_level("override", level="very_high")
    assert ex.response.risk_management_level is None
    assert ex.missing()["level"][0] == "give the rationale for overriding the matrix"
    ex.choose_level("override", rationale="Intelligence of grooming.")
    assert ex.response.risk_management_level == "very_high"
    assert ex.response.override_rationale == "Intelligence of grooming."
    ex.choose_level("matrix")
    assert (ex.response.risk_management_level, ex.response.override_rationale) == ("medium", None)


def test_priorities_keep_framework_order():
    ex = exercise()
    ex.set_priorities(["social_investment", "opportunity"])
    assert ex.response.priorities == ["opportunity", "social_investment"]


# -- plan -----------------------------------------------------------------------------------------
def test_plan_add_update_remove():
    ex = exercise()
    ex.set_priorities(["opportunity"])
    i = ex.add_action("home_visits")
    assert ex.response.plan[i].factors == ["opportunity"]  # prefilled from priorities
    ex.update_action(
        i,
        objective="Check the address",
        owner="police",
        review_weeks=12,
        factors=["commitment_to_desist", "opportunity"],
    )
    a = ex.response.plan[i]
    assert (a.objective, a.owner, a.review_weeks) == ("Check the address", "police", 12)
    assert a.factors == ["opportunity", "commitment_to_desist"]
    j = ex.add_action("other")
    ex.update_action(j, label="Meet his employer")
    ex.remove_action(i)
    assert [a.label for a in ex.response.plan] == ["Meet his employer"]


def test_plan_refuses_bad_input_with_messages():
    ex = exercise()
    with pytest.raises(InputError, match="catalogue"):
        ex.add_action("teleport")
    ex.add_action("curfew")
    with pytest.raises(InputError, match="limit is"):
        ex.update_action(0, rationale="y" * (MAX_TEXT + 1))
    with pytest.raises(InputError, match="Action 1"):
        ex.update_action(0, review_weeks=500)
    with pytest.raises(InputError, match="no longer in the plan"):
        ex.update_action(5, objective="x")


# -- review and what is missing -------------------------------------------------------------------
def test_missing_items_per_stage():
    ex = exercise()
    missing = ex.missing()
    assert set(missing) == {"rate", "prioritise", "level", "plan", "review"}
    assert missing["review"] == ["complete the plan, then open the next visit"]
    assert len(missing["rate"]) == len(FW.factors)
    quick = exercise(mode="quick")
    assert set(quick.missing()) == {"rate", "prioritise"}


def test_follow_up_opens_only_after_the_plan_and_fixes_the_first_assessment():
    ex = exercise()
    with pytest.raises(InputError, match="Complete the ratings"):
        ex.reveal_follow_up()
    complete_first_assessment(ex)
    assert ex.can_reveal()
    ex.reveal_follow_up()
    assert ex.revealed and ex.response.follow_up.ratings == ex.response.ratings
    with pytest.raises(InputError, match="fixed"):
        ex.set_rating("opportunity", 2)
    with pytest.raises(InputError, match="fixed"):
        ex.add_action("curfew")
    ex.set_follow_up_rating("opportunity", 2)
    ex.set_significant_change(True)
    assert "review" in ex.missing()
    ex.set_follow_up_level("high")
    assert ex.missing() == {}


def test_follow_up_fields_need_the_visit_open():
    ex = exercise()
    with pytest.raises(InputError, match="Open the next visit"):
        ex.set_significant_change(True)
    with pytest.raises(InputError, match="no follow-up"):
        exercise(follow_up=False).reveal_follow_up()


def test_resume_point_is_the_first_unfinished_stage():
    ex = exercise()
    assert ex.resume_point() == "gather"
    for f in FW.factor_ids:
        ex.set_rating(f, 0)
    assert ex.resume_point() == "prioritise"
    complete_first_assessment(ex)
    assert ex.resume_point() == "review"
    ex.reveal_follow_up()
    ex.set_significant_change(False)
    ex.set_follow_up_level("medium")
    assert ex.resume_point() == "review"


def test_resumed_override_is_recognised():
    ex = exercise()
    ex.set_priority_level("low")
    ex.choose_level("override", level="high", rationale="why")
    again = Exercise(FW, ex.vignette, ex.response)
    assert (again.level_mode, again.override_level) == ("override", "high")
