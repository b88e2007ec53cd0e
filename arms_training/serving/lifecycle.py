"""Starting and stopping the Voila servers so that nothing outlives ``arms-training serve``.

A ``kill`` of ``serve`` used to leave both Voila servers and their kernels running, adopted by
init and holding the ports. Now:

* each server runs in its own session (so a terminal's Ctrl+C reaches ``serve`` alone, which
  then stops the servers in order) and, on Linux, asks the kernel to send it SIGTERM if
  ``serve`` dies without stopping it (``PR_SET_PDEATHSIG``: even ``kill -9`` of serve);
* SIGTERM, SIGINT and SIGHUP to ``serve`` raise :class:`Stop` in its main loop;
* :func:`stop_all` sends each server SIGTERM (Voila then shuts its kernels down), waits, and
  kills whatever is left of the processes it noted beforehand, kernels included (jupyter_client
  starts each kernel in a session of its own, so a process group would not reach them).
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import signal
import socket
import subprocess
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

__all__ = ["Stop", "port_problem", "start_server", "stop_all", "stop_on_signals"]

_PR_SET_PDEATHSIG = 1


class Stop(Exception):
    """A signal asked ``serve`` to stop (``signum`` says which)."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


@contextlib.contextmanager
def stop_on_signals(
    signums: Sequence[int] = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP),
) -> Iterator[None]:
    """Within the block, each of ``signums`` raises :class:`Stop` in the main thread."""

    def handler(signum: int, _frame: Any) -> None:
        raise Stop(signum)

    previous = {s: signal.signal(s, handler) for s in signums}
    try:
        yield
    finally:
        for s, old in previous.items():
            signal.signal(s, old)


def port_problem(ip: str, port: int) -> str | None:
    """Why ``ip:port`` cannot be listened on, or None. SO_REUSEADDR as Tornado binds, so a port
    in TIME_WAIT after a restart is not taken for a busy one."""
    family = socket.AF_INET6 if ":" in ip else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((ip, port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                return f"port {port} on {ip} is in use (another arms-training serve, or another program)"
            if exc.errno == errno.EACCES:
                return f"port {port} on {ip} needs more privileges than this user has (use a port above 1023)"
            if exc.errno == errno.EADDRNOTAVAIL:
                return f"{ip} is not an address of this machine"
            return f"cannot listen on {ip}:{port}: {exc.strerror or exc}"
    return None


def _die_with_parent() -> Callable[[], None] | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(None, use_errno=True)
    except OSError:
        return None

    def preexec() -> None:
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)

    return preexec


def start_server(argv: Sequence[str], env: Mapping[str, str] | None = None, **popen: Any) -> subprocess.Popen:
    """Start one Voila server in its own session, to be stopped with :func:`stop_all`."""
    return subprocess.Popen(
        list(argv),
        stdin=subprocess.DEVNULL,
        env=dict(env) if env is not None else None,
        start_new_session=True,
        preexec_fn=_die_with_parent(),  # noqa: PLW1509 - serve is single-threaded here
        **popen,
    )


def stop_all(procs: Sequence[subprocess.Popen], *, timeout: float = 15.0) -> None:
    """Stop the servers and every process they started (kernels included): SIGTERM, wait up to
    ``timeout`` seconds for Voila to shut its kernels down, then kill what is left."""
    import psutil

    family: list[psutil.Process] = []
    for proc in procs:
        try:
            family += psutil.Process(proc.pid).children(recursive=True)
        except psutil.NoSuchProcess:
            pass
    for proc in procs:
        if proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                proc.send_signal(signal.SIGTERM)
    for proc in procs:
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)
    _gone, alive = psutil.wait_procs(family, timeout=5)
    for child in alive:
        with contextlib.suppress(psutil.NoSuchProcess):
            child.kill()
    psutil.wait_procs(alive, timeout=5)
