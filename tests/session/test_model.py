"""Does the session model read a session as the store holds it, notice exactly the changes a
trainer would see, and keep every trace of the answer key out of what is shown until reveal?

Plain pytest on a real store (the ``store`` fixture: SQLite, and PostgreSQL where available), the
shipped library (v01..v08) and responses built from the keys (tests/session/test_room.py).
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Iterator, Mapping

import pytest
from pydantic import BaseModel

from arms_training.content import AnswerKey
from arms_training.errors import SessionError
from arms_training.framework import framework_by_id
from arms_training.responses import Trainee
from arms_training.scoring.report import ScoreReport
from arms_training.scoring.rules import score
from arms_training.session.data import fingerprint, read_session, stored_scores
from arms_training.session.model import (
    DEFAULT_TRAINEE_URL,
    TRAINEE_URL_ENV,
    SessionModel,
    code_from_query,
    join_url,
    live_view,
    startable_cases,
)
from arms_training.session.survey import default_survey
from tests.factories import LIB, V01, room_response

FW = framework_by_id("arms-2018")
V02 = "v02-online-images"
SURVEY = default_survey()
KEY = LIB.keys[V01]
# Text only the key holds: a factor's rationale and the why of a contraindicated action.
RATIONALE = KEY.factors["opportunity"].rationale
CONTRA_WHY = KEY.plan.contraindicated[0].why


@pytest.fixture(autouse=True)
def no_trainee_url(monkeypatch):
    monkeypatch.delenv(TRAINEE_URL_ENV, raising=False)


def model_of(store, **kw) -> SessionModel:
    return SessionModel(store, library=LIB, **kw)


def submit(store, response, *, join=True):
    """What the exercise does: join, then store the scored submission."""
    if join:
        store.join_session(response.session_code, response.trainee)
    key, v = LIB.keys[response.vignette_id], LIB.vignettes[response.vignette_id]
    report = score(response, key, FW, vignette=v)
    store.submit(response, score=report.to_dict(), key_version=key.key_version, framework_version=FW.version)
    return report


def read(store, code):
    return read_session(store, code, LIB, framework_for=framework_by_id)


def reachable(obj, seen: set[int] | None = None) -> Iterator[object]:
    """Every object reachable from ``obj`` through dataclass fields, pydantic fields, mappings
    and sequences: what a view could put in a widget."""
    seen = set() if seen is None else seen
    if id(obj) in seen:
        return
    seen.add(id(obj))
    yield obj
    if isinstance(obj, str | bytes | int | float | bool) or obj is None:
        return
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        children = [getattr(obj, f.name) for f in dataclasses.fields(obj)]
    elif isinstance(obj, BaseModel):
        children = [getattr(obj, name) for name in type(obj).model_fields]
    elif isinstance(obj, Mapping):
        children = [*obj.keys(), *obj.values()]
    elif isinstance(obj, list | tuple | set | frozenset):
        children = list(obj)
    else:
        children = []
    for child in children:
        yield from reachable(child, seen)


def text_of(obj) -> str:
    return "\n".join(o for o in reachable(obj) if isinstance(o, str))


def full_session(store, *, revealed=False, anonymise=True):
    """A full-mode session on v01: six submissions that disagree, one picking a contraindicated
    action, so every key-derived part of the room would have something to show."""
    code = store.create_session([V01], mode="full", anonymise=anonymise).code
    for i in range(6):
        submit(
            store,
            room_response(
                tid=f"t{i}",
                agency=("police", "probation")[i % 2],
                mode="full",
                session_code=code,
                ratings={"opportunity": i % 3, "social_influences": i % 2},
                plan=["disclosure", KEY.plan.contraindicated[0].intervention],
            ),
        )
    if revealed:
        store.set_revealed(code, True)
    return code


# -- reading ------------------------------------------------------------------------------------


def test_a_session_is_read_with_its_participants_drafts_submissions_and_survey(store):
    code = store.create_session([V01, V02]).code
    store.join_session(code, Trainee(id="kite", agency="police"))
    store.join_session(code, Trainee(id="owl", agency="probation"))
    draft = room_response(tid="owl", agency="probation", session_code=code)
    store.save_draft(draft)
    done = room_response(tid="kite", session_code=code)
    submit(store, done, join=False)
    kite = Trainee(id="kite", agency="police")
    store.save_survey(code, kite, dict.fromkeys(SURVEY.statement_ids, 4), "Good")

    data, problems = read(store, code)
    assert problems == []
    assert data.session.code == code and data.session.vignette_ids == (V01, V02)
    assert list(data.participants) == [("kite", "police"), ("owl", "probation")]
    assert [r.response_id for r in data.drafts] == [draft.response_id]
    assert [r.response_id for r in data.responses] == [done.response_id]
    assert [(row["trainee_id"], row["comment"]) for row in data.survey_rows] == [("kite", "Good")]
    assert data.case_ids == [V01, V02] and set(data.frameworks) == {V01, V02}
    assert data.keys[V01] is LIB.keys[V01]  # for the CSV; what is shown is checked below
    assert data.names(anonymise=True) == {"kite": "Police 1", "owl": "Probation 1"}


def test_a_session_that_does_not_exist_is_a_session_error(store):
    with pytest.raises(SessionError, match="session ZZZZZZ no longer exists"):
        read(store, "ZZZZZZ")


def test_a_stored_response_that_no_longer_validates_is_left_out_with_one_problem(store, caplog):
    from arms_training.store import schema as t

    code = store.create_session([V01]).code
    made = [room_response(tid=f"pol-{i}", session_code=code) for i in range(2)]
    for r in made:
        submit(store, r)
    broken = made[0].to_json_dict() | {"mode": "sideways"}
    with store.engine.begin() as conn:
        conn.execute(
            t.submissions.update()
            .where(t.submissions.c.response_id == str(made[0].response_id))
            .values(response=broken)
        )
    data, problems = read(store, code)
    assert [r.response_id for r in data.responses] == [made[1].response_id]
    assert len(problems) == 1 and str(made[0].response_id) in problems[0].path

    heard = []
    model = model_of(store, on_unreadable=heard.append)
    model.open(code)
    with caplog.at_level(logging.WARNING, logger="arms_training.session"):
        model.poll()
        model.poll(force=True)  # the same record is not announced again
    assert len(heard) == 1 and list(heard[0]) == problems
    assert sum("stored response not readable" in m for m in caplog.messages) == 1


# -- what changed -------------------------------------------------------------------------------


def test_the_fingerprint_changes_exactly_when_something_shown_changes(store):
    code = store.create_session([V01]).code
    seen = [fingerprint(read(store, code)[0])]

    def changed() -> bool:
        fp = fingerprint(read(store, code)[0])
        seen.append(fp)
        return seen[-1] != seen[-2]

    assert not changed()  # nothing happened
    kite = Trainee(id="kite", agency="police")
    store.join_session(code, kite)
    assert changed()
    store.join_session(code, kite)  # joining again changes nobody's status
    assert not changed()
    draft = room_response(tid="kite", session_code=code, ratings={"opportunity": 0})
    store.save_draft(draft)
    assert changed()  # kite is now working
    store.save_draft(draft.model_copy(update={"ratings": {**draft.ratings, "opportunity": 2}}))
    assert not changed()  # a second autosave: still working, nothing shown differs
    submit(store, draft, join=False)
    assert changed()
    store.save_survey(code, kite, dict.fromkeys(SURVEY.statement_ids, 4))
    assert changed()
    store.set_revealed(code, True)
    assert changed()
    store.close_session(code)
    assert changed()
    assert not changed()


def test_poll_says_whether_to_redraw_and_keeps_the_snapshot_that_changed(store):
    code = store.create_session([V01]).code
    model = model_of(store)
    model.open(code)
    assert model.poll() is True and model.data is not None
    first = model.data
    assert model.poll() is False and model.data is first
    assert model.poll(force=True) is True
    submit(store, room_response(tid="kite", session_code=code))
    assert model.poll() is True and len(model.data.responses) == 1


# -- the key stays out until reveal --------------------------------------------------------------


def test_before_reveal_the_live_view_holds_nothing_of_the_key(store):
    code = full_session(store)
    model = model_of(store)
    model.open(code)
    model.poll()
    view = model.live_view()
    text = text_of(view)
    assert RATIONALE not in text and CONTRA_WHY not in text
    assert not any(isinstance(o, AnswerKey) for o in reachable(view))
    assert view.case is not None and view.case.room.n == 6 and not view.case.room.revealed
    room = view.case.room
    assert all(f.expected is None and not f.panel and f.rationale is None for f in room.factors)
    assert room.contraindicated == () and all(c.in_key is None for c in room.priorities)
    assert view.case.prompts and all(p.rationale is None and p.expected is None for p in view.case.prompts)


def test_after_reveal_the_live_view_has_the_key(store):
    code = full_session(store, revealed=True)
    model = model_of(store)
    model.open(code)
    model.poll()
    view = model.live_view()
    text = text_of(view)
    assert RATIONALE in text and CONTRA_WHY in text
    assert view.case is not None and view.case.room.revealed
    assert view.case.room.factor("opportunity").expected == KEY.ratings["opportunity"]


def test_reveal_and_hide_follow_the_store_so_two_trainers_agree(store):
    code = full_session(store)
    a, b = model_of(store), model_of(store)
    a.open(code)
    b.open(code)
    assert a.toggle_reveal().revealed is True
    b.poll()
    assert RATIONALE in text_of(b.live_view())
    assert b.toggle_reveal().revealed is False  # from what the store said, not a stale view
    a.poll()
    assert RATIONALE not in text_of(a.live_view())


def test_the_live_view_shows_the_chosen_case_the_banner_facts_and_the_survey(store, monkeypatch):
    monkeypatch.setenv(TRAINEE_URL_ENV, "https://arms.example/exercise")
    code = store.create_session([V01, V02], anonymise=False).code
    kite = Trainee(id="kite", agency="police")
    submit(store, room_response(tid="kite", session_code=code))
    store.save_survey(code, kite, dict.fromkeys(SURVEY.statement_ids, 5), "Useful")
    data, _ = read(store, code)
    view = live_view(data, case=V02, survey=SURVEY)
    assert view.url == f"https://arms.example/exercise?session={code}"
    assert view.case_titles == (LIB.vignettes[V01].title, LIB.vignettes[V02].title)
    assert view.n_submissions == 1 and view.attendance.total_submitted == 1
    assert view.case is not None and view.case.vignette.id == V02 and view.case.room.n == 0
    assert view.survey.summary.n == 1 and view.survey.names == {"kite": "kite"}
    assert live_view(data, case="not-installed", survey=SURVEY).case is None
    anonymised = dataclasses.replace(data, session=dataclasses.replace(data.session, anonymise=True))
    # Comments go by agency only when names are anonymised: a number could be matched to a seat.
    assert live_view(anonymised, case=V01, survey=SURVEY).survey.names is None


# -- sessions -----------------------------------------------------------------------------------


def test_starting_needs_a_case_and_opens_the_new_session_on_its_first_case(store):
    model = model_of(store)
    with pytest.raises(SessionError, match="choose at least one case"):
        model.start([], mode="quick", anonymise=True)
    assert store.list_sessions() == []
    opened = model.start([V02, V01], mode="full", anonymise=False, trainer="  T. Rainer ")
    s = store.get_session(opened.session.code)
    assert s.mode == "full" and not s.anonymise and s.trainer == "T. Rainer"
    assert model.code == s.code and model.case == V02
    assert opened.cases == ((LIB.vignettes[V02].title, V02), (LIB.vignettes[V01].title, V01))


def test_opening_takes_a_code_as_typed_and_says_what_is_missing(store):
    code = store.create_session([V01, "v99-not-installed"]).code
    model = model_of(store)
    with pytest.raises(SessionError, match="there is no training session with code ZZZZZZ"):
        model.open("ZZZZZZ")
    with pytest.raises(SessionError, match="not a session code"):
        model.open("O0-1I")
    assert model.code is None
    opened = model.open(f" {code[:3].lower()}-{code[3:].lower()} ")
    assert model.code == code and opened.missing == ("v99-not-installed",)
    assert opened.cases == ((LIB.vignettes[V01].title, V01),)


def test_closing_and_reopening_and_the_list_of_sessions(store):
    first = store.create_session([V01]).code
    second = store.create_session([V02, "v99-not-installed"], mode="full", trainer="Sam").code
    model = model_of(store)
    assert model.toggle_open() is None and model.toggle_reveal() is None  # nothing open
    model.open(first)
    assert model.toggle_open().status == "closed"
    rows = model.listing()
    assert [r.code for r in rows] == [second, first]
    assert rows[0].titles == f"{LIB.vignettes[V02].title}, v99-not-installed"
    assert rows[0].trainer == "Sam" and rows[0].mode == "full" and rows[0].created.endswith(" UTC")
    assert rows[1].status == "closed"
    assert model.toggle_open().status == "open"


def test_join_url_and_the_code_in_a_query(monkeypatch):
    assert join_url("ABC234") == DEFAULT_TRAINEE_URL + "?session=ABC234"
    monkeypatch.setenv(TRAINEE_URL_ENV, "https://arms.example/voila/render/exercise.ipynb?x=1")
    assert join_url("ABC234") == "https://arms.example/voila/render/exercise.ipynb?x=1&session=ABC234"
    assert join_url("ABC234", "http://h/e.ipynb?session=OLD") == "http://h/e.ipynb?session=ABC234"
    assert code_from_query("?session=abc234&x=1") == "abc234"
    assert code_from_query("x=1") is None and code_from_query(None) is None


def test_only_cases_with_a_key_can_start_a_session():
    cases = startable_cases(LIB)
    assert [v for _, v in cases] == [v for v in LIB.vignettes if v in LIB.keys]
    assert cases[0] == (f"{LIB.vignettes[cases[0][1]].title} ({cases[0][1]})", cases[0][1])


# -- the export and stored scores ---------------------------------------------------------------


def test_stored_scores_come_back_as_score_reports_the_latest_rescore_first(store, caplog):
    code = store.create_session([V01]).code
    a, b, c = (room_response(tid=t, session_code=code) for t in ("a", "b", "c"))
    report_a, report_b, _ = submit(store, a), submit(store, b), submit(store, c)
    rescored = dataclasses.replace(report_b, total=12.5)
    store.rescore(b.response_id, rescored.to_dict(), KEY.key_version, "answer key revised")
    store.rescore(c.response_id, {"total": 1.0}, KEY.key_version, "hand edit")  # not a report
    with caplog.at_level(logging.WARNING, logger="arms_training.session"):
        stored = stored_scores(store, code)
    assert stored == {str(a.response_id): report_a, str(b.response_id): rescored}
    assert all(isinstance(r, ScoreReport) for r in stored.values())
    assert any("stored score not readable" in m for m in caplog.messages)


def test_the_export_scores_every_submission_and_keeps_stored_scores_of_older_keys(store):
    code = store.create_session([V01]).code
    now = room_response(tid="now", session_code=code)
    submit(store, now)
    model = model_of(store)
    model.open(code)
    bundle = model.export()
    assert bundle.pack_filename == f"arms-session-{code}.html"
    assert bundle.csv_filename == f"arms-session-{code}-responses.csv"
    result = bundle.scores[str(now.response_id)]
    assert result.source == "scored" and result.report == bundle.data.stored_scores[str(now.response_id)]
    assert result.total == result.report.total
