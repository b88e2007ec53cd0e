"""Persistence for arms-training: drafts, submissions, training sessions and surveys.

A SQLite file by default (WAL mode, busy timeout), any SQLAlchemy URL (PostgreSQL) when several
Voila servers share one database; see :mod:`arms_training.store.config` for where the data lives.
Every Voila page is its own kernel process, so the store is the only state the apps share.

    from arms_training.store import Store
    store = Store()                      # or Store("postgresql+psycopg://...")
    store.save_draft(response)
    store.submit(response, score=report, key_version=3, framework_version="2018.1")
"""

from arms_training.store.config import DATA_ENV, DB_FILENAME, URL_ENV, data_dir, default_url
from arms_training.store.errors import SessionError, StoreError, StoreUnavailable
from arms_training.store.records import (
    CODE_ALPHABET,
    CODE_LENGTH,
    AuditEntry,
    Participant,
    Rescore,
    Selection,
    Session,
    Submission,
    SubmitResult,
    normalise_session_code,
)

__all__ = [
    "Store",
    "StoreError",
    "StoreUnavailable",
    "SessionError",
    "AuditEntry",
    "Selection",
    "SubmitResult",
    "Submission",
    "Rescore",
    "Session",
    "Participant",
    "normalise_session_code",
    "CODE_ALPHABET",
    "CODE_LENGTH",
    "data_dir",
    "default_url",
    "DATA_ENV",
    "URL_ENV",
    "DB_FILENAME",
    "HEAD",
    "migrate",
]


def __getattr__(name: str):
    # PEP 562: the database side (SQLAlchemy, about 0.3 s and 11 MB) loads when first asked
    # for, so a trainee page can draw itself before it opens the store.
    if name == "Store":
        from arms_training.store.api import Store

        return Store
    if name in ("HEAD", "migrate"):
        from arms_training.store import schema

        return getattr(schema, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
