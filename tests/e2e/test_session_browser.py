"""Can a trainer run a joint session in real browsers, as ``arms-training serve`` sets it up?

A trainer starts a quick session on the staff server; three trainee pages on the trainee server
(two police, one probation; two through the join link, one by typing the code after a wrong
one) join and submit. The trainer's projector view shows them arrive without a click, holds no
key text until "Reveal key", then shows the rationale (also on a second trainer's view of the
same session), the agency prompts and the survey; the session pack and CSV download and open.
The two servers share one data directory, so the store is the only thing the pages share.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Locator, Page, expect

from arms_training.content import load_library

from .keytext import REPO, key_phrases
from .pages import ACTION_TIMEOUT, PAGE_TIMEOUT, V01_RATINGS, ExercisePage, WsRecorder, normalise
from .servers import RunningServer, start_staff, start_trainee

pytestmark = pytest.mark.e2e

CASE = "v01-new-partner"
# The view polls the store every 3 s; allow for a slow CI machine drawing the chart.
LIVE_TIMEOUT = 30_000
COMMENT = '<b>really</b> useful =HYPERLINK("http://x.test")'
# Two police officers and a probation officer who rate Opportunity apart, so the room has an
# agency difference to discuss.
TRAINEES = [
    ("heron-pol-1", "Police", "=HYPERLINK(1)", {**V01_RATINGS, "opportunity": 2}),
    ("kite-pol-2", "Police", "offender manager", {**V01_RATINGS, "opportunity": 2}),
    (
        "wren-prob-3",
        "Probation",
        "probation officer",
        {**V01_RATINGS, "opportunity": 0, "social_influences": 2},
    ),
]


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[RunningServer, RunningServer]]:
    work = tmp_path_factory.mktemp("session")
    shared = work / "data"
    trainee = start_trainee(work, data_dir=shared, name="session-trainee")
    try:
        staff = start_staff(work, data_dir=shared, trainee=trainee)
    except Exception:
        trainee.stop()
        raise
    try:
        yield trainee, staff
    finally:
        staff.stop()
        trainee.stop()


class TrainerPage:
    """The session app (notebooks/staff/session.ipynb); selectors are its ``arms-session-*``
    classes."""

    def __init__(self, page: Page, url: str) -> None:
        self.page, self.url = page, url

    def cls(self, name: str) -> Locator:
        return self.page.locator(f".jupyter-widgets.{name}")

    def open(self, query: str = "") -> TrainerPage:
        self.page.goto(self.url + query)
        expect(self.cls("arms-session-start")).to_be_enabled(timeout=PAGE_TIMEOUT)
        return self

    def tab(self, title: str) -> None:
        self.page.locator(".arms-session-tabs .lm-TabBar-tab", has_text=title).click()

    def attendance_row(self, label: str) -> Locator:
        return self.page.locator(".arms-session-counts tr", has_text=label)

    def download(self, css: str) -> tuple[str, bytes]:
        with self.page.expect_download(timeout=ACTION_TIMEOUT) as info:
            self.page.locator(f"a.{css}").click()
        d = info.value
        return d.suggested_filename, Path(d.path()).read_bytes()


def _context(browser: Browser) -> BrowserContext:
    return browser.new_context(viewport={"width": 1400, "height": 1000})


def _join_and_submit(
    ex: ExercisePage, code: str, trainee_id: str, agency: str, role: str, ratings: dict[str, int]
) -> None:
    """From a start screen already in session ``code``: fill in, start, rate, prioritise,
    submit."""
    expect(ex.cls("arms-start-note")).to_contain_text(f"Training session {code}")
    expect(ex.cls(f"arms-card-{CASE}")).to_have_class(re.compile(r"\barms-card-selected\b"))
    expect(ex.page.locator(".arms-mode button").first).to_be_disabled()  # the trainer's mode
    ex.page.locator(".arms-trainee-id input").fill(trainee_id)
    ex.choose("arms-agency", agency)
    ex.fill_text("arms-role", role)
    ex.cls("arms-start").click()
    expect(ex.cls("arms-stage-bar")).to_be_visible(timeout=ACTION_TIMEOUT)
    # Quick mode: gathering, rating and priorities only.
    expect(ex.page.locator(".lm-Widget.arms-stage-bar button")).to_have_count(3)
    ex.go("rate")
    for factor, value in ratings.items():
        ex.rate(factor, value)
    ex.go("prioritise")
    ex.prioritise(["opportunity", "intimate_relationships"], "Medium")
    expect(ex.cls("arms-missing")).to_contain_text("you can submit", timeout=ACTION_TIMEOUT)
    ex.submit()


def test_a_trainer_runs_a_joint_session(servers, browser: Browser, results_dir: Path) -> None:
    trainee_server, staff = servers
    title = load_library().vignettes[CASE].title
    phrases = sorted({p for ps in key_phrases(REPO / "answer_keys" / f"{CASE}.yaml").values() for p in ps})
    assert phrases, f"no distinctive key phrases found for {CASE}"

    # -- the trainer starts a quick session, pseudonyms shown on screen -------------------------
    trainer_ctx = _context(browser)
    recorder = WsRecorder()
    tpage = trainer_ctx.new_page()
    recorder.attach(tpage)
    trainer = TrainerPage(tpage, staff.url("/voila/render/session.ipynb", token=True)).open()
    tpage.locator(".arms-session-cases select").select_option(label=f"{title} ({CASE})")
    tpage.locator(".arms-session-mode button", has_text="Quick").click()
    tpage.locator(".arms-session-names button", has_text="Show pseudonyms").click()
    trainer.cls("arms-session-start").click()
    code_box = tpage.locator(".arms-session-banner .arms-session-code")
    expect(code_box).to_have_text(re.compile(r"^\s*[A-Z0-9]{4,8}\s*$"), timeout=ACTION_TIMEOUT)
    code = code_box.inner_text().strip()
    join = tpage.locator(".arms-session-banner a").get_attribute("href")
    assert join == f"{trainee_server.render_url('exercise.ipynb')}?session={code}"
    expect(trainer.cls("arms-session-qr")).to_be_visible()
    expect(trainer.cls("arms-session-attendance")).to_contain_text("Nobody has joined yet")

    # -- trainees join: two by the link, one by typing the code (after a wrong one) ------------
    trainee_ctx = _context(browser)
    pages = []
    for i, (tid, agency, role, ratings) in enumerate(TRAINEES):
        ex = ExercisePage(trainee_ctx.new_page(), trainee_server.render_url("exercise.ipynb"))
        pages.append(ex)
        if i < 2:
            ex.open(f"?session={code}")
        else:
            ex.open()
            ex.page.locator(".arms-session-code-entry input").fill("ZZZZZZ")
            ex.cls("arms-join-session").click()
            expect(ex.page.locator(".arms-start-message .arms-msg")).to_contain_text(
                "There is no training session with code ZZZZZZ", timeout=ACTION_TIMEOUT
            )
            ex.page.locator(".arms-session-code-entry input").fill(code.lower())
            ex.cls("arms-join-session").click()
            expect(ex.page.locator(".arms-start-message .arms-msg")).to_contain_text(
                f"You have joined training session {code}", timeout=ACTION_TIMEOUT
            )
        _join_and_submit(ex, code, tid, agency, role, ratings)
        # The projector view follows by itself: nothing on the trainer's page is touched.
        expect(trainer.attendance_row("Submitted")).to_contain_text(str(i + 1), timeout=LIVE_TIMEOUT)
        expect(trainer.cls("arms-session-people-box")).to_contain_text(tid)

    submitted = trainer.attendance_row("Submitted").locator("td")
    expect(submitted).to_have_text(["2", "1", "3"])  # police, probation, all
    expect(trainer.cls("arms-session-chart")).to_be_visible()
    # The chart is drawn after the counts: wait for the line written when the redraw is done.
    expect(trainer.cls("arms-session-updated")).to_contain_text("3 submissions", timeout=LIVE_TIMEOUT)
    tpage.screenshot(path=str(results_dir / "session-live-before-reveal.png"), full_page=True)

    # -- the end-of-session survey, with markup and a formula in the comment --------------------
    first = pages[0]
    survey = first.cls("arms-survey")
    expect(survey).to_be_visible(timeout=ACTION_TIMEOUT)
    for statement in survey.locator(".arms-survey-answer").all():
        statement.locator("button", has_text=re.compile(r"^\s*Agree\s*$")).click()
    first.fill_text("arms-survey-comment", COMMENT)
    first.cls("arms-survey-send").click()
    expect(first.page.locator(".arms-survey-message .arms-msg")).to_contain_text(
        "Thank", timeout=ACTION_TIMEOUT
    )

    # -- nothing of the key has reached the trainer's page before reveal -----------------------
    assert recorder.containing(phrases) == {}, "key text reached the page before reveal"
    expect(trainer.cls("arms-session-rationale")).to_have_text("")

    # A second trainer opens the same session by its URL and sees the same room.
    other_ctx = _context(browser)
    other = TrainerPage(other_ctx.new_page(), staff.url("/voila/render/session.ipynb", token=True))
    other.page.goto(other.url + f"&session={code}")
    expect(other.attendance_row("Submitted").locator("td")).to_have_text(
        ["2", "1", "3"], timeout=PAGE_TIMEOUT
    )

    # -- reveal: the rationale on this view, and on the other trainer's without a click --------
    trainer.cls("arms-session-reveal").click()
    rationale = trainer.cls("arms-session-rationale")
    expect(rationale).to_contain_text("The expert key", timeout=ACTION_TIMEOUT)
    shown = normalise(rationale.inner_text())
    assert any(p in shown for p in phrases), "the revealed table lacks the key's rationale"
    expect(other.cls("arms-session-rationale")).to_contain_text("The expert key", timeout=LIVE_TIMEOUT)
    expect(other.cls("arms-session-reveal")).to_have_text(re.compile("Hide key"))

    # -- discussion: the agencies differ on Opportunity; the expert view is now there ----------
    trainer.tab("Discussion")
    prompt = tpage.locator(".arms-session-prompt-agency", has_text="Opportunity")
    expect(prompt).to_contain_text("police and probation differ", timeout=ACTION_TIMEOUT)
    expect(prompt.locator(".arms-session-expert")).to_contain_text("Expert panel")
    tpage.screenshot(path=str(results_dir / "session-discussion.png"), full_page=True)

    # -- export: the survey (escaped), then the pack and the CSV ---------------------------------
    trainer.tab("Export & survey")
    comments = trainer.cls("arms-session-comments-box")
    expect(comments).to_contain_text(COMMENT, timeout=LIVE_TIMEOUT)  # shown as text...
    expect(comments.locator("b", has_text="really")).to_have_count(0)  # ...not as markup
    expect(trainer.cls("arms-session-survey-chart")).to_be_visible()
    tpage.locator(".arms-session-pseudonyms input").check()
    trainer.cls("arms-session-export").click()
    expect(trainer.cls("arms-session-downloads")).to_contain_text(
        "from 3 submissions", timeout=ACTION_TIMEOUT
    )

    name, body = trainer.download("arms-session-download-csv")
    assert name == f"arms-session-{code}-responses.csv"
    rows = list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))
    assert sorted(r["trainee"] for r in rows) == sorted(t[0] for t in TRAINEES)
    assert {r["session_code"] for r in rows} == {code}
    assert sorted(r["agency"] for r in rows) == ["police", "police", "probation"]
    by_id = {r["trainee"]: r for r in rows}
    assert by_id["heron-pol-1"]["role"] == "'=HYPERLINK(1)"  # a spreadsheet will not run it
    assert by_id["wren-prob-3"]["rating_opportunity"] == "0"
    assert all(float(r["total"]) > 0 for r in rows)

    name, body = trainer.download("arms-session-download-html")
    assert name == f"arms-session-{code}.html"
    pack_path = results_dir / name
    pack_path.write_bytes(body)
    pack = trainer_ctx.new_page()
    pack.goto(pack_path.as_uri())
    expect(pack.locator("body")).to_contain_text(code)
    expect(pack.locator(".arms-session-prompt-agency", has_text="Opportunity")).to_have_count(1)
    assert any(p in normalise(pack.locator("body").inner_text()) for p in phrases)
    charts = pack.locator("img[src^='data:image/png']")
    assert charts.count() >= 2  # the room's ratings and the survey
    assert all(img.evaluate("i => i.naturalWidth") > 0 for img in charts.all())

    # -- nothing went wrong behind the scenes ---------------------------------------------------
    for ex in pages:
        expect(ex.page.locator(".arms-msg-error")).to_have_count(0)
    expect(tpage.locator(".arms-msg-error")).to_have_count(0)
    for context in (trainer_ctx, trainee_ctx, other_ctx):
        context.close()
