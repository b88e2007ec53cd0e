"""The store's data-protection duties on SQLite and PostgreSQL: is everything about one person
exported, is everything about them erased (and nothing of anyone else), does a purge take only
what is older than the retention period, and does every staff action reach the audit log
without a trainee id in it?"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from arms_training.responses import Trainee
from arms_training.store import Selection, Store
from arms_training.store import schema as t
from tests.factories import fill_person, stored_response

ALICE = Trainee(id="pc-alice-77", agency="police", role="offender manager", area="North")
BOB = Trainee(id="po-bob-12", agency="probation", role="probation officer", area="South")


def every_cell(store: Store) -> str:
    """Every value in every table of the database, as one text (what a search for the id in the
    whole database would look through)."""
    parts = []
    with store.engine.connect() as conn:
        for name in sa.inspect(conn).get_table_names():
            for row in conn.execute(sa.text(f"SELECT * FROM {name}")):
                parts.append(json.dumps([str(v) for v in row], ensure_ascii=False))
    return "\n".join(parts)


def test_the_person_record_holds_everything_about_them_and_nothing_else(store):
    code = fill_person(store, ALICE)
    fill_person(store, BOB)
    record = store.person_record(ALICE.id)
    assert record["held"] == {"rescores": 1, "submissions": 1, "drafts": 1, "surveys": 1, "participants": 1}
    (sub,) = record["submissions"]
    assert sub["trainee_id"] == ALICE.id and sub["session_code"] == code
    assert sub["response"]["notes"] == {"opportunity": f"seen by {ALICE.id}"}
    assert [r["reason"] for r in sub["rescores"]] == ["key v2"]
    assert record["drafts"][0]["vignette_id"] == "v02-online-images"
    assert record["sessions"][0]["session_code"] == code
    assert record["surveys"][0]["comment"] == f"notes by {ALICE.id}"
    text = json.dumps(record)
    assert BOB.id not in text
    json.loads(text)  # plain JSON throughout


def test_after_erase_nothing_of_the_person_remains_in_any_table(store):
    fill_person(store, ALICE)
    fill_person(store, BOB)
    assert ALICE.id in every_cell(store)
    deleted = store.erase_trainee(ALICE.id, actor="DPO Jones")
    assert deleted == {"rescores": 1, "submissions": 1, "drafts": 1, "surveys": 1, "participants": 1}
    assert ALICE.id not in every_cell(store)
    assert store.held_about(ALICE.id) == dict.fromkeys(deleted, 0)
    assert store.selected_submissions(Selection()) and all(
        row["trainee_id"] == BOB.id for row in store.selected_submissions(Selection())
    )
    assert store.held_about(BOB.id)["submissions"] == 1  # nobody else's data goes
    (entry,) = store.audit_log(action="erase")
    assert entry.actor == "DPO Jones" and entry.subject == store.subject_digest(ALICE.id)
    assert entry.details == deleted


def test_the_audit_log_names_a_person_by_digest_only():
    digest = Store.subject_digest("pc-alice-77")
    assert digest.startswith("trainee:") and "alice" not in digest
    assert digest == Store.subject_digest("pc-alice-77") != Store.subject_digest("pc-alice-78")


def test_a_purge_takes_what_is_older_than_the_cut_off_and_records_it(store):
    old = datetime.now(UTC) - timedelta(days=400)
    fill_person(store, ALICE, submitted_at=old)
    # The session, the membership, the draft and the survey were made now; age them too.
    with store.engine.begin() as conn:
        conn.execute(sa.update(t.sessions).values(created_at=old))
        conn.execute(sa.update(t.drafts).values(updated_at=old))
        conn.execute(sa.update(t.surveys).values(submitted_at=old))
    recent = stored_response(BOB)
    store.submit(recent, score={"total": 50.0}, key_version=1, framework_version="2018.1")
    deleted = store.purge(datetime.now(UTC) - timedelta(days=365), actor="retention")
    assert deleted == {
        "rescores": 1,
        "submissions": 1,
        "drafts": 1,
        "surveys": 1,
        "participants": 1,
        "sessions": 1,
    }
    assert [r.response_id for r in store.submitted_responses()] == [recent.response_id]
    (entry,) = store.audit_log(action="purge")
    assert entry.actor == "retention" and entry.details["deleted"] == deleted


def test_reveal_and_rescore_write_the_audit_log_in_their_own_transaction(store):
    session = store.create_session(["v01-new-partner"], trainer="DS Patel")
    store.set_revealed(session.code, True)
    store.set_revealed(session.code, False, actor="Sgt Khan")
    r = stored_response(ALICE)
    store.submit(r, score={"total": 10.0}, key_version=1, framework_version="2018.1")
    store.rescore(r.response_id, {"total": 20.0}, 2, "key v2: opportunity revised", actor="QA Lead")
    log = store.audit_log()
    assert [(e.action, e.actor, e.subject) for e in log] == [
        ("reveal", "DS Patel", session.code),
        ("reveal", "Sgt Khan", session.code),
        ("rescore", "QA Lead", str(r.response_id)),
    ]
    assert [e.details.get("revealed") for e in log[:2]] == [True, False]
    assert log[2].details == {"key_version": 2, "reason": "key v2: opportunity revised"}


def test_an_unknown_audit_action_is_refused(store):
    with pytest.raises(ValueError, match="allowed: reveal, export, erase, purge, rescore"):
        store.record_action("peek", actor="x")


def test_a_selection_filters_like_the_calibration_filters(store):
    a = stored_response(ALICE, submitted_at=datetime(2025, 3, 1, 10, tzinfo=UTC))
    b = stored_response(BOB, "v02-online-images", submitted_at=datetime(2025, 3, 2, 23, 59, tzinfo=UTC))
    for r in (a, b):
        store.submit(r, score={"total": 1.0}, key_version=1, framework_version="2018.1")
    store.rescore(b.response_id, {"total": 9.0}, 4, "key v4")

    def ids(**kw):
        return [row["response_id"] for row in store.selected_submissions(Selection(**kw))]

    assert ids() == [str(a.response_id), str(b.response_id)]
    assert ids(agency=("probation",)) == [str(b.response_id)]
    assert ids(area=("North",), vignette=("v01-new-partner",)) == [str(a.response_id)]
    assert ids(trainee=(BOB.id, "nobody")) == [str(b.response_id)]
    assert ids(until=datetime(2025, 3, 2, 23, 59, tzinfo=UTC)) == ids()
    assert ids(since=datetime(2025, 3, 2, tzinfo=UTC)) == [str(b.response_id)]
    rows = store.selected_submissions(Selection(trainee=(BOB.id,)))
    assert rows[0]["rescore_total"] == 9.0 and rows[0]["rescore_key_version"] == 4
