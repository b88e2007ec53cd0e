"""A pre-heated kernel hears of its page request over Voila's request-info socket.

The server side here is a real tornado websocket on a loopback port, speaking as Voila's
``RequestInfoSocketHandler`` does (one JSON message per kernel id); the e2e suite covers the same
path in a real Voila pool (``test_a_pre_heated_page_reads_its_own_link``).
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import threading
from collections.abc import Iterator

import pytest
from tornado.web import Application
from tornado.websocket import WebSocketHandler

from arms_training.ui.exercise.preheat import preheated, request_info_url, wait_for_request
from tests.factories import REPO


@pytest.fixture
def voila_query() -> Iterator[tuple[int, list[str]]]:
    """A request-info socket on a free port; yields (port, kernel ids that connected)."""
    seen: list[str] = []
    started = threading.Event()
    state: dict = {}

    class Handler(WebSocketHandler):
        def open(self, kernel_id: str) -> None:
            seen.append(kernel_id)
            self.write_message(
                json.dumps({"QUERY_STRING": "session=ABC234", "HTTP_X_FORWARDED_USER": "heron-7"})
            )

    def serve() -> None:
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        app = Application([(r"/voila/query/(.*)", Handler)])
        server = app.listen(0, "127.0.0.1")
        state["port"] = next(iter(server._sockets.values())).getsockname()[1]
        state["loop"], state["server"] = loop, server
        started.set()
        loop.run_forever()
        loop.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    assert started.wait(10)
    yield state["port"], seen
    state["loop"].call_soon_threadsafe(state["server"].stop)
    state["loop"].call_soon_threadsafe(state["loop"].stop)
    thread.join(10)


def pooled_env(port: int) -> dict[str, str]:
    return {
        "VOILA_PREHEAT": "True",
        "VOILA_APP_IP": "127.0.0.1",
        "VOILA_APP_PORT": str(port),
        "VOILA_SERVER_URL": "/",
        "VOILA_KERNEL_ID": "kernel-42",
    }


def test_a_pooled_kernel_receives_its_request(voila_query):
    port, seen = voila_query
    env = pooled_env(port)
    assert wait_for_request(env) is True
    assert seen == ["kernel-42"]
    assert env["QUERY_STRING"] == "session=ABC234"
    assert env["HTTP_X_FORWARDED_USER"] == "heron-7"


def test_a_kernel_started_for_its_page_does_not_wait(voila_query):
    port, seen = voila_query
    env = {**pooled_env(port), "VOILA_PREHEAT": "False"}
    assert not preheated(env)
    assert wait_for_request(env) is False
    assert seen == [] and "QUERY_STRING" not in env


def test_an_unreachable_server_is_logged_not_raised(caplog):
    import socket

    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = pooled_env(port)
    with caplog.at_level("WARNING", logger="arms_training.ui"):
        assert wait_for_request(env) is False
    assert "QUERY_STRING" not in env
    assert "no request info from Voila" in caplog.text


def test_the_url_follows_voilas_settings():
    env = {
        "VOILA_WS_PROTOCOL": "wss",
        "VOILA_APP_IP": "10.0.0.5",
        "VOILA_APP_PORT": "9000",
        "VOILA_SERVER_URL": "/arms/",
        "VOILA_KERNEL_ID": "k1",
    }
    assert request_info_url(env) == "wss://10.0.0.5:9000/arms/voila/query/k1"
    assert request_info_url({**env, "VOILA_WS_BASE_URL": "/ws/"}) == "wss://10.0.0.5:9000/ws/voila/query/k1"


def test_waiting_does_not_load_the_voila_server_into_the_kernel(voila_query):
    """The reason this module exists: voila.utils would add ~47 MB to every pooled kernel."""
    port, _ = voila_query
    code = (
        "import sys, os; from arms_training.ui.exercise.preheat import wait_for_request;"
        f"os.environ.update({pooled_env(port)!r});"
        "print(wait_for_request(), os.environ['QUERY_STRING'],"
        " sorted(m for m in ('voila', 'jupyter_server', 'nbconvert') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["True", "session=ABC234", "[]"]
