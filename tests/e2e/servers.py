"""Real Voila servers for the browser tests and the benchmarks, started from ``ServerSpec.argv()``.

The command line is the one ``arms-training serve`` runs, so the tests exercise the hardened
settings themselves, not a copy of them. Each server gets a free loopback port and its own data
directory (a fresh SQLite store); ``ARMS_TRAINING_DB_URL`` is removed from its environment so a
developer's PostgreSQL is never written to by a test.
"""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import psutil

from arms_training.serving.servers import ServerSpec, staff_environ, staff_server, trainee_server

__all__ = [
    "CHROMIUM",
    "CHROMIUM_ARGS",
    "RunningServer",
    "chromium_problem",
    "free_port",
    "start_server",
    "start_trainee",
    "start_staff",
    "kernel_processes",
    "wait_for_pool",
]

CHROMIUM = Path(os.environ.get("ARMS_E2E_CHROMIUM", "/usr/bin/chromium"))
# The flags that work on the project's Debian machines (no sandbox inside containers, no GPU,
# nothing that phones home while a test runs).
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
START_TIMEOUT = 120.0


def chromium_problem() -> str | None:
    """Why the browser tests cannot run here, or None when Debian's chromium is installed."""
    if CHROMIUM.is_file() and os.access(CHROMIUM, os.X_OK):
        return None
    return (
        f"{CHROMIUM} is missing: install Debian's chromium (apt-get install chromium, or "
        "run bash scripts/test.sh, which does); Playwright's own browser downloads are not "
        "used"
    )


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class RunningServer:
    spec: ServerSpec
    proc: subprocess.Popen
    data_dir: Path
    log_path: Path

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.spec.port}"

    @property
    def token(self) -> str:
        return self.spec.token

    def url(self, path: str = "/", *, token: bool = False) -> str:
        sep = "&" if "?" in path else "?"
        return self.base + path + (f"{sep}token={self.spec.token}" if token else "")

    def render_url(self, notebook: str) -> str:
        return f"{self.base}/voila/render/{notebook}"

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def stop(self) -> None:
        """SIGINT (Voila shuts its kernels down), then kill whatever is left."""
        try:
            children = psutil.Process(self.proc.pid).children(recursive=True)
        except psutil.NoSuchProcess:
            children = []
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        _gone, alive = psutil.wait_procs(children, timeout=5)
        for child in alive:
            try:
                child.kill()
            except psutil.NoSuchProcess:
                pass


def _answering(url: str) -> bool:
    try:
        urllib.request.urlopen(url, timeout=2)  # noqa: S310 - loopback only
    except urllib.error.HTTPError:
        return True  # 403 without a token is an answer
    except (urllib.error.URLError, OSError):
        return False
    return True


def start_server(
    spec: ServerSpec,
    *,
    data_dir: Path,
    log_path: Path,
    extra_env: dict[str, str] | None = None,
    extra_args: list[str] | None = None,
) -> RunningServer:
    """Start ``spec`` and wait until it answers; raise RuntimeError with its log if it does not.

    ``extra_args`` are appended to the command line (benchmarks use them to try a setting)."""
    data_dir.mkdir(parents=True, exist_ok=True)
    log_path.parent.mkdir(parents=True, exist_ok=True)
    env = {
        k: v for k, v in os.environ.items() if k not in ("ARMS_TRAINING_DB_URL", "ARMS_TRAINING_STAFF_TOKEN")
    }
    env.update({"ARMS_TRAINING_DATA": str(data_dir), "PYTHONUNBUFFERED": "1"})
    env.update(extra_env or {})
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            [*spec.argv(), *(extra_args or [])],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=data_dir,
        )
    server = RunningServer(spec, proc, data_dir, log_path)
    deadline = time.monotonic() + START_TIMEOUT
    probe = f"{server.base}/voila/tree"
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"Voila ({spec.name}) exited with {proc.returncode}:\n{server.log()[-3000:]}")
        if _answering(probe):
            return server
        time.sleep(0.2)
    server.stop()
    raise RuntimeError(
        f"Voila ({spec.name}) did not answer within {START_TIMEOUT:.0f} s:\n{server.log()[-3000:]}"
    )


def start_trainee(
    workdir: Path,
    *,
    root: Path | None = None,
    pool: int = 0,
    trust_proxy_user: bool = False,
    name: str = "trainee",
    data_dir: Path | None = None,
    extra_args: list[str] | None = None,
    max_kernels: int = 0,
    max_kernels_per_client: int = 0,
    client_address_header: str = "",
) -> RunningServer:
    """A trainee server; without kernel limits unless asked (a browser suite, or a benchmark's
    crowd, opens many pages from one address, and the limits have tests of their own)."""
    spec = trainee_server(
        port=free_port(),
        pool=pool,
        trust_proxy_user=trust_proxy_user,
        root=root,
        max_kernels=max_kernels,
        max_kernels_per_client=max_kernels_per_client,
        client_address_header=client_address_header,
    )
    return start_server(
        spec,
        data_dir=data_dir or workdir / f"{name}-data",
        log_path=workdir / f"{name}-voila.log",
        extra_args=extra_args,
    )


def start_staff(
    workdir: Path, *, data_dir: Path | None = None, trainee: RunningServer | None = None
) -> RunningServer:
    """The staff server; with ``trainee``, set up as ``arms-training serve`` pairs the two: the
    session app's join link points at that trainee server (pass its ``data_dir`` too, so both
    share one store)."""
    spec = staff_server(port=free_port(), token=secrets.token_urlsafe(18))
    env = staff_environ({}, trainee.spec) if trainee is not None else None
    return start_server(
        spec, data_dir=data_dir or workdir / "staff-data", log_path=workdir / "staff-voila.log", extra_env=env
    )


def kernel_processes(server: RunningServer) -> list[psutil.Process]:
    """The server's kernel processes (``python -m ipykernel_launcher ...``)."""
    try:
        children = psutil.Process(server.proc.pid).children(recursive=True)
    except psutil.NoSuchProcess:
        return []
    out = []
    for child in children:
        try:
            if any("ipykernel" in part for part in child.cmdline()):
                out.append(child)
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            pass
    return out


def _awaiting_request(kernel: psutil.Process, port: int) -> bool:
    """Is the kernel connected back to the server (Voila's /voila/query socket), i.e. waiting in
    ``wait_for_request`` for a page to be asked for?"""
    try:
        connections = kernel.net_connections(kind="tcp")
    except (psutil.NoSuchProcess, psutil.AccessDenied):
        return False
    return any(c.status == psutil.CONN_ESTABLISHED and c.raddr and c.raddr.port == port for c in connections)


def wait_for_pool(
    server: RunningServer,
    size: int,
    *,
    awaits_request: bool = False,
    timeout: float = 300.0,
    quiet_seconds: float = 1.0,
    quiet_rounds: int = 3,
    min_cpu: float = 0.4,
) -> float:
    """Wait until ``size`` pre-heated kernels are ready; return the seconds waited.

    Voila logs the pool as "filled" when the kernels are launched, long before they are ready,
    so readiness is read from the processes. For a notebook that waits for the request (the
    exercise), a ready kernel is one connected back to the server to hear of it. Otherwise
    (the notebook runs to the end), every kernel must have used ``min_cpu`` seconds of CPU (a
    one-button page costs its kernel about 0.5 s in all) and none at all for ``quiet_rounds``
    windows of ``quiet_seconds`` in a row.
    """
    start = time.monotonic()
    deadline = start + timeout
    quiet = 0
    while time.monotonic() < deadline:
        kernels = kernel_processes(server)
        if awaits_request:
            if sum(_awaiting_request(k, server.spec.port) for k in kernels) >= size:
                return time.monotonic() - start
            time.sleep(0.3)
            continue
        if len(kernels) < size:
            quiet = 0
            time.sleep(0.3)
            continue
        before = {}
        for k in kernels:
            try:
                before[k.pid] = sum(k.cpu_times()[:2])
            except psutil.NoSuchProcess:
                pass
        time.sleep(quiet_seconds)
        ready = 0
        busy = False
        for k in kernels:
            try:
                used = sum(k.cpu_times()[:2])
            except psutil.NoSuchProcess:
                continue
            if used - before.get(k.pid, used) > 0.05 * quiet_seconds:
                busy = True
            elif used >= min_cpu:
                ready += 1
        quiet = quiet + 1 if not busy and ready >= size else 0
        if quiet >= quiet_rounds:
            return time.monotonic() - start
    raise TimeoutError(f"{size} pre-heated kernels not ready after {timeout:.0f} s")
