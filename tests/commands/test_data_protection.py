"""The data-protection commands on a real SQLite file: does ``export`` write responses that
``calibrate`` reads back and everything about one person on request, does ``erase`` leave
nothing of that person in any table or export (and ask first), does ``purge`` take only old
data, and can a quality lead read every one of those actions in ``audit``?"""

from __future__ import annotations

import csv
import json
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from arms_training.cli import main
from arms_training.responses import Trainee
from arms_training.store import Store
from tests.factories import fill_person

ALICE = Trainee(id="pc-alice-77", agency="police", role="offender manager", area="=cmd|' /C calc'!A0")
BOB = Trainee(id="po-bob-12", agency="probation", role="probation officer", area="South")


@pytest.fixture
def db(tmp_path):
    url = f"sqlite:///{tmp_path / 'arms.sqlite'}"
    with Store(url) as store:
        fill_person(store, ALICE)
        fill_person(store, BOB)
    return url


def cli(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def everything_in(url: str) -> str:
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        text = "\n".join(
            json.dumps([str(v) for v in row])
            for name in sa.inspect(conn).get_table_names()
            for row in conn.execute(sa.text(f"SELECT * FROM {name}"))
        )
    engine.dispose()
    return text


def test_export_writes_jsonl_and_safe_csv_that_calibrate_reads_back(db, tmp_path, capsys):
    code, out, _ = cli(
        capsys, "export", "--db", db, "--out", str(tmp_path / "all.jsonl"), "--actor", "QA Lead"
    )
    assert code == 0 and "wrote 2 responses (JSONL)" in out
    lines = (tmp_path / "all.jsonl").read_text().splitlines()
    assert {json.loads(x)["trainee"]["id"] for x in lines} == {ALICE.id, BOB.id}

    code, out, _ = cli(
        capsys, "export", "--db", db, "--out", str(tmp_path / "police.csv"), "--agency", "police"
    )
    assert code == 0 and "wrote 1 responses (CSV)" in out
    with (tmp_path / "police.csv").open(encoding="utf-8-sig", newline="") as fh:
        (row,) = list(csv.DictReader(fh))
    assert row["trainee_id"] == ALICE.id and row["area"] == "'" + ALICE.area  # formula-safe
    assert json.loads(row["response"])["trainee"]["area"] == ALICE.area  # the record itself intact
    assert row["rescore_total"] == "70.0"

    code, out, _ = cli(capsys, "calibrate", str(tmp_path / "police.csv"), "--out", str(tmp_path / "tables"))
    assert code == 0 and "1 responses read: 1 scored" in out

    code, _, err = cli(
        capsys, "export", "--db", db, "--out", str(tmp_path / "none.jsonl"), "--vignette", "nope"
    )
    assert code == 1 and "no submitted responses match" in err and not (tmp_path / "none.jsonl").exists()


def test_export_of_one_trainee_holds_everything_about_them(db, tmp_path, capsys):
    out_file = tmp_path / "sar.json"
    code, out, _ = cli(capsys, "export", "--db", db, "--trainee", ALICE.id, "--out", str(out_file))
    assert code == 0 and f"wrote everything held about {ALICE.id}" in out
    record = json.loads(out_file.read_text())
    assert record["held"] == {"rescores": 1, "submissions": 1, "drafts": 1, "surveys": 1, "participants": 1}
    assert BOB.id not in out_file.read_text()
    code, _, err = cli(capsys, "export", "--db", db, "--trainee", "nobody", "--out", str(tmp_path / "x.json"))
    assert code == 1 and "holds nothing about trainee 'nobody'" in err


def test_erase_asks_first_then_leaves_nothing_of_the_person_anywhere(db, tmp_path, capsys):
    code, out, err = cli(capsys, "erase", "--db", db, "--trainee", ALICE.id)
    assert code == 1 and "1 submitted responses, 1 re-scores, 1 drafts" in out
    assert "give --yes" in err and ALICE.id in everything_in(db)  # no terminal to confirm at: kept

    code, out, _ = cli(capsys, "erase", "--db", db, "--trainee", ALICE.id, "--yes", "--actor", "DPO Jones")
    assert code == 0 and "Erased 1 submitted responses" in out and "trainee:" in out
    assert ALICE.id not in everything_in(db)
    assert BOB.id in everything_in(db)
    # ... nor in any export made afterwards.
    cli(capsys, "export", "--db", db, "--out", str(tmp_path / "after.csv"))
    cli(capsys, "export", "--db", db, "--out", str(tmp_path / "after.jsonl"))
    for name in ("after.csv", "after.jsonl"):
        assert ALICE.id not in (tmp_path / name).read_text(encoding="utf-8-sig")
    code, _, err = cli(
        capsys, "export", "--db", db, "--trainee", ALICE.id, "--out", str(tmp_path / "sar.json")
    )
    assert code == 1

    code, out, _ = cli(capsys, "audit", "--db", db, "--trainee", ALICE.id)
    assert code == 0 and "erase" in out and "DPO Jones" in out and ALICE.id not in out


def test_purge_takes_only_what_is_older_and_asks_first(db, capsys):
    old = datetime.now(UTC) - timedelta(days=800)
    engine = sa.create_engine(db)
    with engine.begin() as conn:
        conn.execute(
            sa.text("UPDATE submissions SET submitted_at = :old WHERE trainee_id = :t"),
            {"old": old.replace(tzinfo=None), "t": BOB.id},
        )
    engine.dispose()
    code, out, _ = cli(capsys, "purge", "--db", db, "--older-than", "730", "--dry-run")
    assert code == 0 and "1 rescores, 1 submissions" in out
    code, _, err = cli(capsys, "purge", "--db", db, "--older-than", "730")
    assert code == 1 and "nothing deleted" in err
    code, out, _ = cli(
        capsys, "purge", "--db", db, "--older-than", "730", "--yes", "--actor", "retention job"
    )
    assert code == 0 and "Deleted 1 rescores, 1 submissions" in out
    with Store(db) as store:
        assert [r.trainee.id for r in store.submitted_responses()] == [ALICE.id]
        assert store.held_about(BOB.id)["drafts"] == 1  # his recent draft stays


def test_audit_shows_every_staff_action_and_writes_csv(db, tmp_path, capsys):
    with Store(db) as store:
        store.set_revealed(store.list_sessions()[0].code, True)
    cli(capsys, "export", "--db", db, "--out", str(tmp_path / "x.jsonl"), "--actor", "QA Lead")
    cli(capsys, "erase", "--db", db, "--trainee", BOB.id, "--yes", "--actor", "DPO Jones")
    engine = sa.create_engine(db)
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE drafts SET updated_at = '2020-01-01 00:00:00'"))
    engine.dispose()
    cli(capsys, "purge", "--db", db, "--older-than", "30", "--yes", "--actor", "retention job")
    code, out, _ = cli(capsys, "audit", "--db", db)
    assert code == 0
    actions = [line.split()[2] for line in out.splitlines()[1:]]
    assert actions == ["rescore", "rescore", "reveal", "export", "erase", "purge"]
    assert BOB.id not in out and ALICE.id not in out
    code, out, _ = cli(capsys, "audit", "--db", db, "--action", "erase", "--out", str(tmp_path / "audit.csv"))
    assert code == 0 and "wrote 1 audit entries" in out
    with (tmp_path / "audit.csv").open(encoding="utf-8-sig", newline="") as fh:
        (row,) = list(csv.DictReader(fh))
    assert row["actor"] == "DPO Jones" and row["subject"] == Store.subject_digest(BOB.id)


def test_a_command_never_creates_a_database_by_mistake(tmp_path, capsys):
    missing = tmp_path / "typo.sqlite"
    for args in (
        ["export", "--out", str(tmp_path / "x.jsonl")],
        ["erase", "--trainee", "x", "--yes"],
        ["purge", "--older-than", "1", "--yes"],
        ["audit"],
    ):
        code, _, err = cli(capsys, *args, "--db", f"sqlite:///{missing}")
        assert code == 2 and f"there is no training database at {missing}" in err
    assert not missing.exists()


def test_an_unreachable_postgresql_is_worded_for_the_command_line(tmp_path, capsys):
    url = "postgresql+psycopg://nobody@127.0.0.1:9/arms?connect_timeout=1"
    code, _, err = cli(capsys, "export", "--db", url, "--out", str(tmp_path / "x.jsonl"))
    assert (
        code == 2
        and "cannot use the training database at postgresql+psycopg://nobody@127.0.0.1:9/arms" in err
    )
    assert "Check that the database server is running" in err and "draft" not in err
