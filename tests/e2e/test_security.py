"""Can a trainee reach what they must not see: key files, notebook source, staff pages, the
database, key text in the websocket before they submit, or a traceback when code fails?

The servers are started with the command lines ``arms-training serve`` uses
(``arms_training.serving.servers``), so these tests check the hardened settings themselves.
"""

from __future__ import annotations

import http.client
import json
import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
from playwright.sync_api import Browser, Page, expect

from arms_training.responses import Trainee, new_response
from arms_training.store import Store

from .keytext import REPO, key_phrases
from .pages import (
    ACTION_TIMEOUT,
    PAGE_TIMEOUT,
    V01_RATINGS,
    ExercisePage,
    WsRecorder,
    normalise,
)
from .servers import RunningServer

pytestmark = pytest.mark.e2e

KEY = REPO / "answer_keys" / "v01-new-partner.yaml"
SENTINEL = "secret-sentinel-5b1e"  # raised by the pages in tests/e2e/fixtures/boom
SQLITE_CANARY = "sqlite-canary-41c7 only in the database"


@pytest.fixture(scope="module")
def phrases() -> dict[str, list[str]]:
    found = key_phrases(KEY)
    assert len(found) >= 15, "the key should give phrases for every rationale and why"
    return found


def _all(phrases: dict[str, list[str]]) -> list[str]:
    return [p for group in phrases.values() for p in group]


# -- (a) every route a trainee could try --------------------------------------------------------
def _encodings(target: str) -> set[str]:
    """The target as typed, and with its dots and slashes percent-encoded, once and twice."""
    return {
        target,
        target.replace("..", "%2e%2e"),
        target.replace("..", "%2E%2E"),
        target.replace("/", "%2F"),
        quote(target, safe=""),
        quote(quote(target, safe=""), safe=""),
        target.replace("..", "%252e%252e").replace("/", "%252f"),
        target.replace("/", "/./"),
        target.replace("../", "..%5c"),
        target.replace("../", "....//"),
    }


def _targets(data_dir: Path) -> list[tuple[str, str]]:
    """Paths relative to the trainee root (notebooks/trainee) and absolute ones."""
    repo = str(REPO).lstrip("/")
    out = [
        ("key", "../../answer_keys/v01-new-partner.yaml"),
        ("key", f"/{repo}/answer_keys/v01-new-partner.yaml"),
        ("key", f"/{repo}/answer_keys/"),
        ("key", "../../answer_keys/"),
        ("key", "../../ANSWER_KEYS/v01-new-partner.yaml"),
        ("key", "../../answer_keys/V01-NEW-PARTNER.YAML"),
        ("content", "../../vignettes/v01-new-partner.yaml"),
        ("content", f"/{repo}/vignettes/v01-new-partner.yaml"),
        ("framework", "../../arms_training/frameworks/arms-2018.yaml"),
        ("framework", f"/{repo}/arms_training/frameworks/arms-2018.yaml"),
        ("framework", "../../arms_training/scoring.py"),
        ("staff", "../staff/session.ipynb"),
        ("staff", "../staff/calibration.ipynb"),
        ("staff", "../staff/"),
        ("staff", f"/{repo}/notebooks/staff/session.ipynb"),
        ("notebook", "exercise.ipynb"),
        ("notebook", "Exercise.IPYNB"),
        ("notebook", "EXERCISE.ipynb"),
        ("notebook", "./exercise.ipynb"),
        ("notebook", "../trainee/exercise.ipynb"),
        ("database", f"/{str(data_dir).lstrip('/')}/arms-training.sqlite"),
        ("database", "../../data/arms-training.sqlite"),
    ]
    return out


ROUTES = [
    "/voila/files/",
    "/voila/static/",
    "/voila/templates/",
    "/voila/labextensions/",
    "/voila/api/themes/",
    "/voila/render/",
    "/voila/tree/",
    "/voila/api/contents/",
    "/api/contents/",
    "/files/",
    "/notebooks/",
    "/tree/",
    "/edit/",
    "/view/",
    "/lab/tree/",
    "/static/",
    "/",
]


def _get(
    server: RunningServer,
    path: str,
    *,
    method: str = "GET",
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
) -> tuple[int, dict[str, str], bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", server.spec.port, timeout=120)
    try:
        # http.client sends the path byte for byte: no '..' collapsing, no re-encoding.
        conn.putrequest(method, path, skip_accept_encoding=True)
        for name, value in (headers or {}).items():
            conn.putheader(name, value)
        if body is not None:
            conn.putheader("Content-Length", str(len(body)))
        conn.endheaders(body)
        resp = conn.getresponse()
        return resp.status, dict(resp.getheaders()), resp.read()
    finally:
        conn.close()


def _may_answer(route: str, kind: str) -> bool:
    """The trainee's own page renders, and the tree's contents API describes it (without its
    content); both are still checked for source and key text."""
    return kind == "notebook" and route in ("/voila/render/", "/voila/api/contents/")


@pytest.fixture(scope="module")
def database(trainee: RunningServer) -> Path:
    """The trainee server's SQLite file, holding a draft with a canary note."""
    path = trainee.data_dir / "arms-training.sqlite"
    response = new_response(Trainee(id="canary", agency="police"), "v01-new-partner", 1, "arms-2018")
    response.notes = {"opportunity": SQLITE_CANARY}
    with Store(f"sqlite:///{path}") as store:
        store.save_draft(response)
    assert path.is_file()
    return path


def test_no_route_serves_keys_notebooks_staff_pages_or_the_database(
    trainee: RunningServer, database: Path, phrases: dict[str, list[str]]
) -> None:
    """Is every file a trainee might guess at refused, however the path is written?"""
    needles = _all(phrases)
    notebook_source = "ExerciseApp.from_environment"
    leaks: list[str] = []
    probes = 0
    for kind, target in _targets(trainee.data_dir):
        for route in ROUTES:
            for encoded in sorted(_encodings(target)):
                if encoded.startswith("/") and route.endswith("/"):
                    paths = [route + encoded[1:], route + encoded]
                else:
                    paths = [route + encoded]
                for path in paths:
                    probes += 1
                    status, headers, body = _get(trainee, path)
                    text = body.decode("utf-8", errors="replace")
                    words = normalise(text)
                    problems = []
                    if 200 <= status < 300 and not _may_answer(route, kind):
                        problems.append(f"answered {status}")
                    if '"cells"' in text or "nbformat" in text or notebook_source in text:
                        problems.append("notebook source")
                    if "schema_version" in text:
                        problems.append("a YAML file")
                    if "SQLite format" in text or "sqlite canary 41c7" in words:
                        problems.append("the database")
                    if any(n in words for n in needles):
                        problems.append("answer-key text")
                    if kind == "notebook" and route == "/voila/api/contents/" and status == 200:
                        if json.loads(text).get("content") is not None:
                            problems.append("notebook content through the contents API")
                    if problems:
                        leaks.append(f"{path} -> {status}: {', '.join(problems)}")
    assert probes > 1000
    assert not leaks, "routes that leak:\n" + "\n".join(leaks)


def test_the_exercise_page_carries_no_source_or_key(
    trainee: RunningServer, phrases: dict[str, list[str]]
) -> None:
    """Does the rendered page (sources stripped) hold neither notebook code nor key text?"""
    status, _, body = _get(trainee, "/voila/render/exercise.ipynb")
    text = body.decode("utf-8", errors="replace")
    assert status == 200
    assert "ExerciseApp" not in text and "from arms_training" not in text
    words = normalise(text)
    assert not [n for n in _all(phrases) if n in words]


def test_the_contents_api_is_read_only(trainee: RunningServer) -> None:
    """Can a trainee write, rename or delete a file through the tree page's contents API?"""
    notebook = REPO / "notebooks" / "trainee" / "exercise.ipynb"
    before = notebook.read_bytes()
    body = json.dumps({"type": "file", "format": "text", "content": "x"}).encode()
    for method, path in (
        ("PUT", "/voila/api/contents/evil.txt"),
        ("POST", "/voila/api/contents/"),
        ("PATCH", "/voila/api/contents/exercise.ipynb"),
        ("DELETE", "/voila/api/contents/exercise.ipynb"),
        ("POST", "/api/kernels"),
        ("POST", "/api/sessions"),
    ):
        status, _, _ = _get(
            trainee, path, method=method, body=body, headers={"Content-Type": "application/json"}
        )
        assert status in (403, 404, 405), f"{method} {path} answered {status}"
    assert notebook.read_bytes() == before
    assert not (notebook.parent / "evil.txt").exists()


def test_staff_notebooks_are_not_on_the_trainee_port(trainee: RunningServer) -> None:
    for name in ("session.ipynb", "calibration.ipynb"):
        for path in (
            f"/voila/render/{name}",
            f"/voila/render/../staff/{name}",
            f"/voila/render/%2e%2e%2fstaff%2f{name}",
            "/voila/tree/../staff",
            f"/voila/api/contents/%2e%2e/staff/{name}",
        ):
            status, _, _ = _get(trainee, path)
            assert status in (400, 403, 404), f"{path} answered {status}"
    status, _, body = _get(trainee, "/voila/api/contents")
    assert status == 200
    listed = {item["name"] for item in json.loads(body)["content"]}
    assert listed == {"exercise.ipynb"}, f"the trainee tree lists {sorted(listed)}"


def test_the_staff_server_needs_its_token(staff: RunningServer) -> None:
    """Does the staff server refuse requests without the token (or with a wrong one)?"""
    staff_notebooks = sorted(p.name for p in (REPO / "notebooks" / "staff").glob("*.ipynb"))
    paths = [
        "/voila/tree",
        "/voila/api/contents",
        "/voila/api/contents/",
        *(f"/voila/render/{n}" for n in staff_notebooks or ["session.ipynb"]),
    ]
    for path in paths:
        for headers in ({}, {"Authorization": "token wrong-token"}):
            status, got, _ = _get(staff, path, headers=headers)
            refused = status == 403 or (status in (302, 303) and "login" in got.get("Location", ""))
            assert refused, f"{path} without the token answered {status}"
        status, _, _ = _get(staff, path + "?token=wrong-token")
        assert status in (302, 303, 403), f"{path} with a wrong token answered {status}"
    status, _, body = _get(staff, f"/voila/tree?token={staff.token}")
    assert status == 200
    status, _, body = _get(staff, "/voila/api/contents", headers={"Authorization": f"token {staff.token}"})
    assert status == 200
    listed = sorted(item["name"] for item in json.loads(body)["content"] if item["type"] == "notebook")
    assert listed == staff_notebooks
    for name in staff_notebooks:  # rendered (a kernel runs the app) only with the token
        status, _, body = _get(staff, f"/voila/render/{name}?token={staff.token}")
        assert status == 200, f"{name} with the token answered {status}"
        assert b"Traceback" not in body


def test_a_trainee_cannot_run_code_through_the_kernel_socket(
    trainee: RunningServer, page: Page, phrases: dict[str, list[str]]
) -> None:
    """Voila allows only widget (comm) messages: an execute_request that reads the key file is
    ignored, so the key stays on the server whatever the browser sends."""
    recorder = WsRecorder().attach(page)
    ExercisePage(page, trainee.render_url("exercise.ipynb")).open()
    kernel_ws = next(u for u in recorder.sockets if "/api/kernels/" in u)
    replies = page.evaluate(
        """async ([url, code]) => {
            const ws = new WebSocket(url.replace(/session_id=[^&]*/, 'session_id=probe'));
            const got = [];
            ws.onmessage = (e) => got.push(typeof e.data === 'string' ? e.data : '[binary]');
            await new Promise((ok, fail) => { ws.onopen = ok; ws.onerror = fail; });
            const header = (type) => ({msg_id: crypto.randomUUID(), msg_type: type,
                username: 'trainee', session: 'probe', date: new Date().toISOString(),
                version: '5.3'});
            for (const channel of ['shell', 'control']) {
                ws.send(JSON.stringify({channel, header: header('execute_request'),
                    parent_header: {}, metadata: {}, buffers: [],
                    content: {code, silent: false, store_history: false,
                              user_expressions: {}, allow_stdin: false, stop_on_error: true}}));
            }
            await new Promise((ok) => setTimeout(ok, 3000));
            ws.close();
            return got;
        }""",
        [kernel_ws, f"print(open({str(KEY)!r}).read())"],
    )
    words = normalise(" ".join(replies))
    assert not [n for n in _all(phrases) if n in words]
    assert not any('"execute_reply"' in r for r in replies)
    assert 'Received message of type "execute_request", which is not allowed' in trainee.log()


def test_x_forwarded_user_is_ignored_without_a_trusting_proxy(
    trainee: RunningServer, browser: Browser
) -> None:
    """A trainee who sends X-Forwarded-User themselves does not get someone else's id."""
    context = browser.new_context(extra_http_headers={"X-Forwarded-User": "someone-else"})
    try:
        page = context.new_page()
        ExercisePage(page, trainee.render_url("exercise.ipynb")).open()
        box = page.locator(".arms-trainee-id input")
        expect(box).to_be_enabled(timeout=ACTION_TIMEOUT)
        expect(box).to_have_value("")
        expect(page.locator("body")).not_to_contain_text("someone-else")
    finally:
        context.close()


# -- (b) the websocket before and after submission ----------------------------------------------
def test_no_key_text_crosses_the_websocket_before_submission(
    trainee: RunningServer, page: Page, phrases: dict[str, list[str]]
) -> None:
    """Record every frame while a trainee works v01 to submission: no rationale or why before
    the submit click; and, proving the recording sees key text when it is there, some after."""
    recorder = WsRecorder().attach(page)
    ex = ExercisePage(page, trainee.render_url("exercise.ipynb")).open()
    ex.start("ws-recorder-1", "Probation", "v01-new-partner", mode="full")
    ex.go("rate")
    for factor, value in V01_RATINGS.items():
        ex.rate(factor, value)
    ex.go("prioritise")
    ex.prioritise(["opportunity", "intimate_relationships", "poor_self_management"], "Medium")
    ex.go("level")
    ex.go("plan")
    ex.add_action(
        "Restrictive: Disclosure to third parties",
        objective="Donna is told",
        enforcement="Police plan it with children's services",
        rationale="Protects the children and is proportionate",
    )
    ex.go("review")
    page.locator(".lm-Widget.arms-review-reveal").click()
    ex.toggle("arms-review-significant", "Yes")
    ex.choose("arms-review-level", "High")
    expect(ex.cls("arms-missing")).to_contain_text("you can submit", timeout=ACTION_TIMEOUT)

    submit_at = recorder.mark()
    assert submit_at > 50, "the recorder saw too few frames to mean anything"
    early = recorder.containing(_all(phrases), end=submit_at)
    assert not early, "key text crossed the websocket before submission: " + ", ".join(
        f"{needle!r} in frame {i}" for needle, i in early.items()
    )

    ex.submit()
    expect(ex.cls("arms-feedback-factors")).to_be_visible(timeout=ACTION_TIMEOUT)
    late = recorder.containing(_all(phrases), start=submit_at)
    rationales_seen = {source for source, needles in phrases.items() if any(n in late for n in needles)}
    assert len(rationales_seen) >= 5, (
        "after submission the feedback frames should carry the key's rationales; the recorder "
        f"found only {sorted(rationales_seen)}"
    )
    # Nothing went wrong on the way; and had it, the trainee must not have been sent the details.
    assert not recorder.raw_containing("Traceback"), "a traceback crossed the websocket"


# -- (c) failures show no traceback -------------------------------------------------------------
def _no_traceback(page: Page, recorder: WsRecorder) -> None:
    content = page.content()
    assert "Traceback" not in content and SENTINEL not in content
    leaked = [f.text[:600] for f in recorder.frames if "Traceback" in f.text or SENTINEL in f.text]
    assert not leaked, "a traceback or the exception text reached the browser:\n" + "\n---\n".join(leaked)


@pytest.fixture
def boom_page(boom: RunningServer, page: Page) -> Iterator[tuple[Page, WsRecorder]]:
    recorder = WsRecorder().attach(page)
    page.goto(boom.render_url("boom.ipynb"))
    expect(page.locator(".lm-Widget.boom-ping")).to_be_enabled(timeout=PAGE_TIMEOUT)
    yield page, recorder


def _still_alive(page: Page) -> None:
    count = page.locator(".lm-Widget.boom-count")
    before = int(re.findall(r"\d+", count.inner_text())[0])
    page.locator(".lm-Widget.boom-ping").click()
    expect(count).to_contain_text(f"clicks: {before + 1}", timeout=ACTION_TIMEOUT)


def test_an_uncaught_callback_error_shows_no_traceback(boom_page: tuple[Page, WsRecorder]) -> None:
    """A button whose handler raises: nothing of the error reaches the browser, and the page
    keeps working (jupyter_server's traceback filter must not break the kernel connection)."""
    page, recorder = boom_page
    page.locator(".lm-Widget.boom-raw").click()
    _still_alive(page)
    _no_traceback(page, recorder)
    errors = [f for f in recorder.frames if '"msg_type": "error"' in f.text]
    assert errors, "the kernel's (scrubbed) error message should still reach the page"


def test_a_guarded_callback_error_shows_only_the_friendly_message(boom_page: tuple[Page, WsRecorder]) -> None:
    """The app's own guard (arms_training.ui.base.guarded) shows a message and logs the error:
    the log must go to the server, not down the websocket as kernel stderr."""
    page, recorder = boom_page
    page.locator(".lm-Widget.boom-guarded").click()
    expect(page.locator(".arms-message .arms-msg-error")).to_contain_text(
        "Something went wrong", timeout=ACTION_TIMEOUT
    )
    _still_alive(page)
    _no_traceback(page, recorder)


def test_a_notebook_that_fails_while_executing_shows_no_traceback(boom: RunningServer, page: Page) -> None:
    recorder = WsRecorder().attach(page)
    page.goto(boom.render_url("boom_cell.ipynb"))
    expect(page.locator(".boom-before")).to_be_visible(timeout=PAGE_TIMEOUT)
    expect(page.locator("body")).to_contain_text(
        "There was an error when executing cell", timeout=PAGE_TIMEOUT
    )
    _no_traceback(page, recorder)
    assert SENTINEL in boom.log(), "the error belongs in the server log"
