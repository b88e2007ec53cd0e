"""``arms-training serve``: the trainee Voila and the token-protected staff Voila, side by side."""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--ip", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=8866, help="trainee server port (default 8866)")
    p.add_argument("--staff-port", type=int, default=8867, help="staff server port (default 8867)")
    p.add_argument(
        "--staff-token",
        default=os.environ.get("ARMS_TRAINING_STAFF_TOKEN"),
        help="token for the staff server (default: ARMS_TRAINING_STAFF_TOKEN or random)",
    )
    p.add_argument("--no-staff", action="store_true", help="start only the trainee server")
    p.add_argument(
        "--pool", type=int, default=0, metavar="N", help="pre-heated kernels for the exercise page (0: off)"
    )
    p.add_argument(
        "--pool-refill-delay",
        type=int,
        default=30,
        metavar="SECONDS",
        help="wait before refilling the pool after pages take its kernels, so a room "
        "joining at once is served first (default 30)",
    )
    p.add_argument(
        "--cull-idle",
        type=int,
        default=1800,
        metavar="SECONDS",
        help="shut down kernels idle this long (default 1800)",
    )
    p.add_argument(
        "--trust-proxy-user",
        action="store_true",
        help="take the trainee id from X-Forwarded-User (only behind an authenticating proxy that sets it)",
    )


def _wait(url: str, proc: subprocess.Popen, timeout: float = 120) -> bool:
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


def run(args: argparse.Namespace) -> int:
    from arms_training.serving.servers import staff_environ, staff_server, trainee_server

    specs = [
        trainee_server(ip=args.ip, port=args.port, pool=args.pool, trust_proxy_user=args.trust_proxy_user)
    ]
    specs[0].cull_idle_seconds = args.cull_idle
    specs[0].pool_refill_delay = args.pool_refill_delay
    if not args.no_staff:
        specs.append(staff_server(ip=args.ip, port=args.staff_port, token=args.staff_token))
    procs = []
    for spec in specs:
        if not spec.root.is_dir():
            print(f"arms-training serve: notebook folder {spec.root} is missing", file=sys.stderr)
            return 2
        env = staff_environ(os.environ, specs[0]) if spec.name == "staff" else None
        procs.append(subprocess.Popen(spec.argv(), stdin=subprocess.DEVNULL, env=env))
    try:
        for spec, proc in zip(specs, procs, strict=True):
            # The tree page answers without starting a kernel (403 without a token still counts).
            if not _wait(f"http://127.0.0.1:{spec.port}/voila/tree", proc):
                print(
                    f"arms-training serve: the {spec.name} server did not start (port {spec.port} in use?)",
                    file=sys.stderr,
                )
                return 1
        print(f"Trainee exercise:  {specs[0].url}", flush=True)
        if len(specs) > 1:
            print(f"Staff apps:        {specs[1].url}", flush=True)
        print("Press Ctrl+C to stop.", flush=True)
        while all(p.poll() is None for p in procs):
            time.sleep(0.5)
        return 1
    except KeyboardInterrupt:
        return 0
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGINT)
        for proc in procs:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
