"""Engines tuned for the two ways the store runs: a SQLite file, or a shared PostgreSQL.

Every Voila page is its own kernel process with its own engine, so the pool is per trainee:
small, and the database's own locking does the coordination.

SQLite writers take the write lock at BEGIN, waiting for it in short turns (_begin_immediate).
A first-come-first-served queue of writers (flock on per-writer files) was tried and dropped:
it also bounded the worst wait, but doubled p95, because a lock handed to a process that is not
running sits idle until that process is scheduled (benchmarks/store_submit.py, 40 processes on
2 CPUs).
"""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path
from typing import cast

import sqlalchemy as sa

__all__ = ["make_engine", "write_options", "sqlite_file", "DEFAULT_BUSY_TIMEOUT"]

# Seconds a writer waits for another writer's lock before the trainee is told to try again.
# A write holds the lock for about a millisecond, so five seconds means something is wrong.
DEFAULT_BUSY_TIMEOUT = 5.0
_BEGIN = "arms_begin"


def make_engine(url: str | sa.URL, *, busy_timeout: float = DEFAULT_BUSY_TIMEOUT) -> sa.Engine:
    url = sa.make_url(url)
    if url.get_backend_name() == "sqlite":
        return _sqlite_engine(url, busy_timeout)
    if url.get_backend_name() == "postgresql":
        return _postgresql_engine(url, busy_timeout)
    return sa.create_engine(url, pool_pre_ping=True)


def sqlite_file(url: str | sa.URL) -> Path | None:
    """The database file of a SQLite URL; None for other backends and in-memory databases."""
    url = sa.make_url(url)
    name = url.database
    if url.get_backend_name() != "sqlite" or not name or name == ":memory:" or name.startswith("file:"):
        return None
    return Path(name).expanduser().resolve()


def write_options() -> dict[str, str]:
    """Execution options for a connection that will write (``BEGIN IMMEDIATE`` on SQLite)."""
    return {_BEGIN: "IMMEDIATE"}


def _sqlite_engine(url: sa.URL, busy_timeout: float) -> sa.Engine:
    path = sqlite_file(url)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
    engine = sa.create_engine(url, connect_args={"timeout": busy_timeout})

    @sa.event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record) -> None:
        # The driver's own implicit BEGIN is DEFERRED: a transaction that reads then writes
        # would fail at once with "database is locked" (no busy wait) if another writer got in
        # between. Take transaction control so writers can BEGIN IMMEDIATE (see _on_begin).
        dbapi_conn.isolation_level = None
        cursor = dbapi_conn.cursor()
        # busy_timeout first: switching to WAL on a new file needs a lock other kernels may hold.
        cursor.execute(f"PRAGMA busy_timeout = {int(busy_timeout * 1000)}")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute("PRAGMA journal_mode = WAL")
        # NORMAL, as SQLite recommends with WAL: no fsync per commit, only at checkpoints. A
        # commit survives any crash of a kernel or server process; only an OS crash or power cut
        # before the next checkpoint can roll back the last commits, never corrupt the file.
        # The fsync is otherwise most of a writer's time under the lock (3.7 ms against 0.5 ms
        # per write on the test VM), which decides latency when forty trainees submit at once.
        # Rails made the same choice (rails/rails#49349). Deployments that cannot accept that
        # window use PostgreSQL.
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.close()

    @sa.event.listens_for(engine, "begin")
    def _on_begin(conn: sa.Connection) -> None:
        if conn.get_execution_options().get(_BEGIN) == "IMMEDIATE":
            _begin_immediate(cast(sqlite3.Connection, conn.connection.dbapi_connection), busy_timeout)
        else:
            mode = conn.get_execution_options().get(_BEGIN, "DEFERRED")
            conn.exec_driver_sql(f"BEGIN {mode}")

    return engine


# Longest sleep between a waiting writer's attempts at the write lock, in milliseconds.
_POLL_MS = 10


def _begin_immediate(dbapi_conn: sqlite3.Connection, busy_timeout: float) -> None:
    """BEGIN IMMEDIATE, waiting up to ``busy_timeout`` seconds for the write lock in short turns.

    SQLite's busy handler sleeps 1, 2, 5, 10, ... up to 100 ms between attempts, so the writer
    that has waited longest checks least often: newcomers keep taking the lock first and one
    unlucky writer can wait out the whole timeout (measured with forty writer processes: waits
    up to 4.3 s, and failed writes before synchronous=NORMAL). Restarting the handler every
    ``_POLL_MS`` keeps every waiter checking at least every 5 ms (max wait 0.7-1.1 s in the same
    runs); the sleeping stays in C, so waiting costs almost no CPU.
    """
    deadline = time.monotonic() + busy_timeout
    dbapi_conn.execute(f"PRAGMA busy_timeout = {_POLL_MS}")
    try:
        while True:
            try:
                dbapi_conn.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as exc:
                busy = "locked" in str(exc) or "busy" in str(exc)
                if not busy or time.monotonic() >= deadline:
                    # Raised outside SQLAlchemy's own wrapping (begin events run before it).
                    raise sa.exc.OperationalError("BEGIN IMMEDIATE", (), exc) from exc
    finally:
        dbapi_conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout * 1000)}")


def _postgresql_engine(url: sa.URL, busy_timeout: float) -> sa.Engine:
    # lock_timeout is PostgreSQL's busy timeout: without it a blocked writer waits forever.
    options = f"-c lock_timeout={int(busy_timeout * 1000)}"
    if "options" in url.query:
        options = f"{url.query['options']} {options}"
    url = url.update_query_dict({"options": options})
    return sa.create_engine(
        url,
        # One kernel rarely needs more than one connection; forty kernels must fit within
        # PostgreSQL's default max_connections = 100 with room for the staff apps.
        pool_size=1,
        max_overflow=2,
        pool_timeout=busy_timeout + 5,
        pool_pre_ping=True,
        pool_recycle=1800,
        connect_args={"connect_timeout": max(2, int(busy_timeout * 2))},
    )
