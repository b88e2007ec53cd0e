"""Waiting for the page request in a pre-heated Voila kernel, without importing Voila.

A kernel from Voila's pool runs the notebook before anyone asks for the page, so the query string
(``?session=CODE``) and the trusted headers reach it later, over a websocket to the server's
``voila/query/<kernel id>``. ``voila.utils.wait_for_request`` does exactly this, but importing it
loads the Voila server stack (jupyter_server, nbconvert, requests...) into the kernel: measured
at +47 MB and 2 s of CPU per pooled trainee kernel. This is the same protocol with the small
synchronous client of ``websockets`` (a Voila dependency), about +1.4 MB.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Mapping, MutableMapping

__all__ = ["preheated", "request_info_url", "wait_for_request"]

log = logging.getLogger("arms_training.ui")
CONNECT_TIMEOUT = 5.0  # seconds, as Voila's own helper


def preheated(environ: Mapping[str, str] | None = None) -> bool:
    """Is this kernel one of Voila's pre-heated pool (started before its page was asked for)?"""
    environ = os.environ if environ is None else environ
    return environ.get("VOILA_PREHEAT") == "True"


def request_info_url(environ: Mapping[str, str]) -> str:
    """The server's request-info socket for this kernel, built as Voila's helper builds it."""
    protocol = environ.get("VOILA_WS_PROTOCOL", "ws")
    ip = environ.get("VOILA_APP_IP", "127.0.0.1")
    port = environ.get("VOILA_APP_PORT", "8866")
    base = environ.get("VOILA_WS_BASE_URL", environ.get("VOILA_SERVER_URL", "/"))
    return f"{protocol}://{ip}:{port}{base}voila/query/{environ.get('VOILA_KERNEL_ID', '')}"


def wait_for_request(environ: MutableMapping[str, str] | None = None) -> bool:
    """Block until this pooled kernel's page is requested, then put the request (``QUERY_STRING``,
    ``HTTP_*`` headers...) into ``environ``. Returns False, changing nothing, when the kernel is
    not pre-heated or the server cannot be reached (the page then opens without its query)."""
    environ = os.environ if environ is None else environ
    if not preheated(environ):
        return False
    from websockets.exceptions import WebSocketException
    from websockets.sync.client import connect

    try:
        with connect(request_info_url(environ), open_timeout=CONNECT_TIMEOUT) as socket:
            info = json.loads(socket.recv())
    except (OSError, TimeoutError, ValueError, WebSocketException) as exc:
        # A kernel that cannot hear of its request still serves a usable start screen.
        log.warning("no request info from Voila: %s", exc)
        return False
    for key, value in info.items():
        environ[key] = str(value)
    return True
