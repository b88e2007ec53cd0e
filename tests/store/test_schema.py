"""Are the store's migrations Alembic's, do they build exactly the declared tables, and does a
database made by release 0.1 (its own hand-written steps) come through with its data, on SQLite
and PostgreSQL?"""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from arms_training.responses import Trainee
from arms_training.store import Store, StoreError
from arms_training.store import schema as t
from tests.factories import STORED_SCORE, release_0_1_database, stored_response

POLICE = Trainee(id="pc-1042", agency="police", role="offender manager", area="North")


def test_head_is_the_newest_revision_alembic_knows():
    scripts = ScriptDirectory.from_config(t.alembic_config())
    assert scripts.get_current_head() == t.HEAD
    assert [r.revision for r in scripts.walk_revisions()][-1] == t.BASELINE


def test_the_revisions_build_exactly_the_declared_tables(store):
    """Alembic's own comparison finds nothing to change between the database the revisions
    built and the tables the queries use (columns, types, nullability, indexes)."""
    with store.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), t.metadata)
    assert diff == []
    assert store.schema_version() == t.HEAD


def _index_names(engine: sa.Engine, table: str) -> set[str]:
    return {ix["name"] for ix in sa.inspect(engine).get_indexes(table)}


@pytest.mark.parametrize("step", [2, 1])
def test_a_release_0_1_database_is_adopted_with_its_data(store_url, step):
    """A database the 0.1 release built (at its step 2, or at step 1 before its indexes) with a
    submission in it: opened now, it is at Alembic's head, the submission reads back, the audit
    log exists and the old bookkeeping table is gone."""
    release_0_1_database(store_url, step=step)
    engine = sa.create_engine(store_url)
    r = stored_response(POLICE)
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO submissions (response_id, trainee_id, agency, area, role, vignette_id, "
                "vignette_version, key_version, framework, framework_version, session_code, mode, "
                "started_at, submitted_at, total, response, score) VALUES (:rid, :tid, 'police', "
                "'North', 'offender manager', 'v01-new-partner', 1, 1, 'arms-2018', '2018.1', NULL, "
                "'quick', :at, :at, 64.0, :response, :score)"
            ).bindparams(sa.bindparam("response", type_=t.JSON), sa.bindparam("score", type_=t.JSON)),
            {
                "rid": str(r.response_id),
                "tid": POLICE.id,
                "at": r.started_at.replace(tzinfo=None),
                "response": {**r.to_json_dict(), "submitted_at": r.started_at.isoformat()},
                "score": STORED_SCORE,
            },
        )
    with Store(store_url) as store:
        assert store.schema_version() == t.HEAD
        got = store.get_submission(r.response_id)
        assert got is not None and got.score == STORED_SCORE and got.response.notes == r.notes
        tables = set(sa.inspect(store.engine).get_table_names())
        assert "schema_info" not in tables and "audit_log" in tables
        assert "ix_submissions_session_submitted" in _index_names(store.engine, "submissions")
        with store.engine.connect() as conn:
            assert compare_metadata(MigrationContext.configure(conn), t.metadata) == []
    engine.dispose()


def test_a_failing_revision_leaves_the_database_as_it_was(store_url, tmp_path, monkeypatch):
    """Every revision of an upgrade commits together: one that fails leaves the previous
    revision in place, with nothing half-built."""
    Store(store_url).close()
    versions = tmp_path / "migrations" / "versions"
    versions.mkdir(parents=True)
    (tmp_path / "migrations" / "env.py").write_text((t.MIGRATIONS_DIR / "env.py").read_text())
    for old in (t.MIGRATIONS_DIR / "versions").glob("r*.py"):
        (versions / old.name).write_text(old.read_text())
    (versions / "r9999_broken.py").write_text(
        "from alembic import op\n"
        f"revision = '9999'\ndown_revision = {t.HEAD!r}\nbranch_labels = None\ndepends_on = None\n"
        "def upgrade():\n"
        "    op.execute('CREATE TABLE half_done (x INTEGER)')\n"
        "    raise RuntimeError('revision 9999 failed')\n"
    )
    head = t.HEAD
    monkeypatch.setattr(t, "MIGRATIONS_DIR", tmp_path / "migrations")
    monkeypatch.setattr(t, "HEAD", "9999")
    with pytest.raises(RuntimeError, match="revision 9999 failed"):
        Store(store_url)
    monkeypatch.undo()
    with Store(store_url) as store:
        assert store.schema_version() == head
        assert "half_done" not in sa.inspect(store.engine).get_table_names()


def test_a_database_from_a_newer_release_is_refused(store_url):
    with Store(store_url) as store, store.engine.begin() as conn:
        conn.exec_driver_sql("UPDATE alembic_version SET version_num = '0099'")
    with pytest.raises(StoreError, match="revision 0099, which this arms-training does not know"):
        Store(store_url)


def test_a_release_0_1_database_from_a_newer_step_is_refused(sqlite_url):
    release_0_1_database(sqlite_url)
    engine = sa.create_engine(sqlite_url)
    with engine.begin() as conn:
        conn.exec_driver_sql(
            "INSERT INTO schema_info (version, description, applied_at) VALUES (3, 'x', '2025-01-01')"
        )
    engine.dispose()
    with pytest.raises(StoreError, match="schema step 3, newer"):
        Store(sqlite_url)


def test_an_up_to_date_database_opens_without_importing_alembic(sqlite_url, tmp_path):
    """Every trainee page opens a store: at the head revision that must cost no Alembic import."""
    import subprocess
    import sys

    Store(sqlite_url).close()
    code = (
        "import sys\nfrom arms_training.store import Store\n"
        f"Store({sqlite_url!r}).close()\n"
        "print('alembic' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "False"
