"""The store on a real SQLite file and a real PostgreSQL (the ``store`` fixture runs each test on
both; see conftest.py). Tests read as the question they answer."""

from __future__ import annotations

import sqlite3
import threading
import time
import uuid
from collections import Counter
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from arms_training.errors import ContentError
from arms_training.responses import Response, Trainee, new_response
from arms_training.store import (
    CODE_ALPHABET,
    CODE_LENGTH,
    SessionError,
    Store,
    StoreError,
    data_dir,
    default_url,
)
from arms_training.store import schema as t
from arms_training.store.schema import HEAD

POLICE = Trainee(id="pc-1042", agency="police", role="offender manager", area="North")
PROBATION = Trainee(id="po-77", agency="probation", role="probation officer")
MARKUP_ID = '<script>alert("x")</script>&amp;\'=1+1'
SCORE = {"total": 72.5, "components": {"ratings": 0.8, "level": 1.0}, "notes": ["ok"]}


def response(
    trainee: Trainee = POLICE, vignette: str = "v-harris", *, session_code: str | None = None, **changes
) -> Response:
    r = new_response(trainee, vignette, 2, "arms-2018", session_code=session_code)
    r.ratings = {"sexual_preoccupation": 2, "offence_related_interests": "insufficient"}
    r.notes = {"sexual_preoccupation": "Disclosed in interview <b>twice</b>"}
    for name, value in changes.items():
        setattr(r, name, value)
    return r


def submit(store: Store, r: Response, score: dict | None = None, key_version: int = 3):
    return store.submit(r, score=score or SCORE, key_version=key_version, framework_version="1.2")


def count(store: Store, table: sa.Table) -> int:
    with store.engine.connect() as conn:
        return conn.execute(sa.select(sa.func.count()).select_from(table)).scalar()


# -- where the data lives -------------------------------------------------------------------


def test_data_directory_rule(monkeypatch, tmp_path):
    """Does ARMS_TRAINING_DATA move the SQLite file, and does a checkout default to data/?"""
    monkeypatch.delenv("ARMS_TRAINING_DB_URL", raising=False)
    monkeypatch.delenv("ARMS_TRAINING_DATA", raising=False)
    checkout = data_dir().parent
    assert (checkout / "pyproject.toml").is_file() and data_dir().name == "data"
    monkeypatch.setenv("ARMS_TRAINING_DATA", str(tmp_path / "nested" / "dir"))
    assert default_url() == f"sqlite:///{tmp_path}/nested/dir/arms-training.sqlite"
    with Store() as store:
        assert store.dialect == "sqlite"
    assert (tmp_path / "nested" / "dir" / "arms-training.sqlite").is_file()
    monkeypatch.setenv("ARMS_TRAINING_DB_URL", "postgresql+psycopg://u@db/arms")
    assert default_url() == "postgresql+psycopg://u@db/arms"


def test_sqlite_connections_use_wal_busy_timeout_and_foreign_keys(sqlite_url):
    with Store(sqlite_url, busy_timeout=2.5) as store, store.engine.connect() as conn:
        pragma = {
            p: conn.exec_driver_sql(f"PRAGMA {p}").scalar()
            for p in ("journal_mode", "busy_timeout", "foreign_keys")
        }
    assert pragma == {"journal_mode": "wal", "busy_timeout": 2500, "foreign_keys": 1}


# -- drafts ---------------------------------------------------------------------------------


def test_draft_is_saved_resumed_and_overwritten(store):
    """Does a trainee get back exactly what they left, and only their latest draft?"""
    assert store.load_draft(POLICE.id, "v-harris") is None
    first = response()
    assert store.save_draft(first) is True
    assert store.load_draft(POLICE.id, "v-harris") == first
    first.priorities = ["sexual_preoccupation"]
    store.save_draft(first)
    again = response()  # a fresh attempt at the same vignette replaces the old draft
    store.save_draft(again)
    assert store.load_draft(POLICE.id, "v-harris") == again
    assert count(store, t.drafts) == 1


def test_drafts_are_kept_apart_by_trainee_vignette_and_session(store):
    drafts = [response(), response(PROBATION), response(vignette="v-other"), response(session_code="ABC234")]
    for d in drafts:
        store.save_draft(d)
    assert store.load_draft(POLICE.id, "v-harris") == drafts[0]
    assert store.load_draft(PROBATION.id, "v-harris") == drafts[1]
    assert store.load_draft(POLICE.id, "v-other") == drafts[2]
    assert store.load_draft(POLICE.id, "v-harris", "ABC234") == drafts[3]
    assert store.drafts(session_code="ABC234") == [drafts[3]]
    assert store.delete_draft(POLICE.id, "v-harris", "ABC234") is True
    assert store.delete_draft(POLICE.id, "v-harris", "ABC234") is False
    assert len(store.drafts()) == 3


# -- submissions ----------------------------------------------------------------------------


def test_submit_stores_the_submission_and_removes_the_draft(store):
    r = response(session_code="ABC234")
    store.save_draft(r)
    result = submit(store, r)
    assert result.created and result.response_id == str(r.response_id)
    assert store.load_draft(POLICE.id, "v-harris", "ABC234") is None
    sub = store.get_submission(r.response_id)
    assert sub.score == SCORE and sub.total == 72.5
    assert (sub.key_version, sub.framework_version) == (3, "1.2")
    assert sub.response.key_version == 3 and sub.response.submitted_at is not None
    assert sub.response.ratings == r.ratings and sub.response.notes == r.notes
    assert sub.submitted_at.tzinfo is not None


def test_submit_is_all_or_nothing(store):
    """If deleting the draft fails, is the submission rolled back with it?"""
    r = response()
    store.save_draft(r)

    def fail_on_draft_delete(conn, cursor, statement, *args):
        if statement.lstrip().upper().startswith("DELETE FROM DRAFTS"):
            raise sa.exc.OperationalError(statement, {}, Exception("disk I/O error"))

    sa.event.listen(store.engine, "before_cursor_execute", fail_on_draft_delete)
    try:
        with pytest.raises(StoreError, match="disk I/O error"):
            submit(store, r)
    finally:
        sa.event.remove(store.engine, "before_cursor_execute", fail_on_draft_delete)
    assert store.get_submission(r.response_id) is None
    assert store.load_draft(POLICE.id, "v-harris") == r


def test_submitting_twice_is_idempotent(store):
    """A double click or a retry after a timeout: one submission, nothing changed."""
    r = response()
    assert submit(store, r).created is True
    first = store.get_submission(r.response_id)
    retry = r.model_copy(update={"submitted_at": datetime.now(UTC) + timedelta(seconds=30)})
    assert submit(store, retry).created is False
    assert submit(store, r).created is False
    assert store.get_submission(r.response_id) == first
    assert count(store, t.submissions) == 1


def test_a_submission_cannot_be_changed(store):
    r = response()
    store.save_draft(r)
    submit(store, r)
    original = store.get_submission(r.response_id)
    changed = r.model_copy(update={"priorities": ["offence_related_interests"]})
    with pytest.raises(StoreError, match="already submitted with different content"):
        submit(store, changed)
    with pytest.raises(StoreError, match="already submitted"):
        submit(store, r, score={**SCORE, "total": 99})
    with pytest.raises(StoreError, match="already submitted"):
        submit(store, r, key_version=4)
    # A late autosave from another tab must not bring the draft back.
    assert store.save_draft(changed) is False
    assert store.load_draft(POLICE.id, "v-harris") is None
    assert store.get_submission(r.response_id) == original


def test_rescoring_is_recorded_and_leaves_the_original(store):
    r = response()
    submit(store, r)
    new_score = {"total": 80.0, "components": {"ratings": 0.9}}
    rescore = store.rescore(r.response_id, new_score, 4, "key v4: expert panel revised level")
    assert rescore.key_version == 4 and rescore.total == 80.0
    sub = store.get_submission(r.response_id)
    assert sub.score == SCORE and sub.key_version == 3  # original untouched
    assert [x.reason for x in sub.rescores] == ["key v4: expert panel revised level"]
    assert sub.current_score == new_score
    (row,) = store.submission_rows()
    assert row["total"] == 72.5 and row["rescore"]["total"] == 80.0
    with pytest.raises(ValueError, match="needs a reason"):
        store.rescore(r.response_id, new_score, 5, "  ")
    with pytest.raises(StoreError, match="no submission"):
        store.rescore(uuid.uuid4(), new_score, 5, "typo")


def test_submissions_are_queried_by_session_vignette_trainee_and_time(store):
    t0 = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)
    plan = [
        (POLICE, "v-a", "ABC234", 0),
        (PROBATION, "v-a", "ABC234", 10),
        (POLICE, "v-b", None, 20),
        (PROBATION, "v-b", "XYZ789", 30),
    ]
    made = []
    for trainee, vignette, code, minutes in plan:
        r = response(trainee, vignette, session_code=code, submitted_at=t0 + timedelta(minutes=minutes))
        submit(store, r)
        made.append(r)
    ids = [str(r.response_id) for r in made]

    def got(**filters):
        return [str(r.response_id) for r in store.submitted_responses(**filters)]

    assert got() == ids
    assert got(session_code="ABC234") == ids[:2]
    assert got(vignette_id="v-b") == ids[2:]
    assert got(trainee_id=POLICE.id) == [ids[0], ids[2]]
    # An offset time is the same instant: 09:10+01:00 is 08:10 UTC, before everything.
    cet = timezone(timedelta(hours=1))
    assert got(since=datetime(2025, 3, 1, 10, 10, tzinfo=cet)) == ids[1:]
    assert got(since=t0 + timedelta(minutes=10), until=t0 + timedelta(minutes=30)) == ids[1:3]
    rows = store.submission_rows(session_code="ABC234")
    assert [r["trainee_id"] for r in rows] == [POLICE.id, PROBATION.id]
    assert rows[0]["score"] == SCORE and rows[0]["agency"] == "police"
    assert rows[0]["area"] == "North" and rows[0]["role"] == "offender manager"
    assert rows[0]["submitted_at"] == t0 and rows[0]["rescore"] is None
    assert {
        "response_id",
        "vignette_version",
        "key_version",
        "framework",
        "framework_version",
        "mode",
        "started_at",
        "total",
    } <= rows[0].keys()


def test_a_stored_record_that_no_longer_validates_raises_or_is_collected(store):
    """One stored response edited into an invalid one: the default still raises (naming it);
    ``errors="collect"`` returns the others and one problem per thing wrong with it."""
    made = [
        response(
            Trainee(id=f"pc-{i}", agency="police"), "v-a", submitted_at=datetime(2025, 3, 1, 9, i, tzinfo=UTC)
        )
        for i in range(3)
    ]
    for r in made:
        submit(store, r)
    broken = made[1].to_json_dict() | {"mode": "sideways"}
    del broken["trainee"]
    with store.engine.begin() as conn:
        conn.execute(
            t.submissions.update()
            .where(t.submissions.c.response_id == str(made[1].response_id))
            .values(response=broken)
        )
    with pytest.raises(ContentError, match=f"submission {made[1].response_id}"):
        store.submitted_responses()
    good, problems = store.submitted_responses(errors="collect")
    assert [r.response_id for r in good] == [made[0].response_id, made[2].response_id]
    assert {p.field for p in problems} == {"mode", "trainee"}
    assert {p.path for p in problems} == {
        f"submission {made[1].response_id} (response {made[1].response_id})"
    }
    only, none = store.submitted_responses(errors="collect", trainee_id="pc-0")
    assert [r.response_id for r in only] == [made[0].response_id] and none == []
    with pytest.raises(ValueError, match="errors='skip' is not valid"):
        store.submitted_responses(errors="skip")  # type: ignore[call-overload]


def test_concurrent_writers_lose_and_duplicate_nothing(store_url):
    """Forty kernels (threads here, each with its own Store) submit at once, some of them the
    same responses: every response is stored exactly once and created exactly once.

    Correctness only: the timeout is generous so a slow CI machine cannot turn waiting into
    failure; benchmarks/store_submit.py measures latency with processes."""
    writers, own = 40, 5
    Store(store_url).close()  # migrate once, as the first kernel would
    shared = [response(Trainee(id=f"shared-{i}", agency="other"), "v-c") for i in range(10)]
    created: Counter[str] = Counter()
    errors: list[BaseException] = []
    barrier = threading.Barrier(writers)
    lock = threading.Lock()

    def writer(n: int) -> None:
        try:
            with Store(store_url, busy_timeout=60) as store:
                mine = [response(Trainee(id=f"t{n}", agency="police"), f"v{i}") for i in range(own)]
                barrier.wait()
                for r in [*mine, *shared[n % 10 :: 10]]:
                    store.save_draft(r)
                    result = submit(store, r)
                    with lock:
                        created[result.response_id] += result.created
        except BaseException as exc:  # noqa: BLE001 - reported by the main thread
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(writers)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert errors == []
    with Store(store_url) as store:
        stored = [str(r.response_id) for r in store.submitted_responses()]
        assert len(stored) == len(set(stored)) == writers * own + len(shared)
        assert set(created) == set(stored) and set(created.values()) == {1}
        assert store.drafts() == []


@contextmanager
def write_lock(url: str):
    """Another process holds the write lock until the block ends."""
    engine = sa.create_engine(url)
    if engine.dialect.name == "sqlite":
        raw = sqlite3.connect(engine.url.database, isolation_level=None)
        raw.execute("BEGIN EXCLUSIVE")
        try:
            yield
        finally:
            raw.rollback()
            raw.close()
        return
    with engine.connect() as conn, conn.begin():
        conn.exec_driver_sql("LOCK TABLE drafts IN EXCLUSIVE MODE")
        yield
    engine.dispose()


def test_a_locked_database_raises_a_friendly_store_error(store_url):
    r = response()
    with Store(store_url, busy_timeout=0.3) as store:
        store.save_draft(r)
        with write_lock(store_url):
            started = time.monotonic()
            with pytest.raises(StoreError) as caught:
                store.save_draft(r)
            assert time.monotonic() - started < 3
            # Readers are not blocked by a writer (WAL on SQLite, MVCC on PostgreSQL).
            assert store.load_draft(POLICE.id, "v-harris") == r
        message = str(caught.value)
        assert message.startswith("the training database is locked or unavailable: ")
        assert message.endswith("your draft is kept in this page, try again")
        assert isinstance(caught.value.__cause__, sa.exc.OperationalError)
        assert store.save_draft(r) is True  # and it works again once the lock is gone


def test_an_unreachable_database_raises_store_error_on_open():
    with pytest.raises(StoreError, match="locked or unavailable"):
        Store("postgresql+psycopg://nobody@127.0.0.1:9/arms", busy_timeout=1)


def test_kernels_opening_a_new_database_at_once_migrate_it_once(store_url):
    errors: list[BaseException] = []
    barrier = threading.Barrier(12)

    def open_store() -> None:
        barrier.wait()
        try:
            Store(store_url).close()
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=open_store) for _ in range(12)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert errors == []
    with Store(store_url) as store:
        assert store.schema_version() == HEAD
        with store.engine.connect() as conn:
            assert conn.exec_driver_sql("SELECT count(*) FROM alembic_version").scalar() == 1


# -- training sessions ----------------------------------------------------------------------


def test_a_session_gets_an_unambiguous_join_code(store):
    session = store.create_session(["v-a", "v-b", "v-a"], mode="quick", anonymise=False, trainer="DS Patel")
    assert len(session.code) == CODE_LENGTH and set(session.code) <= set(CODE_ALPHABET)
    assert not set("0O1I") & set(CODE_ALPHABET)
    assert session.vignette_ids == ("v-a", "v-b") and session.mode == "quick"
    assert session.status == "open" and not session.anonymise and not session.revealed
    typed = f" {session.code[:3].lower()}-{session.code[3:].lower()} "
    assert store.get_session(typed) == session
    assert store.get_session("NOPE") is None
    second = store.create_session(["v-c"])
    assert [s.code for s in store.list_sessions()] == [second.code, session.code]
    assert second.anonymise is True  # the safe default for a projected dashboard


def test_bad_session_requests_are_refused(store):
    for bad in ([], "v-a", [""]):
        with pytest.raises(SessionError, match="list of vignette ids"):
            store.create_session(bad)
    with pytest.raises(SessionError, match="'full' or 'quick'"):
        store.create_session(["v-a"], mode="fast")


def test_joining_a_session_twice_returns_the_same_participant(store):
    code = store.create_session(["v-a"]).code
    first = store.join_session(code.lower(), POLICE)
    assert (first.session_code, first.trainee_id, first.agency) == (code, POLICE.id, "police")
    again = store.join_session(code, POLICE.model_copy(update={"role": "changed"}))
    assert again == first
    store.join_session(code, PROBATION)
    assert [p.trainee_id for p in store.participants(code)] == [POLICE.id, PROBATION.id]


def test_closed_unknown_and_malformed_codes_are_refused_clearly(store):
    code = store.create_session(["v-a"]).code
    closed = store.close_session(code)
    assert closed.status == "closed" and not closed.is_open
    with pytest.raises(SessionError, match=f"session {code} is closed: ask your trainer"):
        store.join_session(code, POLICE)
    unknown = "".join(reversed(code)) if "".join(reversed(code)) != code else "ZZZZZZ"
    with pytest.raises(SessionError, match=f"no training session with code {unknown}: check"):
        store.join_session(unknown, POLICE)
    with pytest.raises(SessionError, match="not a session code: .* without 0, O, 1 or I"):
        store.join_session("AB0O1I", POLICE)
    with pytest.raises(SessionError, match="no training session"):
        store.close_session(unknown)
    assert store.reopen_session(code).is_open
    assert store.join_session(code, POLICE).trainee_id == POLICE.id
    assert [s.code for s in store.list_sessions(status="open")] == [code]


def test_revealing_answers_is_recorded_once(store):
    code = store.create_session(["v-a"]).code
    shown = store.set_revealed(code, True)
    assert shown.revealed and shown.revealed_at is not None
    assert store.set_revealed(code, True).revealed_at == shown.revealed_at
    hidden = store.set_revealed(code, False)
    assert not hidden.revealed and hidden.revealed_at is None


def test_survey_answers_are_stored_and_replaced_by_a_second_save(store):
    code = store.create_session(["v-a"]).code
    store.close_session(code)  # evaluations often come in after the trainer closes
    store.save_survey(code, POLICE, {"useful": 4, "clear": 5}, "More vignettes, please")
    store.save_survey(code, PROBATION, {"useful": 2})
    store.save_survey(code, POLICE, {"useful": 5, "clear": 5}, "Changed my mind")
    rows = store.survey_rows(code)
    assert [(r["trainee_id"], r["agency"], r["answers"], r["comment"]) for r in rows] == [
        (PROBATION.id, "probation", {"useful": 2}, ""),
        (POLICE.id, "police", {"useful": 5, "clear": 5}, "Changed my mind"),
    ]


@pytest.mark.parametrize(
    "answers, message",
    [
        ({}, "no answers"),
        ({"useful": 6}, "1 to 5"),
        ({"useful": 0}, "1 to 5"),
        ({"useful": True}, "1 to 5"),
        ({"useful": "4"}, "1 to 5"),
        ({"": 3}, "statement id"),
    ],
)
def test_survey_answers_must_be_likert_1_to_5(store, answers, message):
    code = store.create_session(["v-a"]).code
    with pytest.raises(SessionError, match=message):
        store.save_survey(code, POLICE, answers)
    with pytest.raises(SessionError, match="no training session"):
        store.save_survey("ZZZZZZ", POLICE, {"useful": 3})


# -- free text is data ----------------------------------------------------------------------


def test_markup_in_trainee_ids_is_stored_verbatim(store):
    """Escaping is the UI's job: the store must hand back exactly what was typed."""
    trainee = Trainee(id=MARKUP_ID, agency="other", role="<i>role</i>")
    code = store.create_session(["v-a"]).code
    r = response(trainee, session_code=code)
    store.save_draft(r)
    assert store.load_draft(MARKUP_ID, "v-harris", code).trainee.id == MARKUP_ID
    submit(store, r)
    assert store.submitted_responses()[0].trainee.id == MARKUP_ID
    assert store.submission_rows()[0]["trainee_id"] == MARKUP_ID
    assert store.submission_rows()[0]["role"] == "<i>role</i>"
    assert store.join_session(code, trainee).trainee_id == MARKUP_ID
    store.save_survey(code, trainee, {"useful": 3}, "<img src=x onerror=alert(1)>")
    (row,) = store.survey_rows(code)
    assert (row["trainee_id"], row["comment"]) == (MARKUP_ID, "<img src=x onerror=alert(1)>")
