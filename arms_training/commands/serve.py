"""``arms-training serve``: the trainee Voila and the token-protected staff Voila, side by side."""

from __future__ import annotations

import argparse
import os
import sys
import time
import urllib.error
import urllib.request
from datetime import UTC, datetime, timedelta

from arms_training.commands.options import non_negative_int, port, positive_int
from arms_training.serving.limits import DEFAULT_MAX_KERNELS, DEFAULT_MAX_KERNELS_PER_CLIENT

DESCRIPTION = """\
Start the apps: the trainee server (the exercise, notebooks/trainee only, no token) and the
staff server (trainer session and calibration, its own port and token). It prints both URLs.

Stop with Ctrl+C, or SIGTERM (kill PID, systemctl stop): both servers and every kernel stop,
and the ports are free again. Both servers answer about five seconds after the start (measured
on a 2-core machine); the first trainee page then takes a few seconds more to start its kernel.

Each trainee page holds a kernel of about 80 MB. Beyond --max-kernels live pages (or
--max-kernels-per-client from one address) a trainee gets a "the server is full, try again in a
minute" page instead of a new kernel. Behind nginx give --client-address-header X-Real-IP, or
every trainee looks like the proxy's one address.

Settings from the environment: ARMS_TRAINING_DB_URL (database), ARMS_TRAINING_DATA (data
folder), ARMS_TRAINING_CONTENT (case library), ARMS_TRAINING_STAFF_TOKEN,
ARMS_TRAINING_TRAINEE_URL (the public join link), ARMS_TRAINING_RETENTION_DAYS.

Exit status: 0 stopped by a signal or Ctrl+C; 1 a server failed to start or stopped by itself;
2 bad usage (a port out of range or busy, a missing notebook folder)."""

RETENTION_ENV = "ARMS_TRAINING_RETENTION_DAYS"
PURGE_EVERY = timedelta(days=1)


def _retention_default() -> int:
    text = os.environ.get(RETENTION_ENV, "").strip()
    return int(text) if text.isdigit() else 0


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--ip", default="127.0.0.1", help="address to listen on; 0.0.0.0 for every address")
    p.add_argument("--port", type=port, default=8866, help="trainee server port")
    p.add_argument("--staff-port", type=port, default=8867, help="staff server port")
    p.add_argument(
        "--staff-token",
        default=os.environ.get("ARMS_TRAINING_STAFF_TOKEN"),
        help="token for the staff server (default: ARMS_TRAINING_STAFF_TOKEN, else a new random one)",
    )
    p.add_argument("--no-staff", action="store_true", help="start only the trainee server")
    k = p.add_argument_group("trainee kernels")
    k.add_argument(
        "--pool",
        type=non_negative_int,
        default=0,
        metavar="N",
        help="pre-heated kernels for the exercise page (0: off)",
    )
    k.add_argument(
        "--pool-refill-delay",
        type=non_negative_int,
        default=30,
        metavar="SECONDS",
        help="wait before refilling the pool after pages take its kernels, so a room joining at "
        "once is served first",
    )
    k.add_argument(
        "--cull-idle",
        type=positive_int,
        default=1800,
        metavar="SECONDS",
        help="shut down kernels idle this long",
    )
    k.add_argument(
        "--max-kernels",
        type=non_negative_int,
        default=DEFAULT_MAX_KERNELS,
        metavar="N",
        help="live trainee pages (kernels) the server holds before it shows the 'full' page (0: no limit)",
    )
    k.add_argument(
        "--max-kernels-per-client",
        type=non_negative_int,
        default=DEFAULT_MAX_KERNELS_PER_CLIENT,
        metavar="N",
        help="live trainee pages one client address may hold (0: no limit); raise it to the room's "
        "size when a room reaches the server through one address",
    )
    k.add_argument(
        "--client-address-header",
        default="",
        metavar="HEADER",
        help="header a trusted proxy sets to the client's address, e.g. X-Real-IP (default: none, "
        "the connection's address)",
    )
    p.add_argument(
        "--trust-proxy-user",
        action="store_true",
        help="take the trainee id from X-Forwarded-User (only behind an authenticating proxy that sets it)",
    )
    p.add_argument(
        "--retention-days",
        type=non_negative_int,
        default=_retention_default(),
        metavar="DAYS",
        help=f"delete data older than this when starting and then daily, as `arms-training purge` "
        f"(0: keep everything; default: {RETENTION_ENV}, else 0)",
    )


def _wait(url: str, proc, timeout: float = 120) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return False
        try:
            urllib.request.urlopen(url, timeout=2)  # noqa: S310 - loopback only
            return True
        except urllib.error.HTTPError:
            return True  # answering, even with 403/404
        except (urllib.error.URLError, OSError):
            time.sleep(0.3)
    return False


def _purge(days: int) -> None:
    """Apply the retention period; a failure is reported, never fatal to the servers."""
    from arms_training.commands.options import error_text
    from arms_training.errors import ArmsError
    from arms_training.store import Store

    before = datetime.now(UTC) - timedelta(days=days)
    try:
        with Store() as store:
            deleted = store.purge(before, actor=f"arms-training serve (retention {days} days)")
    except ArmsError as exc:
        print(f"arms-training serve: the daily purge failed: {error_text(exc)}", file=sys.stderr, flush=True)
        return
    gone = ", ".join(f"{n} {name}" for name, n in deleted.items() if n) or "nothing"
    print(f"Retention {days} days: deleted {gone}.", flush=True)


def _specs(args: argparse.Namespace):
    from arms_training.serving.servers import staff_server, trainee_server

    trainee = trainee_server(
        ip=args.ip,
        port=args.port,
        pool=args.pool,
        trust_proxy_user=args.trust_proxy_user,
        max_kernels=args.max_kernels,
        max_kernels_per_client=args.max_kernels_per_client,
        client_address_header=args.client_address_header,
    )
    trainee.cull_idle_seconds = args.cull_idle
    trainee.pool_refill_delay = args.pool_refill_delay
    specs = [trainee]
    if not args.no_staff:
        specs.append(staff_server(ip=args.ip, port=args.staff_port, token=args.staff_token))
    return specs


def _usage_problem(specs) -> str | None:
    from arms_training.serving.lifecycle import port_problem

    if len(specs) > 1 and specs[0].port == specs[1].port:
        return f"--port and --staff-port are both {specs[0].port}; give them different ports"
    for spec in specs:
        if not spec.root.is_dir():
            return (
                f"the {spec.name} notebook folder {spec.root} is missing (a broken install? "
                "reinstall arms-training)"
            )
        problem = port_problem(spec.ip, spec.port)
        if problem:
            option = "--port" if spec.name == "trainee" else "--staff-port"
            return f"{problem}; stop what holds it, or choose another with {option}"
    return None


def run(args: argparse.Namespace) -> int:
    from arms_training.serving.lifecycle import Stop, start_server, stop_all, stop_on_signals
    from arms_training.serving.servers import staff_environ

    specs = _specs(args)
    problem = _usage_problem(specs)
    if problem:
        print(f"arms-training serve: {problem}", file=sys.stderr)
        return 2
    procs = []
    with stop_on_signals():
        try:
            for spec in specs:
                env = staff_environ(os.environ, specs[0]) if spec.name == "staff" else None
                procs.append(start_server(spec.argv(), env))
            for spec, proc in zip(specs, procs, strict=True):
                # The tree page answers without starting a kernel (403 without a token counts).
                if not _wait(f"http://127.0.0.1:{spec.port}{spec.base_url}voila/tree", proc):
                    print(
                        f"arms-training serve: the {spec.name} server did not start (its messages are above)",
                        file=sys.stderr,
                    )
                    return 1
            print(f"Trainee exercise:  {specs[0].url}", flush=True)
            if len(specs) > 1:
                print(f"Staff apps:        {specs[1].url}", flush=True)
            print("Press Ctrl+C to stop.", flush=True)
            next_purge = time.monotonic()
            while all(p.poll() is None for p in procs):
                if args.retention_days and time.monotonic() >= next_purge:
                    _purge(args.retention_days)
                    next_purge = time.monotonic() + PURGE_EVERY.total_seconds()
                time.sleep(0.5)
            stopped = next(s for s, p in zip(specs, procs, strict=True) if p.poll() is not None)
            print(
                f"arms-training serve: the {stopped.name} server stopped; stopping the rest", file=sys.stderr
            )
            return 1
        except (Stop, KeyboardInterrupt):
            print("Stopping the servers and their kernels...", file=sys.stderr, flush=True)
            return 0
        finally:
            # Signals that arrive now must not interrupt the stopping itself.
            import signal

            for s in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
                signal.signal(s, signal.SIG_IGN)
            stop_all(procs)
