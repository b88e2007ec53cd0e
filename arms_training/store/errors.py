"""The store's domain errors, and the one place database exceptions become them.

Importing this module does not import SQLAlchemy (only :func:`guard` needs it), so a page can
name the errors before it opens a database.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from arms_training.errors import SessionError, StoreError, StoreUnavailable

__all__ = ["StoreError", "StoreUnavailable", "SessionError", "guard"]

UNAVAILABLE = (
    "the training database is locked or unavailable: {detail}; your draft is kept in this page, try again"
)


def _detail(exc: BaseException) -> str:
    orig = getattr(exc, "orig", None) or exc
    text = str(orig).strip()
    return text.splitlines()[0] if text else type(orig).__name__


@contextmanager
def guard(action: str, url: str = "") -> Iterator[None]:
    """Translate database exceptions raised inside the block into :class:`StoreError`.

    ``action`` completes "could not ...", e.g. ``"save the draft"``; ``url`` (password hidden)
    names the database for a command-line message.
    """
    import sqlalchemy as sa

    try:
        yield
    except (sa.exc.OperationalError, sa.exc.InterfaceError, sa.exc.TimeoutError) as exc:
        # Locked (SQLite busy timeout, PostgreSQL lock_timeout), unreachable or out of connections.
        detail = _detail(exc)
        raise StoreUnavailable(UNAVAILABLE.format(detail=detail), detail=detail, url=url) from exc
    except sa.exc.DBAPIError as exc:
        raise StoreError(f"the training database could not {action}: {_detail(exc)}") from exc
