"""Does the trainee exercise page behave for a trainee, and keep the key from them until submit?

Plain pytest: set ``.value``, click, read ``.children`` and widget state. The content is a small
fictional case written to a temporary folder; the store is a real SQLite file.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import re
import subprocess
import sys
import textwrap

import ipywidgets as w
import pytest
from ipywidgets.widgets.widget import _instances

from arms_training.content import load_key_for
from arms_training.errors import Problem, ScoringError
from arms_training.stages import STAGE_IDS
from arms_training.store import Store, StoreError
from arms_training.ui.components import annotate, case_file_html
from arms_training.ui.exercise import app as exercise_module
from arms_training.ui.exercise.app import ExerciseApp
from tests.factories import (
    FW,
    REPO,
    SECRET,
    secret_key_data,
    secret_vignette,
    secret_vignette_data,
    write_content,
)

FULL, PLAIN = "t91-full", "t92-plain"
LOCKED = (
    "the training database is locked or unavailable: database is locked; your draft is "
    "kept in this page, try again"
)


@pytest.fixture(autouse=True)
def fresh_widgets():
    w.Widget.close_all()
    yield
    w.Widget.close_all()


@pytest.fixture
def content(tmp_path, monkeypatch):
    root = tmp_path / "content"
    write_content(
        root,
        [
            (secret_vignette_data(FULL), secret_key_data(FULL)),
            (secret_vignette_data(PLAIN, follow_up=False), secret_key_data(PLAIN, follow_up=False)),
        ],
    )
    monkeypatch.setenv("ARMS_TRAINING_CONTENT", str(root))
    return root


@pytest.fixture
def store(tmp_path):
    s = Store(f"sqlite:///{tmp_path}/arms.sqlite")
    yield s
    s.close()


class Flaky:
    """A store whose named methods fail as a locked database does."""

    def __init__(self, real: Store) -> None:
        self.real, self.failing, self.calls = real, set(), []

    def __getattr__(self, name):
        attr = getattr(self.real, name)

        def call(*args, **kwargs):
            self.calls.append(name)
            if name in self.failing:
                raise StoreError(LOCKED)
            return attr(*args, **kwargs)

        return call if callable(attr) else attr


class KeySpy:
    def __init__(self) -> None:
        self.calls: list[str] = []

    def __call__(self, vignette_id):
        self.calls.append(vignette_id)
        return load_key_for(vignette_id)


def make_app(store, **kw) -> ExerciseApp:
    return ExerciseApp(store=store, autosave_seconds=0, **kw)


def start(app, vid=FULL, tid="heron 7", agency="police", mode="full"):
    s = app.start_screen
    s.trainee_id.value, s.agency.value, s.mode.value = tid, agency, mode
    s.choose(vid)
    s.start.click()
    return app.ex


def classes(widget) -> list[str]:
    return list(widget._dom_classes)


def state_text() -> str:
    """Every live widget's state, as the browser could read it."""
    return json.dumps([x.get_state() for x in list(_instances.values())], default=str)


def rate_all(app, value=1):
    app.go("rate")
    for fr in app.view.factors.values():
        fr.rating.value = value


def do_full_first_assessment(app):
    rate_all(app)
    app.view.factors["opportunity"].evidence.value = ("h1", "p1")
    app.go("prioritise")
    app.view.boxes["opportunity"].value = True
    app.view.level.value = "medium"
    app.go("level")
    app.go("plan")
    app.view.catalogue.value = "home_visits"
    app.view.add.click()
    ed = app.view.editors[0]
    ed.objective.value, ed.enforcement.value = "Check who is there", "Unannounced"
    ed.rationale.value, ed.owner.value, ed.review.value = "Least intrusive", "police", 12


def do_review(app):
    app.go("review")
    app.view.reveal.click()
    app.view.significant.value = True
    app.view.ratings["opportunity"].value = 2
    app.view.level.value = "high"


# -- start ----------------------------------------------------------------------------------------
def test_markup_in_trainee_id_is_refused_in_the_page(content, store):
    app = make_app(store)
    start(app, tid="<script>alert(1)</script>")
    assert app.ex is None
    text = app.start_screen.messages.text
    assert "only letters, digits" in text and "<script>" not in text
    assert "arms-message" in classes(app.start_screen.messages.widget)


def test_start_needs_agency_and_case(content, store):
    app = make_app(store)
    app.start_screen.trainee_id.value = "heron"
    app.start_screen.start.click()
    assert "Choose your agency" in app.start_screen.messages.text
    app.start_screen.agency.value = "probation"
    app.start_screen.start.click()
    assert "Choose a case" in app.start_screen.messages.text and app.ex is None


def test_cards_show_title_difficulty_minutes_focus_escaped(content, store):
    app = make_app(store)
    card = app.start_screen.cards[FULL]
    html = card.children[0].value
    assert "A test case &lt;b&gt;bold&lt;/b&gt;" in html and "<b>bold" not in html
    assert "Introductory" in html and "about 20 minutes" in html and "Reading &amp; rating" in html
    assert "arms-card" in classes(card) and f"arms-card-{FULL}" in classes(card)


def test_url_vignette_preselects_and_unknown_one_says_so(content, store):
    app = make_app(store, query=f"vignette={PLAIN}")
    assert app.start_screen.selected == PLAIN and app.messages.text == ""
    app = make_app(store, query="vignette=v99-nothing")
    assert "no case 'v99-nothing'" in app.messages.text and app.start_screen.selected is None
    assert start(app, vid=FULL) is not None  # the card picker still works


def test_session_code_restricts_cases_and_mode(content, store):
    code = store.create_session([PLAIN], mode="quick").code
    app = make_app(store, query=f"session={code.lower()}")
    assert list(app.start_screen.cards) == [PLAIN] and app.start_screen.selected == PLAIN
    assert app.start_screen.mode.value == "quick" and app.start_screen.mode.disabled
    ex = start(app, vid=PLAIN, mode="quick")
    assert ex.response.session_code == code and ex.stages == ("gather", "rate", "prioritise")
    assert [p.trainee_id for p in store.participants(code)] == ["heron 7"]


def test_unknown_or_closed_session_says_so_and_cards_still_work(content, store):
    app = make_app(store, query="session=ZZZZZZ")
    assert "no training session with code ZZZZZZ" in app.messages.text
    assert set(app.start_screen.cards) == {FULL, PLAIN}
    code = store.create_session([FULL]).code
    store.close_session(code)
    app = make_app(store, query=f"session={code}")
    assert "is closed" in app.messages.text and start(app) is not None


def test_a_typed_session_code_joins_the_session(content, store):
    code = store.create_session([PLAIN], mode="quick").code
    app = make_app(store)
    s = app.start_screen
    s.join.click()
    assert "Type the session code" in s.messages.text
    s.session_code.value = "nope42"
    s.join.click()
    assert "no training session with code" in s.messages.text and app.session is None
    s.session_code.value = f" {code.lower()} "
    s.join.click()
    assert f"joined training session {code}" in s.messages.text
    assert list(s.cards) == [PLAIN] and s.mode.value == "quick" and s.session_code.disabled
    ex = start(app, vid=PLAIN, mode="quick")
    assert ex.response.session_code == code


def test_proxy_header_fixes_the_trainee_id(content, store):
    app = make_app(store, headers={"X-Forwarded-User": "pat.smith"})
    assert app.start_screen.trainee_id.value == "pat.smith"
    assert app.start_screen.trainee_id.disabled


def test_from_environment_reads_voila_request_variables(content, store):
    env = {"QUERY_STRING": f"vignette={FULL}", "HTTP_X_FORWARDED_USER": "pat.smith"}
    app = ExerciseApp.from_environment(env, store=store)
    assert app.start_screen.selected == FULL and app.arrival.proxy_user == "pat.smith"


def test_a_pooled_kernel_reads_the_cases_and_opens_the_store_before_the_request(
    content, tmp_path, monkeypatch
):
    """Pre-heated: the slow part happens while the kernel waits in the pool; the request (read
    from the environment once it arrives) only decides what the start screen shows."""
    import arms_training.ui.exercise.app as exercise_module

    monkeypatch.setenv("ARMS_TRAINING_DB_URL", f"sqlite:///{tmp_path}/pool.sqlite")
    monkeypatch.setenv("VOILA_PREHEAT", "True")
    monkeypatch.delenv("QUERY_STRING", raising=False)
    opened: list[Store] = []
    monkeypatch.setattr(exercise_module, "open_store", lambda: opened.append(Store()) or opened[-1])
    seen_at_wait: list[int] = []

    def request_arrives() -> bool:
        seen_at_wait.append(len(opened))
        monkeypatch.setenv("QUERY_STRING", f"vignette={FULL}")
        return True

    monkeypatch.setattr(exercise_module, "wait_for_request", request_arrives)
    app = ExerciseApp.from_environment(autosave_seconds=0)
    assert seen_at_wait == [1]  # the store was open before the request came
    assert app.store is opened[0] and set(app.vignettes) == {FULL, PLAIN}
    assert app.start_screen.selected == FULL  # the request's query was read after the wait
    opened[0].close()


def test_a_pooled_kernel_whose_store_cannot_open_yet_still_serves_the_page(content, monkeypatch):
    import arms_training.ui.exercise.app as exercise_module

    def locked():
        raise StoreError(LOCKED)

    monkeypatch.setenv("VOILA_PREHEAT", "True")
    monkeypatch.setenv("QUERY_STRING", "")
    monkeypatch.setattr(exercise_module, "open_store", locked)
    monkeypatch.setattr(exercise_module, "wait_for_request", lambda: True)
    app = ExerciseApp.from_environment(autosave_seconds=0)
    start(app)  # the store is tried again on first use, and its failure is shown
    assert app.ex is None and "locked or unavailable" in app.start_screen.messages.text


def test_a_page_started_for_its_request_opens_the_store_just_after_it_is_drawn(
    content, tmp_path, monkeypatch
):
    monkeypatch.setenv("ARMS_TRAINING_DB_URL", f"sqlite:///{tmp_path}/cold.sqlite")
    monkeypatch.delenv("VOILA_PREHEAT", raising=False)
    monkeypatch.setenv("QUERY_STRING", "")

    async def kernel_cell():
        app = ExerciseApp.from_environment(autosave_seconds=0)
        drawn_without_store = app._store is None
        await asyncio.sleep(0)  # the cell has ended; the kernel's loop runs what was scheduled
        return app, drawn_without_store

    app, drawn_without_store = asyncio.run(kernel_cell())
    assert drawn_without_store and app._store is not None
    app._store.close()


LIGHT = textwrap.dedent("""
    import sys
    from arms_training.ui.exercise.app import ExerciseApp
    app = ExerciseApp(query="", autosave_seconds=0)
    print(sorted(m for m in ("sqlalchemy", "pandas", "matplotlib") if m in sys.modules),
          len(app.vignettes) > 0)
""")


@pytest.mark.slow
def test_the_page_is_drawn_before_sqlalchemy_is_loaded(content, tmp_path):
    env = {
        **os.environ,
        "ARMS_TRAINING_CONTENT": str(content),
        "PYTHONPATH": str(REPO),
        "ARMS_TRAINING_DATA": str(tmp_path),
    }
    out = subprocess.run(
        [sys.executable, "-c", LIGHT], cwd=REPO, env=env, capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().splitlines()[-1] == "[] True"


def test_a_missing_database_is_a_message_not_a_crash(content):
    def gone():
        raise StoreError(LOCKED)

    app = ExerciseApp(store=gone)
    start(app)
    assert app.ex is None and "locked or unavailable" in app.start_screen.messages.text


# -- reading --------------------------------------------------------------------------------------
def test_case_file_shows_paragraph_ids_glossary_and_escapes(content, store):
    app = make_app(store)
    start(app)
    html = app.case_column.children[0].value
    assert '<span class="arms-para-id">h1</span>' in html
    assert "&lt;script&gt;x&lt;/script&gt;" in html and "<script>" not in html
    terms = {g.term: g for g in FW.glossary}
    for term in ("MAPPA", "Licence"):
        title = f"Police: {terms[term].police}".replace('"', "&quot;")
        assert f'<abbr class="arms-term" title="{title}' in html
    glossary = app.case_column.children[1].children[0]
    assert "arms-glossary" in classes(glossary)
    assert all(g.meaning.replace("'", "&#x27;").replace('"', "&quot;") in glossary.value for g in FW.glossary)
    assert "FOLLOWUPTEXT" not in state_text()  # the next visit stays closed


def test_glossary_annotation_escapes_and_prefers_longest_terms():
    out = annotate("OSP/C & MAPPA <b>", FW.glossary)
    assert out.count("<abbr") == 2 and "&amp;" in out and "&lt;b&gt;" in out
    assert ">OSP/C</abbr>" in out


# -- stages ---------------------------------------------------------------------------------------
def test_stage_bar_marks_done_and_incomplete(content, store):
    app = make_app(store)
    start(app)
    bar = app.stage_buttons
    assert set(bar) == {"gather", "rate", "prioritise", "level", "plan", "review"}
    assert "arms-stage-current" in classes(bar["gather"])
    rate_all(app)
    assert "arms-stage-done" in classes(bar["rate"]) and bar["rate"].description.startswith("✓")
    assert "arms-stage-done" in classes(bar["gather"])
    assert "arms-stage-incomplete" in classes(bar["plan"])
    assert bar["plan"].description.startswith("○")


def test_incomplete_stage_says_what_is_missing(content, store):
    app = make_app(store)
    start(app)
    app.go("rate")
    app.view.factors["opportunity"].rating.value = 2
    assert "rate Sexual preoccupation" in app.todo.value and "rate Opportunity" not in app.todo.value
    app.submit_button.click()
    assert "Not submitted yet" in app.messages.text
    assert "Plan: add at least one action to the plan" in app.messages.text
    assert not app.submit_button.disabled and not app.submitted


def test_rating_widgets_write_the_response(content, store):
    app = make_app(store)
    ex = start(app)
    app.go("rate")
    fr = app.view.factors["opportunity"]
    assert "arms-rating-opportunity" in classes(fr.rating)
    fr.rating.value = "insufficient"
    fr.evidence.value = ("h2",)
    fr.note.value = "Needs a check <b>now</b>"
    assert ex.response.ratings["opportunity"] == "insufficient"
    assert ex.response.evidence["opportunity"] == ["h2"]
    assert ex.response.notes["opportunity"] == "Needs a check <b>now</b>"
    kinds = [
        c.value
        for c in app.view.widget.children
        if "arms-group-risk" in classes(c) or "arms-group-protective" in classes(c)
    ]
    assert kinds == ["<h3>Risk factors</h3>", "<h3>Protective factors</h3>"]


def test_a_huge_note_gets_a_message_and_nothing_is_lost(content, store):
    app = make_app(store)
    ex = start(app)
    app.go("rate")
    fr = app.view.factors["hostile_orientation"]
    fr.note.value = "kept"
    fr.note.value = "x" * 100_000
    assert "100,000 characters long" in fr.messages.text
    assert fr.note.value == "x" * 100_000  # still in the box for the trainee to trim
    assert ex.response.notes["hostile_orientation"] == "kept"
    fr.note.value = "trimmed"
    assert fr.messages.text == "" and ex.response.notes["hostile_orientation"] == "trimmed"


def test_level_shows_matrix_and_override_needs_rationale(content, store):
    app = make_app(store)
    ex = start(app)
    app.go("prioritise")
    app.view.level.value = "high"
    app.go("level")
    view = app.view
    assert "arms-matrix-hit" in view.matrix.value and "High" in view.result.value
    assert "every 3 months" in view.result.value
    assert "Project default" in "".join(c.value for c in view.widget.children if isinstance(c, w.HTML))
    view.mode.value = "override"
    view.override.value = "very_high"
    assert ex.response.risk_management_level is None
    assert "give the rationale for overriding the matrix" in app.todo.value
    view.rationale.value = "Grooming <intel>"
    assert ex.response.risk_management_level == "very_high" and "monthly" in view.result.value


def test_plan_add_edit_remove(content, store):
    app = make_app(store)
    ex = start(app)
    app.go("plan")
    view = app.view
    labels = [label for label, _ in view.catalogue.options]
    assert labels[1].startswith("Restrictive: ") and labels[-1] == "Other (describe it)"
    assert any(x.startswith("Constructive: ") for x in labels)
    view.add.click()
    assert "Choose an intervention" in view.messages.text
    view.catalogue.value = "other"
    view.add.click()
    ed = view.editors[0]
    ed.label.value = "<b>Meet</b> employer"
    assert "&lt;b&gt;Meet&lt;/b&gt; employer" in ed.title.value
    ed.factors.value = ("employment_positive_routine",)
    ed.review.value = 26
    view.catalogue.value = "curfew"
    view.add.click()
    assert len(view.editors) == 2 and "arms-action-1" in classes(view.editors[1].widget)
    view.editors[0].remove.click()
    assert [a.intervention for a in ex.response.plan] == ["curfew"]
    assert view.editors[0].objective.value == ""


def test_review_opens_after_the_plan_and_fixes_the_first_assessment(content, store):
    app = make_app(store)
    ex = start(app)
    app.go("review")
    assert app.view.reveal is None and "Still to do" in app.view.widget.children[2].value
    assert "FOLLOWUPTEXT" not in state_text()
    do_full_first_assessment(app)
    do_review(app)
    assert "FOLLOWUPTEXT" in app.view.widget.children[2].value
    assert "FOLLOWUPTEXT" in app.case_column.children[0].value
    fu = ex.response.follow_up
    assert (fu.significant_change, fu.ratings["opportunity"], fu.risk_management_level) == (True, 2, "high")
    app.go("rate")
    assert app.view.factors["opportunity"].rating.disabled
    assert ex.missing() == {}


# -- autosave and resume --------------------------------------------------------------------------
def test_drafts_autosave_and_resume_where_left_off(content, store):
    app = make_app(store)
    ex = start(app)
    rate_all(app, 2)
    app.view.factors["opportunity"].note.value = "first visit"
    app.go("prioritise")
    draft = store.load_draft("heron 7", FULL)
    assert draft.response_id == ex.response.response_id and draft.ratings["opportunity"] == 2
    assert draft.stage_seconds.keys() >= {"gather", "rate"}

    again = make_app(store)
    ex2 = start(again, mode="quick")
    assert ex2.response.response_id == ex.response.response_id
    assert ex2.stage == "prioritise" and ex2.response.mode == "full"
    assert "Welcome back" in again.messages.text and "continues that way" in again.messages.text
    again.go("rate")
    assert again.view.factors["opportunity"].note.value == "first visit"
    assert again.view.factors["social_investment"].rating.value == 2


def test_a_locked_store_keeps_the_work_and_says_so(content, store):
    flaky = Flaky(store)
    app = make_app(flaky)
    ex = start(app)
    flaky.failing.add("save_draft")
    rate_all(app, 0)
    assert "was not saved" in app.messages.text and "locked or unavailable" in app.messages.text
    assert "Not saved" in app.save_status.value
    assert ex.response.ratings["opportunity"] == 0
    assert app.view.factors["opportunity"].rating.value == 0
    flaky.failing.clear()
    app.view.factors["opportunity"].rating.value = 1
    assert app.messages.text == "" and store.load_draft("heron 7", FULL).ratings["opportunity"] == 1


# -- submit and feedback --------------------------------------------------------------------------
def test_no_key_text_reaches_the_page_before_submit(content, store):
    spy = KeySpy()
    app = make_app(store, key_loader=spy)
    start(app)
    do_full_first_assessment(app)
    do_review(app)
    app.go("gather")
    assert spy.calls == [] and SECRET not in state_text()
    app.submit_button.click()
    assert spy.calls == [FULL] and app.submitted
    assert SECRET in state_text()  # now the feedback quotes the experts


def test_submit_stores_scores_and_shows_feedback(content, store):
    app = make_app(store)
    ex = start(app)
    do_full_first_assessment(app)
    do_review(app)
    app.submit_button.click()
    sub = store.get_submission(ex.response.response_id)
    assert sub.key_version == 2 and sub.framework_version == FW.version
    assert sub.score["total"] == pytest.approx(float(sub.total))
    fb = app.feedback
    assert "arms-feedback-total" in classes(fb.total) and "/ 100" in fb.total.value
    assert fb.chart.value[:8] == b"\x89PNG\r\n\x1a\n"
    table = next(c for c in fb.widget.children if "arms-feedback-factors" in classes(c)).value
    assert f"{SECRET} rationale for opportunity." in table
    assert '<details class="arms-cited"><summary><code>h1</code></summary>' in table
    href = re.search(r'href="data:text/html;charset=utf-8;base64,([^"]+)"', fb.download.value)
    page = base64.b64decode(href.group(1)).decode()
    assert page.startswith("<!DOCTYPE html>") and f"{SECRET} rationale for opportunity." in page
    assert "Time spent" in page and "data:image/png;base64," in page
    assert store.load_draft("heron 7", FULL) is None


def test_double_submit_makes_one_submission(content, store, monkeypatch):
    app = make_app(store)
    start(app)
    do_full_first_assessment(app)
    do_review(app)
    real_submit, calls = store.submit, []

    def submit_while_clicked_again(*args, **kwargs):
        calls.append(args)
        assert app.submit_button.disabled
        app.submit_button.click()  # a second click arriving while the first is working
        return real_submit(*args, **kwargs)

    monkeypatch.setattr(store, "submit", submit_while_clicked_again)
    app.submit_button.click()
    app.submit_button.click()
    app.submit()
    assert len(calls) == 1 and len(store.submitted_responses(trainee_id="heron 7")) == 1


def test_a_failed_submit_can_be_retried(content, store):
    flaky = Flaky(store)
    app = make_app(flaky)
    start(app, vid=PLAIN)
    do_full_first_assessment(app)
    flaky.failing.add("submit")
    app.submit_button.click()
    assert "Not submitted" in app.messages.text and not app.submitted
    assert not app.submit_button.disabled and app.submit_button.description == "Submit"
    flaky.failing.clear()
    app.submit_button.click()
    assert app.submitted and len(store.submitted_responses()) == 1


def test_quick_mode_submits_ratings_and_priorities(content, store):
    app = make_app(store)
    start(app, vid=PLAIN, mode="quick")
    rate_all(app)
    app.go("prioritise")
    app.view.level.value = "low"
    app.submit_button.click()
    assert app.submitted and set(app.feedback.report.parts) == {"ratings", "priorities"}


def test_an_unscorable_case_keeps_the_draft(content, store):
    def no_key(_vid):
        raise FileNotFoundError("gone")

    app = make_app(store, key_loader=no_key)
    ex = start(app, vid=PLAIN)
    do_full_first_assessment(app)
    app.submit_button.click()
    assert "cannot be scored right now" in app.messages.text and not app.submitted
    assert store.load_draft("heron 7", PLAIN).response_id == ex.response.response_id


def test_try_another_case_returns_to_the_start(content, store):
    app = make_app(store)
    start(app, vid=PLAIN, mode="quick")
    rate_all(app)
    app.go("prioritise")
    app.view.level.value = "low"
    app.submit_button.click()
    again = next(c for c in app.feedback.widget.children if "arms-again" in classes(c))
    again.click()
    assert app.ex is None and app.start_screen.trainee_id.value == "heron 7"


# -- lean kernel and the notebook -----------------------------------------------------------------
LEAN = textwrap.dedent("""
    import sys
    from arms_training.store import Store
    from arms_training.ui.exercise.app import ExerciseApp
    from tests.ui.exercise.test_app import do_full_first_assessment, do_review, start
    app = ExerciseApp.from_environment({"QUERY_STRING": ""}, store=Store(sys.argv[1]),
                                       autosave_seconds=0)
    start(app)
    do_full_first_assessment(app)
    do_review(app)
    before = sorted(m for m in ("pandas", "matplotlib", "arms_training.scoring.rules", "voila",
                                "jupyter_server", "nbconvert") if m in sys.modules)
    app.submit_button.click()
    print(before, app.submitted, "matplotlib" in sys.modules)
""")


@pytest.mark.slow
def test_pandas_matplotlib_and_voila_stay_out_of_the_kernel_until_submit(content, tmp_path):
    env = {**os.environ, "ARMS_TRAINING_CONTENT": str(content), "PYTHONPATH": str(REPO)}
    out = subprocess.run(
        [sys.executable, "-c", LEAN, f"sqlite:///{tmp_path}/lean.sqlite"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().splitlines()[-1] == "[] True True"


def test_notebook_is_small_and_has_no_outputs():
    import nbformat  # here, not at the top: the lean-kernel check imports this module

    nb = nbformat.read(REPO / "notebooks" / "trainee" / "exercise.ipynb", as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    lines = [ln for c in code for ln in c.source.splitlines() if ln.strip()]
    assert len(lines) <= 4 and "ExerciseApp.from_environment()" in "\n".join(lines)
    assert all(c.outputs == [] and c.execution_count is None for c in code)


@pytest.mark.slow
def test_notebook_runs_in_a_kernel(content, tmp_path, monkeypatch):
    import nbformat
    from nbclient import NotebookClient

    monkeypatch.setenv("ARMS_TRAINING_DB_URL", f"sqlite:///{tmp_path}/nb.sqlite")
    monkeypatch.setenv("QUERY_STRING", "vignette=nope")
    nb = nbformat.read(REPO / "notebooks" / "trainee" / "exercise.ipynb", as_version=4)
    NotebookClient(
        nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
    ).execute()
    outputs = nb.cells[-1].outputs
    assert outputs and all(o.output_type != "error" for o in outputs)
    assert "application/vnd.jupyter.widget-view+json" in outputs[-1]["data"]


def test_case_file_html_includes_follow_up_only_on_request():
    v = secret_vignette()
    assert "FOLLOWUPTEXT" not in case_file_html(v, FW.glossary)
    assert "FOLLOWUPTEXT" in case_file_html(v, FW.glossary, include_follow_up=True)
    assert exercise_module.VIEWS.keys() == set(STAGE_IDS)


# -- robustness and escaping ----------------------------------------------------------------------
def test_an_unexpected_error_is_a_message_not_a_traceback(content, store, monkeypatch, capsys):
    app = make_app(store)
    ex = start(app)
    app.go("rate")

    def broken(*_args):
        raise RuntimeError("boom")

    monkeypatch.setattr(ex, "set_rating", broken)
    app.view.factors["opportunity"].rating.value = 2
    monkeypatch.setattr(app, "_show_stage", broken)
    app.stage_buttons["plan"].click()
    out = capsys.readouterr()
    assert "Traceback" not in out.out + out.err
    assert "Something went wrong" in app.view.factors["opportunity"].messages.text
    assert "Something went wrong" in app.messages.text


def test_feedback_html_escapes_everything():
    from arms_training.reports.feedback import feedback_html
    from arms_training.responses import Trainee, new_response
    from arms_training.scoring.report import (
        FactorScore,
        FollowUpScore,
        LevelScore,
        PlanScore,
        PriorityScore,
        ScoreReport,
    )

    v = secret_vignette()
    r = new_response(Trainee(id="t1", agency="police"), v.id, 1, FW.id)
    r.stage_seconds = {"rate": 90.0}
    evil = "<img src=x onerror=alert(1)>"
    report = ScoreReport(
        response_id=str(r.response_id),
        vignette_id=v.id,
        vignette_version=1,
        key_version=1,
        framework=FW.id,
        mode="full",
        total=50,
        parts={"ratings": (0.5, 1.0)},
        factors={
            "opportunity": FactorScore(
                factor="opportunity",
                name=evil,
                kind="risk",
                given=None,
                expected=1,
                difference=None,
                credit=0,
                within_one=False,
                panel=(1, 1),
                rationale=evil,
                evidence=("h2", evil),
                evidence_given=(),
            )
        },
        exact_agreement=0.0,
        within_one=0.0,
        bias_risk=None,
        bias_protective=None,
        bias_all=None,
        priorities=PriorityScore((), (evil,), 0.0, 0.0, 0.0, (evil,), (), None, evil, False),
        level=LevelScore("low", evil, None, False, None, False, (evil,), 0.0),
        plan=PlanScore(
            score=0.2,
            shares={},
            penalty=0.0,
            unaddressed_priorities=(evil,),
            missing_essential=((evil, evil),),
            contraindicated=((evil, evil),),
            incomplete_actions=((0, "other", (evil,)),),
            constructive_for_protective=False,
            n_actions=1,
        ),
        follow_up=FollowUpScore(None, True, False, {evil: (None, 1, 0.0)}, 0.0, None, evil, False, evil, 0.0),
    )
    page = feedback_html(report, framework=FW, vignette=v, response=r)
    assert "<img src=x" not in page and "&lt;img src=x onerror=alert(1)&gt;" in page
    assert "&lt;script&gt;x&lt;/script&gt;" in page  # the cited paragraph h2, escaped
    assert "1.5 min" in page


def test_autosave_is_debounced_without_an_event_loop():
    from arms_training.ui.exercise.autosave import Autosaver
    from tests.factories import Clock

    clock, saves = Clock(), []
    saver = Autosaver(lambda: saves.append(clock.now) or True, interval=3, clock=clock)
    saver.changed()
    clock.now += 1
    saver.changed()
    assert saves == [1000.0] and saver.dirty
    clock.now += 3
    saver.changed()
    assert saves == [1000.0, 1004.0] and not saver.dirty
    failing = Autosaver(lambda: False, interval=0, clock=clock)
    failing.changed()
    assert failing.dirty  # a failed save stays pending


def test_autosave_saves_the_last_change_later_inside_a_kernel_loop():
    import asyncio

    from arms_training.ui.exercise.autosave import Autosaver

    saves = []

    async def run():
        saver = Autosaver(lambda: saves.append("saved") or True, interval=0.05)
        saver.changed()
        saver.changed()
        saver.changed()
        assert saves == ["saved"]
        await asyncio.sleep(0.15)
        return saver.dirty

    assert asyncio.run(run()) is False and saves == ["saved", "saved"]


def test_a_scoring_error_keeps_the_draft_and_its_details_private(content, store):
    def scorer(*_args, **_kwargs):
        raise ScoringError(Problem("response x", "key_version", f"{SECRET} key version mismatch"))

    app = make_app(store, scorer=scorer)
    ex = start(app, vid=PLAIN)
    do_full_first_assessment(app)
    app.submit_button.click()
    assert "could not be scored" in app.messages.text and SECRET not in app.messages.text
    assert not app.submitted and not app.submit_button.disabled
    assert store.load_draft("heron 7", PLAIN).response_id == ex.response.response_id
