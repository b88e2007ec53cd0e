"""Does a real trainee server refuse the page beyond its kernel limits, with the "full" page,
status 503 and no new kernel, counting clients by the proxy's header when one is named?"""

from __future__ import annotations

import urllib.error
import urllib.request
from pathlib import Path

import pytest

from arms_training.serving.servers import trainee_server
from tests.e2e.servers import free_port, kernel_processes, start_server

pytestmark = pytest.mark.slow

TINY = Path(__file__).parent / "fixtures" / "tiny"


def get(url: str, client: str) -> tuple[int, str, dict]:
    request = urllib.request.Request(url, headers={"X-Real-IP": client})
    try:
        with urllib.request.urlopen(request, timeout=60) as answer:  # noqa: S310 - loopback
            return answer.status, answer.read().decode(), dict(answer.headers)
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode(), dict(exc.headers)


def test_the_page_beyond_the_limits_is_the_full_page_and_starts_no_kernel(tmp_path):
    spec = trainee_server(
        port=free_port(),
        root=TINY,
        max_kernels=3,
        max_kernels_per_client=2,
        client_address_header="X-Real-IP",
    )
    server = start_server(spec, data_dir=tmp_path / "data", log_path=tmp_path / "voila.log")
    try:
        page = server.render_url("page.ipynb")
        for client in ("10.0.0.1", "10.0.0.1"):
            status, body, _ = get(page, client)
            assert status == 200 and "tiny page" in body
        assert len(kernel_processes(server)) == 2

        status, body, headers = get(page, "10.0.0.1")  # its third: over the share of one address
        assert status == 503 and "Too many exercise pages are open" in body
        assert headers["Retry-After"] == "60"
        assert len(kernel_processes(server)) == 2

        assert get(page, "10.0.0.2")[0] == 200  # another address still gets a page
        status, body, _ = get(page, "10.0.0.3")  # the server's fourth: over its total
        assert status == 503 and "The server is full" in body and "try again in a minute" in body.lower()
        assert len(kernel_processes(server)) == 3
    finally:
        server.stop()
