"""Does the trainer's session app start, show and export a joint session correctly, keep the key
off the projector until reveal, and survive bad input?

Plain pytest: set ``.value``, click, read widget state. A real SQLite store on tmp_path, the
shipped library (v01..v08) and responses built from the keys (tests/session/test_room.py).
"""

from __future__ import annotations

import asyncio
import base64
import csv
import io
import json
import re
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace

import ipywidgets as w
import nbformat
import pytest
from ipywidgets.widgets.widget import _instances

from arms_training.framework import framework_by_id
from arms_training.reports.session import score_responses
from arms_training.responses import Trainee
from arms_training.scoring.rules import score
from arms_training.store import SessionError, Store, StoreError
from arms_training.ui.exercise.app import ExerciseApp
from arms_training.ui.session.app import (
    DEFAULT_TRAINEE_URL,
    TRAINEE_URL_ENV,
    LiveTimer,
    SessionApp,
    join_url,
)
from tests.factories import LIB, REPO, V01, room_response

V02 = "v02-online-images"
FW = framework_by_id("arms-2018")
XSS = "<img src=x onerror=alert(1)>"
FORMULA = '=HYPERLINK("http://evil.example","click")'


@pytest.fixture(autouse=True)
def fresh_widgets(monkeypatch):
    monkeypatch.delenv(TRAINEE_URL_ENV, raising=False)
    w.Widget.close_all()
    yield
    w.Widget.close_all()


@pytest.fixture
def db(tmp_path) -> str:
    return f"sqlite:///{tmp_path}/arms.sqlite"


@pytest.fixture
def store(db):
    s = Store(db)
    yield s
    s.close()


def make_app(store, **kw) -> SessionApp:
    return SessionApp(store=store, library=LIB, **kw)


def started(store, cases=(V01,), mode="quick", anonymise=True, **kw) -> SessionApp:
    app = make_app(store, **kw)
    app.cases.value = tuple(cases)
    app.mode.value = mode
    app.names.value = anonymise
    app.trainer.value = "T. Rainer"
    app.start_button.click()
    assert app.code is not None, app.messages.text
    return app


def submit(store, response, *, join=True):
    """What the exercise does: join, then store the scored submission."""
    if join:
        store.join_session(response.session_code, response.trainee)
    key, v = LIB.keys[response.vignette_id], LIB.vignettes[response.vignette_id]
    report = score(response, key, FW, vignette=v).to_dict()
    return store.submit(response, score=report, key_version=key.key_version, framework_version=FW.version)


def state_text() -> str:
    """Every live widget's state, as the browser could read it."""
    return json.dumps([x.get_state() for x in list(_instances.values())], default=str)


def key_snippets(vid=V01) -> list[str]:
    key = LIB.keys[vid]
    out = [f.rationale[:50] for f in key.factors.values()]
    out += [c.why[:50] for c in key.plan.contraindicated]
    return out


def download(app, css: str) -> bytes:
    m = re.search(
        rf'class="{css}" download="[^"]+" href="data:[^;]+;[^,]*base64,([^"]+)"', app.downloads.value
    )
    assert m, app.downloads.value[:300]
    return base64.b64decode(m.group(1))


# -- starting and opening -----------------------------------------------------------------------


def test_join_url_uses_the_environment_and_keeps_other_parameters(monkeypatch):
    assert join_url("ABC234") == DEFAULT_TRAINEE_URL + "?session=ABC234"
    monkeypatch.setenv(TRAINEE_URL_ENV, "https://arms.example/voila/render/exercise.ipynb?x=1")
    assert join_url("ABC234") == "https://arms.example/voila/render/exercise.ipynb?x=1&session=ABC234"
    assert join_url("ABC234", "http://h/e.ipynb?session=OLD") == "http://h/e.ipynb?session=ABC234"


def test_starting_a_session_stores_its_settings_and_shows_code_url_and_qr(store, monkeypatch):
    monkeypatch.setenv(TRAINEE_URL_ENV, "https://arms.example/exercise")
    app = started(store, cases=(V01, V02), mode="full", anonymise=False)
    s = store.get_session(app.code)
    assert s.vignette_ids == (V01, V02) and s.mode == "full" and not s.anonymise
    assert s.trainer == "T. Rainer" and s.is_open and not s.revealed
    assert f'class="arms-session-code">{app.code}<' in app.banner.value
    assert f"https://arms.example/exercise?session={app.code}" in app.banner.value
    assert app.qr.value[:4] == b"\x89PNG" and app.tabs.selected_index == 1
    assert app.case_toggle.options == ((LIB.vignettes[V01].title, V01), (LIB.vignettes[V02].title, V02))
    assert f"Session {app.code} started" in app.messages.text


def test_starting_without_a_case_says_so(store):
    app = make_app(store)
    app.start_button.click()
    assert "Choose at least one case" in app.messages.text and store.list_sessions() == []


def test_a_wrong_or_malformed_code_is_a_clear_message(store):
    app = make_app(store)
    app.code_input.value = "ZZZZZZ"
    app.open_code_button.click()
    assert "There is no training session with code ZZZZZZ." in app.messages.text
    app.code_input.value = "O0-1I"
    app.open_code_button.click()
    assert "not a session code" in app.messages.text and app.code is None
    code = store.create_session([V01]).code
    app.code_input.value = f" {code[:3].lower()}-{code[3:].lower()} "
    app.open_code_button.click()
    assert app.code == code


def test_past_sessions_are_listed_newest_first_and_open_from_the_list(store):
    first = store.create_session([V01]).code
    second = store.create_session([V02], mode="full").code
    store.close_session(first)
    app = make_app(store)
    rows = app.past.children
    assert [r.children[1]._dom_classes[-1] for r in rows] == [
        f"arms-session-open-{second}",
        f"arms-session-open-{first}",
    ]
    assert "closed" in rows[1].children[0].value
    rows[1].children[1].click()
    assert app.code == first and "closed: nobody new can join" in app.banner.value
    assert app.close_button.description == "Reopen session"


def test_from_environment_opens_the_session_in_the_query(store):
    code = store.create_session([V01]).code
    app = SessionApp.from_environment({"QUERY_STRING": f"session={code}"}, store=store, library=LIB)
    assert app.code == code


# -- the live view ------------------------------------------------------------------------------


def test_a_session_with_no_submissions_says_so_without_crashing(store):
    app = started(store)
    assert "Nobody has joined yet" in app.attendance.value
    assert "No submissions yet" in app.chart_note.value and app.chart.value == b""
    assert "No prompts yet" in app.prompts.value
    assert "No submissions yet" in app.choices.value
    assert "0 submissions" in app.updated.value
    app.export_button.click()
    assert "from 0 submissions" in app.downloads.value
    pack = download(app, "arms-session-download-html").decode()
    assert "ARMS joint session" in pack


def test_the_view_updates_from_the_store_and_only_redraws_on_change(store):
    app = started(store)
    code = app.code
    store.join_session(code, Trainee(id="kite", agency="police"))
    assert app.refresh() is True
    assert "<th>Joined</th><td>1</td>" in app.attendance.value
    assert app.refresh() is False and app.stats.renders == 2  # open, then the join
    r = room_response(tid="kite", agency="police", session_code=code, ratings={"opportunity": 2})
    store.save_draft(r)
    assert app.refresh() is True and "<th>Working</th><td>1</td>" in app.attendance.value
    submit(store, r)
    assert app.refresh() is True
    assert "<th>Submitted</th><td>1</td>" in app.attendance.value
    assert app.chart.value[:4] == b"\x89PNG" and app.chart_note.value == ""
    assert "1 submission " in app.updated.value


def test_names_are_anonymised_on_screen_when_the_session_says_so(store):
    app = started(store, anonymise=True)
    for i, agency in enumerate(("police", "probation", "police")):
        submit(store, room_response(tid=f"secret-name-{i}", agency=agency, session_code=app.code))
    app.refresh()
    assert "Police 2" in app.people.value and "Probation 1" in app.people.value
    assert "secret-name" not in state_text()


def test_markup_in_a_pseudonym_is_escaped_everywhere(store):
    app = started(store, anonymise=False)
    submit(store, room_response(tid=XSS, agency="police", role="<b>OM</b>", session_code=app.code))
    submit(store, room_response(tid=FORMULA, agency="probation", session_code=app.code))
    store.save_survey(
        app.code,
        Trainee(id=XSS, agency="police"),
        dict.fromkeys(app.survey.statement_ids, 4),
        "</li><script>x</script>",
    )
    app.refresh()
    text = state_text()
    assert XSS not in text and "&lt;img src=x onerror=alert(1)&gt;" in app.people.value
    assert "<script>" not in text
    app.pseudonyms.value = True
    app.export_button.click()
    pack = download(app, "arms-session-download-html").decode()
    assert XSS not in pack and "<script>x" not in pack and "&lt;img src=x" in pack
    rows = list(csv.DictReader(io.StringIO(download(app, "arms-session-download-csv").decode("utf-8-sig"))))
    by_agency = {r["agency"]: r for r in rows}
    assert by_agency["probation"]["trainee"] == "'" + FORMULA
    assert by_agency["police"]["trainee"] == XSS and by_agency["police"]["role"] == "<b>OM</b>"


# -- reveal -------------------------------------------------------------------------------------


def test_nothing_of_the_key_reaches_the_page_before_reveal(store):
    app = started(store, mode="full")
    for i in range(6):
        submit(
            store,
            room_response(
                tid=f"t{i}",
                agency=("police", "probation")[i % 2],
                mode="full",
                session_code=app.code,
                ratings={"opportunity": i % 3, "social_influences": i % 2},
                plan=["disclosure", "overt_police_activity"],
            ),
        )
    app.refresh()
    text = state_text()
    for snippet in key_snippets():
        assert snippet not in text
    assert "Expert panel" not in text and app.key_table.value == ""
    assert "Contraindicated" not in app.choices.value and "<th>Key</th>" not in app.choices.value
    assert app.reveal_button.description == "Reveal key"
    app.export_button.click()
    pack = download(app, "arms-session-download-html").decode()
    assert all(s not in pack for s in key_snippets()) and "key not revealed" in pack

    app.reveal_button.click()
    assert store.get_session(app.code).revealed
    rationale = LIB.keys[V01].factors["opportunity"].rationale
    assert rationale[:50] in app.key_table.value and "Expert panel" in app.prompts.value
    assert "Contraindicated actions someone chose" in app.choices.value
    assert app.reveal_button.description == "Hide key"
    app.reveal_button.click()
    assert app.key_table.value == "" and rationale[:50] not in app.prompts.value


def test_two_trainers_on_one_session_stay_consistent(db):
    with Store(db) as s1, Store(db) as s2:
        a = started(s1)
        b = make_app(s2, session_code=a.code)
        submit(s1, room_response(tid="kite", session_code=a.code))
        a.reveal_button.click()
        rationale = LIB.keys[V01].factors["opportunity"].rationale[:50]
        assert b.key_table.value == "" and b.refresh() is True
        assert rationale in b.key_table.value
        assert b.reveal_button.description == "Hide key"
        b.close_button.click()
        assert a.refresh() is True and "closed: nobody new can join" in a.banner.value
        assert a.close_button.description == "Reopen session"
        a.close_button.click()
        assert b.refresh() and "arms-session-status-open" in b.banner.value
        # Both toggled from what the store said, not from a stale view.
        b.reveal_button.click()
        a.reveal_button.click()
        assert s1.get_session(a.code).revealed


def test_a_closed_session_refuses_new_trainees_and_the_exercise_says_so(store):
    app = started(store)
    app.close_button.click()
    with pytest.raises(SessionError, match="is closed"):
        store.join_session(app.code, Trainee(id="late", agency="police"))
    ex = ExerciseApp(store=store, query=f"session={app.code}", autosave_seconds=0)
    assert f"Training session {app.code} is closed" in ex.messages.text


# -- submissions --------------------------------------------------------------------------------


def test_a_trainee_joining_and_submitting_twice_counts_once_and_loses_nothing(store):
    app = started(store)
    t = Trainee(id="kite", agency="police")
    assert store.join_session(app.code, t) == store.join_session(app.code.lower(), t)
    first = room_response(tid="kite", session_code=app.code, ratings={"opportunity": 0})
    again = room_response(tid="kite", session_code=app.code, ratings={"opportunity": 2})
    submit(store, first)
    submit(store, first)  # a double click: idempotent
    submit(store, again)
    app.refresh()
    assert "<th>Joined</th><td>1</td>" in app.attendance.value
    assert "<th>Submitted</th><td>1</td>" in app.attendance.value
    app.export_button.click()
    rows = list(csv.DictReader(io.StringIO(download(app, "arms-session-download-csv").decode("utf-8-sig"))))
    assert sorted(r["response_id"] for r in rows) == sorted([str(first.response_id), str(again.response_id)])


def test_the_csv_scores_match_the_shared_scoring_module(store):
    app = started(store, mode="full")
    responses = [
        room_response(
            tid=f"t{i}",
            agency=("police", "probation")[i % 2],
            mode="full",
            session_code=app.code,
            ratings={"opportunity": i % 3},
            plan=["disclosure", "home_visits"][: 1 + i % 2],
        )
        for i in range(4)
    ]
    for r in responses:
        submit(store, r)
    app.export_button.click()
    rows = {
        r["response_id"]: r
        for r in csv.DictReader(io.StringIO(download(app, "arms-session-download-csv").decode("utf-8-sig")))
    }
    stored = {r["response_id"]: r["total"] for r in store.submission_rows(session_code=app.code)}
    for r in responses:
        row = rows[str(r.response_id)]
        assert row["score_source"] == "scored" and row["trainee"].startswith(("Police", "Probation"))
        assert float(row["total"]) == pytest.approx(stored[str(r.response_id)], abs=0.01)
        assert row["rating_opportunity"] == str(r.ratings["opportunity"])


def test_a_response_scored_against_an_older_key_keeps_its_stored_score(store):
    app = started(store)
    r = room_response(session_code=app.code)
    submit(store, r)
    data = app.model.read()
    old = r.model_copy(update={"key_version": 99})
    was = replace(score(r, LIB.keys[V01], FW, vignette=LIB.vignettes[V01]), total=12.5)
    result = score_responses(replace(data, responses=[old], stored_scores={str(r.response_id): was}))
    assert result[str(r.response_id)].source == "stored"
    assert result[str(r.response_id)].total == 12.5 and result[str(r.response_id)].report is was


def test_the_pack_has_charts_prompts_and_pseudonyms_only_on_request(store):
    app = started(store, cases=(V01, V02), anonymise=False)
    for i in range(4):
        submit(
            store,
            room_response(
                tid=f"heron-{i}",
                agency=("police", "probation")[i % 2],
                session_code=app.code,
                ratings={"opportunity": i % 3},
            ),
        )
    app.reveal_button.click()
    app.export_button.click()
    pack = download(app, "arms-session-download-html").decode()
    assert pack.count('src="data:image/png;base64,') >= 1
    assert "Discussion prompts" in pack and "heron-0" not in pack and "Police 1" in pack
    assert LIB.vignettes[V02].title in pack and "Expert panel" in pack
    app.pseudonyms.value = True
    app.export_button.click()
    assert "heron-0" in download(app, "arms-session-download-html").decode()


def test_survey_results_appear_for_the_trainer_by_agency(store):
    app = started(store)
    answers = dict.fromkeys(app.survey.statement_ids, 5)
    store.save_survey(app.code, Trainee(id="kite", agency="police"), answers, "Very useful")
    store.save_survey(
        app.code, Trainee(id="owl", agency="probation"), dict.fromkeys(app.survey.statement_ids, 2)
    )
    assert app.refresh() is True
    assert app.survey_chart.value[:4] == b"\x89PNG"
    assert "Police agree" in app.survey_table.value and "100%" in app.survey_table.value
    assert "Police:</b> Very useful" in app.comments.value  # anonymised: agency only


def test_thirty_participants_submitting_at_once_are_all_counted(db):
    """The load test's behaviour: nothing lost when thirty kernels submit together."""
    with Store(db) as trainer_store:
        app = started(trainer_store, mode="quick")
        code = app.code
        responses = [
            room_response(
                tid=f"trainee-{i:02d}",
                agency=("police", "probation")[i % 2],
                session_code=code,
                ratings={"opportunity": i % 3},
            )
            for i in range(30)
        ]
        barrier = threading.Barrier(30)

        def participant(r):
            with Store(db) as own:  # every Voila page is its own kernel and engine
                barrier.wait()
                own.join_session(code, r.trainee)
                own.save_draft(r)
                return submit(own, r, join=False).created

        with ThreadPoolExecutor(30) as pool:
            assert all(pool.map(participant, responses))
        assert app.refresh() is True
        assert "<th>Submitted</th><td>15</td><td>15</td><td><b>30</b>" in app.attendance.value
        assert "<th>Working</th><td>0</td><td>0</td><td><b>0</b>" in app.attendance.value
        assert len(trainer_store.submitted_responses(session_code=code)) == 30
        assert app.refresh() is False


def test_a_database_failure_during_refresh_is_shown_and_the_view_keeps_going(store):
    app = started(store)

    class Broken:
        def __getattr__(self, name):
            def fail(*a, **k):
                raise StoreError("the training database is locked or unavailable: busy")

            return fail

    app.model.store = Broken()
    assert app.refresh() is False and "Could not read the training database" in app.updated.value
    app.model.store = store
    assert app.refresh() is False and "Could not read" not in app.updated.value
    assert "0 submissions" in app.updated.value


def test_a_stored_response_that_no_longer_validates_is_left_out_and_said_once(store):
    from arms_training.store import schema as t

    app = started(store, anonymise=False)
    made = [room_response(tid=f"pol-{i}", session_code=app.code) for i in range(2)]
    for r in made:
        submit(store, r)
    broken = made[0].to_json_dict() | {"mode": "sideways"}
    with store.engine.begin() as conn:
        conn.execute(
            t.submissions.update()
            .where(t.submissions.c.response_id == str(made[0].response_id))
            .values(response=broken)
        )
    assert app.refresh(force=True)
    assert [str(r.response_id) for r in app.data.responses] == [str(made[1].response_id)]
    assert "1 stored response of this session could not be read" in app.messages.text
    app.messages.clear()
    app.refresh(force=True)  # the same problem is not announced on every refresh
    assert app.messages.text == ""


# -- the exercise in a session ------------------------------------------------------------------


def test_the_exercise_joins_my_session_and_its_response_reaches_the_view(store):
    app = started(store, cases=(V01,), mode="quick")
    ex = ExerciseApp(store=store, query=f"session={app.code.lower()}", autosave_seconds=0)
    s = ex.start_screen
    assert s.mode.value == "quick" and s.mode.disabled and list(s.cards) == [V01]
    s.trainee_id.value, s.agency.value = "blue heron 7", "probation"
    s.start.click()
    assert ex.ex.response.session_code == app.code
    app.refresh()
    assert "<th>Working</th><td>1</td>" in app.attendance.value
    ex.go("rate")
    for fr in ex.view.factors.values():
        fr.rating.value = 1
    ex.go("prioritise")
    ex.view.level.value = "medium"
    ex.submit_button.click()
    assert ex.submitted, ex.messages.text
    (r,) = store.submitted_responses(session_code=app.code)
    assert r.trainee.id == "blue heron 7" and r.mode == "quick"
    assert app.refresh() is True and "<th>Submitted</th><td>1</td>" in app.attendance.value
    # In a session the exercise shows the end-of-session survey after the feedback.
    survey = ex.feedback.widget.children[-1]
    assert "arms-survey" in survey._dom_classes
    for row in survey.children:
        if "arms-survey-statement" in row._dom_classes:
            row.children[1].value = 4
    next(c for c in survey.children if "arms-survey-send" in c._dom_classes).click()
    (row,) = store.survey_rows(app.code)
    assert row["trainee_id"] == "blue heron 7" and row["agency"] == "probation"
    assert app.refresh() is True and "Probation agree" in app.survey_table.value


# -- the timer and the notebook ------------------------------------------------------------------


def test_the_live_timer_ticks_on_the_event_loop_and_survives_a_failing_tick():
    calls = []

    def tick():
        calls.append(threading.current_thread().name)
        if len(calls) == 1:
            raise RuntimeError("boom")

    timer = LiveTimer(tick, 0.01)
    assert timer.start() is False  # no running loop: nothing scheduled

    async def main():
        assert timer.start() and timer.running
        await asyncio.sleep(0.1)
        timer.stop()

    asyncio.run(main())
    assert len(calls) >= 3 and set(calls) == {threading.current_thread().name}
    with pytest.raises(ValueError, match="interval=0 is not valid"):
        LiveTimer(tick, 0)


def test_the_app_refreshes_itself_inside_an_event_loop(store):
    async def main():
        app = started(store, refresh_seconds=0.02)
        assert app.timer.running
        submit(store, room_response(tid="kite", session_code=app.code))
        for _ in range(100):
            await asyncio.sleep(0.02)
            if "<th>Submitted</th><td>1</td>" in app.attendance.value:
                break
        app.close()
        return app

    app = asyncio.run(main())
    assert "<th>Submitted</th><td>1</td>" in app.attendance.value and not app.timer.running


def test_css_classes_for_the_browser_test(store):
    started(store)
    classes = {c for x in _instances.values() for c in getattr(x, "_dom_classes", ())}
    for css in (
        "arms-session-app",
        "arms-session-tabs",
        "arms-session-cases",
        "arms-session-mode",
        "arms-session-names",
        "arms-session-start",
        "arms-session-code-input",
        "arms-session-open-code",
        "arms-session-past",
        "arms-session-banner",
        "arms-session-qr",
        "arms-session-reveal",
        "arms-session-close",
        "arms-session-refresh",
        "arms-session-auto",
        "arms-session-layout",
        "arms-session-case",
        "arms-session-attendance",
        "arms-session-chart",
        "arms-session-rationale",
        "arms-session-prompts",
        "arms-session-choices",
        "arms-session-pseudonyms",
        "arms-session-export",
        "arms-session-downloads",
        "arms-session-survey",
        "arms-session-survey-chart",
        "arms-session-message",
        "arms-session-updated",
    ):
        assert css in classes, css


def test_notebook_is_small_and_has_no_outputs():
    nb = nbformat.read(REPO / "notebooks" / "staff" / "session.ipynb", as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    lines = [ln for c in code for ln in c.source.splitlines() if ln.strip()]
    assert len(lines) <= 4 and "SessionApp.from_environment()" in "\n".join(lines)
    assert all(c.outputs == [] and c.execution_count is None for c in code)


def test_notebook_runs_in_a_kernel(tmp_path, monkeypatch):
    from nbclient import NotebookClient

    monkeypatch.setenv("ARMS_TRAINING_DB_URL", f"sqlite:///{tmp_path}/nb.sqlite")
    monkeypatch.setenv("QUERY_STRING", "session=ZZZZZZ")
    nb = nbformat.read(REPO / "notebooks" / "staff" / "session.ipynb", as_version=4)
    NotebookClient(
        nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
    ).execute()
    outputs = nb.cells[-1].outputs
    assert outputs and all(o.output_type != "error" for o in outputs)
    assert "application/vnd.jupyter.widget-view+json" in outputs[-1]["data"]
