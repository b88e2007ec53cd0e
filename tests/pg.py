"""A throwaway PostgreSQL cluster for the tests, from Debian's server binaries.

``scripts/ensure_postgres.sh`` installs the binaries; nothing here touches the system service.
The cluster lives in a temporary directory, listens on a free localhost port and a Unix socket
in that directory, trusts local connections, and runs without fsync (its data is thrown away).
initdb refuses to run as root, so as root the server runs as the ``postgres`` user (or
``nobody``) through ``runuser`` or ``setpriv``.
"""

from __future__ import annotations

import glob
import os
import pwd
import re
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa

__all__ = ["PostgresUnavailable", "find_bindir", "temporary_cluster", "temporary_schema"]

USER = "arms"
DATABASE = "arms_test"


class PostgresUnavailable(RuntimeError):
    """The server binaries are not installed (the caller decides: skip, or fail on CI)."""


def find_bindir() -> Path:
    """The newest ``/usr/lib/postgresql/<major>/bin`` with initdb, else initdb on PATH."""

    def major(path: str) -> int:
        found = re.search(r"/postgresql/(\d+)/", path)
        return int(found.group(1)) if found else 0

    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=major, reverse=True)
    on_path = shutil.which("initdb")
    if on_path:
        candidates.append(os.path.realpath(on_path))
    for initdb in candidates:
        bindir = Path(initdb).parent
        if (bindir / "pg_ctl").exists() and (bindir / "postgres").exists():
            return bindir
    raise PostgresUnavailable(
        "PostgreSQL server binaries (initdb, pg_ctl) not found: run scripts/ensure_postgres.sh "
        "or set ARMS_TEST_PG_URL to a database the tests may create schemas in"
    )


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _unprivileged() -> tuple[list[str], pwd.struct_passwd | None]:
    """The command prefix that drops root, and the user it drops to (none when not root)."""
    if os.geteuid() != 0:
        return [], None
    for name in ("postgres", "nobody"):
        try:
            user = pwd.getpwnam(name)
        except KeyError:
            continue
        if shutil.which("runuser"):
            return ["runuser", "-u", name, "--"], user
        if shutil.which("setpriv"):
            return [
                "setpriv",
                f"--reuid={user.pw_uid}",
                f"--regid={user.pw_gid}",
                "--init-groups",
                "--",
            ], user
        break
    raise PostgresUnavailable("running as root without runuser or setpriv: cannot drop root to run initdb")


@dataclass(frozen=True)
class Cluster:
    url: str
    root: Path
    log: Path


@contextmanager
def temporary_cluster(*, attempts: int = 3) -> Iterator[Cluster]:
    """Start a cluster, create database ``arms_test``, yield it, then stop and delete it."""
    bindir = find_bindir()
    prefix, user = _unprivileged()
    root = Path(tempfile.mkdtemp(prefix="arms-pg-"))
    if user is not None:
        os.chown(root, user.pw_uid, user.pw_gid)
    data, log = root / "data", root / "server.log"
    env = {**os.environ, "LC_ALL": "C", "LANG": "C", "TZ": "UTC"}

    def run(*args: str | Path) -> None:
        # cwd=root: a dropped-privilege process may not be allowed into the caller's cwd.
        done = subprocess.run([*prefix, *map(str, args)], cwd=root, env=env, capture_output=True, text=True)
        if done.returncode != 0:
            tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
            raise RuntimeError(
                f"{' '.join(map(str, args[:2]))} failed ({done.returncode}):\n"
                f"{done.stdout}{done.stderr}{tail}"
            )

    started = False
    try:
        run(
            bindir / "initdb",
            "-D",
            data,
            "-U",
            USER,
            "--auth=trust",
            "--encoding=UTF8",
            "--no-locale",
            "--no-sync",
        )
        for attempt in range(attempts):
            # The port is free when chosen; another process may take it before the server binds.
            port = _free_port()
            options = (
                f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off "
                "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
            )
            try:
                run(bindir / "pg_ctl", "-D", data, "-l", log, "-o", options, "-w", "-t", "30", "start")
                started = True
                break
            except RuntimeError:
                if attempt == attempts - 1:
                    raise
        admin = sa.create_engine(
            f"postgresql+psycopg://{USER}@127.0.0.1:{port}/postgres", isolation_level="AUTOCOMMIT"
        )
        with admin.connect() as conn:
            conn.exec_driver_sql(f"CREATE DATABASE {DATABASE}")
        admin.dispose()
        yield Cluster(f"postgresql+psycopg://{USER}@127.0.0.1:{port}/{DATABASE}", root, log)
    finally:
        if started:
            run(bindir / "pg_ctl", "-D", data, "-m", "immediate", "-w", "stop")
        shutil.rmtree(root, ignore_errors=True)


@contextmanager
def temporary_schema(url: str) -> Iterator[str]:
    """A fresh schema in the database at ``url``; yields a URL whose search_path is that schema,
    so each test sees empty tables. Needs only CREATE on the database, not CREATEDB."""
    name = f"t_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.exec_driver_sql(f"CREATE SCHEMA {name}")
        try:
            yield (
                sa.make_url(url)
                .update_query_dict({"options": f"-csearch_path={name}"})
                .render_as_string(hide_password=False)
            )
        finally:
            with admin.connect() as conn:
                conn.exec_driver_sql(f"DROP SCHEMA {name} CASCADE")
    finally:
        admin.dispose()
