"""Is the session evaluation stored as answered, summarised by agency, and shown safely?"""

from __future__ import annotations

import json

import ipywidgets as w
import pytest
from ipywidgets.widgets.widget import _instances

from arms_training.errors import ContentError
from arms_training.plots.session import figure_png, survey_figure
from arms_training.reports.session import comments_html, survey_table_html
from arms_training.responses import MAX_TEXT, Trainee
from arms_training.session.survey import (
    SURVEY_PATH,
    SurveyError,
    check_answers,
    default_survey,
    load_survey,
    summarise_survey,
)
from arms_training.store import Store, StoreError
from arms_training.ui.exercise.survey import SurveyView, survey_widgets
from tests.factories import room_response

SURVEY = default_survey()
POLICE = Trainee(id="kestrel", agency="police", role="offender manager")
PROBATION = Trainee(id="owl", agency="probation", role="probation officer")


@pytest.fixture(autouse=True)
def fresh_widgets():
    w.Widget.close_all()
    yield
    w.Widget.close_all()


@pytest.fixture
def store(tmp_path):
    s = Store(f"sqlite:///{tmp_path}/arms.sqlite")
    yield s
    s.close()


def all_answers(value: int = 4) -> dict[str, int]:
    return dict.fromkeys(SURVEY.statement_ids, value)


# -- the survey file --------------------------------------------------------------------------


def test_the_shipped_survey_has_the_delivery_statements_and_a_five_point_scale():
    assert [lv.label for lv in SURVEY.scale] == [
        "Strongly disagree",
        "Disagree",
        "Neither agree nor disagree",
        "Agree",
        "Strongly agree",
    ]
    assert {"multi_agency", "confident", "other_agency"} <= set(SURVEY.statement_ids)
    assert "multi-agency nature of ARMS" in SURVEY.statement("multi_agency").text
    assert SURVEY.comment_prompt and SURVEY.project_default


def test_a_bad_survey_file_names_the_field(tmp_path):
    text = SURVEY_PATH.read_text(encoding="utf-8")
    bad = tmp_path / "survey.yaml"
    bad.write_text(text.replace("  - {value: 5, label: Strongly agree}\n", ""), encoding="utf-8")
    with pytest.raises(ContentError, match="scale must list the values 1 to 5"):
        load_survey(bad)
    bad.write_text(text.replace("id: confident", "id: multi_agency"), encoding="utf-8")
    with pytest.raises(ContentError, match="duplicate statement id multi_agency"):
        load_survey(bad)


# -- answers ----------------------------------------------------------------------------------


def test_answers_are_checked_before_they_are_stored():
    answers, comment = check_answers(SURVEY, all_answers(), "  useful  ")
    assert answers == all_answers() and comment == "useful"
    with pytest.raises(SurveyError, match="please answer every statement \\(1 still"):
        check_answers(SURVEY, {**all_answers(), "confident": None})
    assert check_answers(SURVEY, {"confident": 2}, require_all=False)[0] == {"confident": 2}
    with pytest.raises(SurveyError, match="unknown survey statement 'nope'"):
        check_answers(SURVEY, {**all_answers(), "nope": 3})
    for bad in (0, 6, True, "4", 2.5):
        with pytest.raises(SurveyError, match="must be 1 to 5"):
            check_answers(SURVEY, {**all_answers(), "confident": bad})
    with pytest.raises(SurveyError, match="limit is"):
        check_answers(SURVEY, all_answers(), "x" * (MAX_TEXT + 1))
    with pytest.raises(SurveyError, match="at least one"):
        check_answers(SURVEY, {}, require_all=False)


# -- summary ----------------------------------------------------------------------------------


def test_shares_by_agency_and_overall():
    rows = [
        {
            "trainee_id": "p1",
            "agency": "police",
            "answers": {"confident": 5, "other_agency": 2},
            "comment": "",
        },
        {
            "trainee_id": "p2",
            "agency": "police",
            "answers": {"confident": 3, "other_agency": 1},
            "comment": "  More cases please  ",
        },
        {
            "trainee_id": "b1",
            "agency": "probation",
            "answers": {"confident": 4, "other_agency": 4, "retired": 5, "needs_met": 9},
            "comment": "",
        },
    ]
    s = summarise_survey(rows, SURVEY)
    assert s.n == 3 and s.agencies == ("police", "probation")
    assert s.n_by_agency == {"police": 2, "probation": 1}
    police = s.result("confident", "police")
    assert police.n == 2 and police.counts == {1: 0, 2: 0, 3: 1, 4: 0, 5: 1}
    assert (police.disagree, police.neutral, police.agree) == (0.0, 0.5, 0.5)
    assert s.result("other_agency", "police").disagree == 1.0
    overall = s.result("confident")
    assert overall.n == 3 and overall.agree == pytest.approx(2 / 3)
    assert s.result("needs_met", "probation").n == 0  # 9 is not on the scale
    assert s.comments == (("p2", "police", "More cases please"),)


def test_an_empty_survey_summarises_and_draws_a_message():
    s = summarise_survey([], SURVEY)
    assert s.n == 0 and s.agencies == () and s.result("confident").agree == 0.0
    assert figure_png(survey_figure(s, SURVEY))[:4] == b"\x89PNG"
    assert "No evaluation answers yet" in survey_table_html(s, SURVEY)


def test_diverging_bars_have_one_bar_per_statement_and_agency(store):
    code = store.create_session(["v01-new-partner"]).code
    store.save_survey(code, POLICE, all_answers(5))
    store.save_survey(code, PROBATION, all_answers(2), "<script>alert(1)</script>")
    s = summarise_survey(store.survey_rows(code), SURVEY)
    fig = survey_figure(s, SURVEY)
    labels = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert labels.count("Police (n=1)") == len(SURVEY.statements)
    assert labels.count("Probation (n=1)") == len(SURVEY.statements)
    bars = fig.axes[0].patches
    assert all(
        b.get_x() >= 0 for b in bars if b.get_facecolor()[:3] == (0x21 / 255, 0x66 / 255, 0xAC / 255)
    )  # "strongly agree" lies right of zero
    assert figure_png(fig)[:4] == b"\x89PNG"
    html = comments_html(s) + survey_table_html(s, SURVEY)
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "Probation:" in comments_html(s)  # by agency unless names are given
    assert "owl:" in comments_html(s, {"owl": "owl"})


# -- the trainee's survey view -----------------------------------------------------------------


def state_text() -> str:
    return json.dumps([x.get_state() for x in list(_instances.values())], default=str)


def test_the_view_saves_answers_and_a_comment_and_can_send_again(store):
    code = store.create_session(["v01-new-partner"]).code
    saved = []
    view = SurveyView(code, POLICE, store=store, on_saved=lambda a, c: saved.append((a, c)))
    assert "arms-survey" in view.widget._dom_classes
    for sid, buttons in view.answers.items():
        assert f"arms-survey-answer-{sid}" in buttons._dom_classes
        buttons.value = 4
    view.comment.value = '=HYPERLINK("http://x") <b>good</b>'
    view.send_button.click()
    (row,) = store.survey_rows(code)
    assert row["answers"] == all_answers(4) and row["agency"] == "police"
    assert row["comment"] == '=HYPERLINK("http://x") <b>good</b>'
    assert "saved" in view.messages.text and saved and view.send_button.description == "Send again"
    view.answers["confident"].value = 1
    assert view.send()
    assert store.survey_rows(code)[0]["answers"]["confident"] == 1
    assert len(store.survey_rows(code)) == 1


def test_missing_answers_say_so_and_store_nothing(store):
    code = store.create_session(["v01-new-partner"]).code
    view = SurveyView(code, POLICE, store=store)
    view.answers["confident"].value = 5
    view.send_button.click()
    assert "Please answer every statement" in view.messages.text
    assert store.survey_rows(code) == []


def test_a_closed_session_still_takes_the_survey_and_an_unknown_one_says_so(store):
    code = store.create_session(["v01-new-partner"]).code
    store.close_session(code)
    view = SurveyView(code, PROBATION, store=store)
    for b in view.answers.values():
        b.value = 3
    assert view.send() and len(store.survey_rows(code)) == 1
    lost = SurveyView("ZZZZZZ", PROBATION, store=store)
    for b in lost.answers.values():
        b.value = 3
    assert not lost.send() and "no training session with code ZZZZZZ" in lost.messages.text


def test_a_store_failure_keeps_the_answers_on_the_page(store):
    code = store.create_session(["v01-new-partner"]).code

    class Locked:
        def save_survey(self, *a, **k):
            raise StoreError("the training database is locked or unavailable: busy")

    view = SurveyView(code, POLICE, store=Locked())
    for b in view.answers.values():
        b.value = 2
    assert not view.send()
    assert "Not sent" in view.messages.text and view.values() == all_answers(2)


def test_the_exercise_hook_shows_the_survey_only_for_session_responses(store):
    code = store.create_session(["v01-new-partner"]).code
    (widget,) = survey_widgets(room_response(session_code=code), store)
    assert "arms-survey" in widget._dom_classes
    assert survey_widgets(room_response(session_code=None), store) == []


def test_statement_text_is_escaped_in_the_view(store, tmp_path):
    text = SURVEY_PATH.read_text(encoding="utf-8").replace(
        "I understand how the other agency uses ARMS.", "I understand <i>them</i> & ARMS."
    )
    path = tmp_path / "survey.yaml"
    path.write_text(text, encoding="utf-8")
    SurveyView("ABC234", POLICE, store=store, survey=load_survey(path))
    assert "<i>them</i>" not in state_text() and "&lt;i&gt;them&lt;/i&gt; &amp; ARMS" in state_text()
