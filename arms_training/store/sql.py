"""Insert-if-new and upsert, portable across SQLite and PostgreSQL, with statements built once.

Building a statement costs more Python than running it on SQLite, and writers run while holding
the database's write lock, so the statements are made once per table and dialect and executed
with plain parameter dictionaries.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

__all__ = ["insert_new", "upsert"]

_ON_CONFLICT = {"sqlite": sqlite, "postgresql": postgresql}


@cache
def _insert_new_stmt(dialect: str, table: sa.Table) -> sa.Insert:
    insert = _ON_CONFLICT[dialect].insert(table)
    # RETURNING, not rowcount: psycopg reports rowcount -1 for these inserts.
    return insert.on_conflict_do_nothing().returning(*table.primary_key)


@cache
def _upsert_stmt(dialect: str, table: sa.Table) -> sa.Insert:
    insert = _ON_CONFLICT[dialect].insert(table)
    keys = [c.name for c in table.primary_key]
    return insert.on_conflict_do_update(
        index_elements=keys, set_={c.name: insert.excluded[c.name] for c in table.c if c.name not in keys}
    )


def insert_new(conn: sa.Connection, table: sa.Table, values: dict[str, Any]) -> bool:
    """Insert unless the primary key exists; returns whether a row was inserted.

    ON CONFLICT DO NOTHING rather than catching IntegrityError: on PostgreSQL a failed insert
    aborts the whole transaction, and two kernels may race for the same key.
    """
    if conn.dialect.name in _ON_CONFLICT:
        stmt = _insert_new_stmt(conn.dialect.name, table)
        return conn.execute(stmt, values).first() is not None
    key = [table.c[c.name] == values[c.name] for c in table.primary_key]
    if conn.execute(sa.select(sa.exists().where(*key))).scalar():
        return False
    conn.execute(sa.insert(table).values(values))
    return True


def upsert(conn: sa.Connection, table: sa.Table, values: dict[str, Any]) -> None:
    """Insert or replace the row with this primary key; ``values`` gives every column."""
    if conn.dialect.name in _ON_CONFLICT:
        conn.execute(_upsert_stmt(conn.dialect.name, table), values)
        return
    keys = [c.name for c in table.primary_key]
    where = [table.c[k] == values[k] for k in keys]
    changed = {c: v for c, v in values.items() if c not in keys}
    if conn.execute(sa.update(table).where(*where).values(changed)).rowcount == 0:
        conn.execute(sa.insert(table).values(values))
