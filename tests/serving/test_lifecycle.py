"""Does ``arms-training serve`` stop cleanly (SIGTERM or SIGINT: no server, no kernel, no bound
port left), and refuse ports it cannot have before it starts anything?"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request

import psutil
import pytest

from tests.e2e.servers import free_port
from tests.factories import run_cli

pytestmark = pytest.mark.slow


def bound(port: int) -> bool:
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return True
    return False


def start_serve(tmp_path, *args: str) -> tuple[subprocess.Popen, int, int]:
    trainee, staff = free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if k != "ARMS_TRAINING_DB_URL"}
    env["ARMS_TRAINING_DATA"] = str(tmp_path / "data")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "arms_training.cli",
            "serve",
            "--port",
            str(trainee),
            "--staff-port",
            str(staff),
            *args,
        ],
        cwd=tmp_path,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    deadline = time.monotonic() + 120
    assert proc.stdout is not None
    for line in proc.stdout:
        if "Press Ctrl+C to stop." in line or time.monotonic() > deadline:
            break
    assert proc.poll() is None, "serve stopped before it was ready"
    return proc, trainee, staff


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_stops_both_servers_and_every_kernel(tmp_path, signum):
    proc, trainee, staff = start_serve(tmp_path)
    # A trainee page: its kernel is a grandchild of serve, in a session of its own.
    with urllib.request.urlopen(
        f"http://127.0.0.1:{trainee}/voila/render/exercise.ipynb", timeout=120
    ) as page:
        assert page.status == 200
        page.read()
    family = psutil.Process(proc.pid).children(recursive=True)
    assert any("ipykernel" in " ".join(p.cmdline()) for p in family)
    assert len([p for p in family if "arms_training.serving.app" in " ".join(p.cmdline())]) == 2

    proc.send_signal(signum)
    assert proc.wait(timeout=60) == 0
    _gone, alive = psutil.wait_procs(family, timeout=10)
    assert alive == [], f"left running: {[p.cmdline() for p in alive]}"
    assert not bound(trainee) and not bound(staff)


def test_a_port_out_of_range_is_a_usage_error():
    done = run_cli("serve", "--port", "99999")
    assert done.returncode == 2 and "99999 is not a port number; allowed: 1 to 65535" in done.stderr
    done = run_cli("serve", "--port", "web")
    assert done.returncode == 2 and "'web' is not a port number" in done.stderr


def test_a_busy_port_is_an_error_not_a_silent_move(tmp_path):
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        busy = holder.getsockname()[1]
        done = run_cli("serve", "--port", str(busy), "--staff-port", str(free_port()), cwd=tmp_path)
    assert done.returncode == 2
    assert f"port {busy} on 127.0.0.1 is in use" in done.stderr and "--port" in done.stderr
    done = run_cli("serve", "--port", "8866", "--staff-port", "8866", cwd=tmp_path)
    assert done.returncode == 2 and "both 8866" in done.stderr
