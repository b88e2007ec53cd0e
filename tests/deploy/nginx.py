"""nginx from Debian's package in front of real Voila servers, with the shipped configuration
(``deploy/nginx/arms-training.conf``) run as it is but for the site's addresses, ports and
certificate paths; shared by tests/deploy/test_nginx.py and benchmarks/deploy_nginx.py.

``scripts/test.sh`` installs Debian's nginx (its service is not started); the test starts its
own master process on free loopback ports, with every file under a temporary folder.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from tests.factories import REPO

__all__ = [
    "SHIPPED",
    "TRAINEE_HOST",
    "STAFF_HOST",
    "nginx_problem",
    "site_config",
    "Nginx",
    "start_nginx",
]

SHIPPED = REPO / "deploy" / "nginx" / "arms-training.conf"
# Names the browser resolves to 127.0.0.1 (Chromium's --host-resolver-rules).
TRAINEE_HOST, STAFF_HOST = "arms.test", "staff.arms.test"


def nginx_problem() -> str | None:
    if shutil.which("nginx") or Path("/usr/sbin/nginx").exists():
        return None
    return "nginx is missing: run bash scripts/test.sh (it installs Debian's nginx) or apt-get install nginx"


def _replace(text: str, old: str, new: str, count: int) -> str:
    """Replace exactly ``count`` occurrences: a shipped file that changed shape fails loudly
    instead of being tested half-replaced."""
    found = text.count(old)
    assert found == count, f"{SHIPPED.name}: expected {count} of {old!r}, found {found}"
    return text.replace(old, new)


def site_config(*, port: int, trainees: list[int], staff: int, cert: Path, key: Path) -> str:
    """The shipped file with this test's site: ``port`` for TLS, the servers' ports, a
    self-signed certificate, ``arms.test`` and ``staff.arms.test`` as the two hosts."""
    text = SHIPPED.read_text(encoding="utf-8")
    text = _replace(
        text,
        "    server 127.0.0.1:8866;\n    server 127.0.0.1:8868;\n",
        "".join(f"    server 127.0.0.1:{p};\n" for p in trainees),
        1,
    )
    text = _replace(text, "    server 127.0.0.1:8867;\n", f"    server 127.0.0.1:{staff};\n", 1)
    text = _replace(text, "listen 80;", f"listen 127.0.0.1:{free_port()};", 1)
    text = _replace(text, "listen 443 ssl;", f"listen 127.0.0.1:{port} ssl;", 2)
    text = _replace(text, "/etc/ssl/arms-training/fullchain.pem", str(cert), 2)
    text = _replace(text, "/etc/ssl/arms-training/privkey.pem", str(key), 2)
    both = "server_name arms.example.org staff.arms.example.org;"
    text = _replace(text, both, f"server_name {TRAINEE_HOST} {STAFF_HOST};", 1)
    text = _replace(text, "server_name arms.example.org;", f"server_name {TRAINEE_HOST};", 1)
    text = _replace(text, "server_name staff.arms.example.org;", f"server_name {STAFF_HOST};", 1)
    return text


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def self_signed(folder: Path) -> tuple[Path, Path]:
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
            "-subj", f"/CN={TRAINEE_HOST}", "-addext", f"subjectAltName=DNS:{TRAINEE_HOST},DNS:{STAFF_HOST}",
            "-keyout", str(key), "-out", str(cert),
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return cert, key


@dataclass
class Nginx:
    proc: subprocess.Popen
    port: int
    root: Path

    def url(self, host: str, path: str) -> str:
        return f"https://{host}:{self.port}{path}"

    def log(self) -> str:
        path = self.root / "error.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)


def start_nginx(root: Path, *, trainees: list[int], staff: int, port: int | None = None) -> Nginx:
    """nginx in the foreground on ``port`` (default a free one), everything under ``root``."""
    root.mkdir(parents=True, exist_ok=True)
    cert, key = self_signed(root)
    port = port or free_port()
    site = site_config(port=port, trainees=trainees, staff=staff, cert=cert, key=key)
    (root / "arms-training.conf").write_text(site)
    temp_paths = {name: root / name for name in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")}
    for d in temp_paths.values():
        d.mkdir(exist_ok=True)
    main = [
        # As root nginx would hand its workers to "nobody", who cannot read this folder.
        "user root;" if os.geteuid() == 0 else "",
        "worker_processes 1;",
        "daemon off;",
        f"pid {root / 'nginx.pid'};",
        f"error_log {root / 'error.log'} info;",
        "events { worker_connections 512; }",
        "http {",
        f"  access_log {root / 'access.log'};",
        *(f"  {name}_temp_path {path};" for name, path in temp_paths.items()),
        f"  include {root / 'arms-training.conf'};",
        "}",
    ]
    (root / "nginx.conf").write_text("\n".join(main) + "\n")
    binary = shutil.which("nginx") or "/usr/sbin/nginx"
    conf = ["-p", str(root), "-c", str(root / "nginx.conf")]
    test = subprocess.run([binary, "-t", *conf], capture_output=True, text=True)
    assert test.returncode == 0, test.stderr
    proc = subprocess.Popen([binary, *conf], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
    server = Nginx(proc, port, root)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"nginx exited with {proc.returncode}:\n{server.log()[-2000:]}")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return server
        time.sleep(0.1)
    server.stop()
    raise RuntimeError(f"nginx did not listen on {port}:\n{server.log()[-2000:]}")
