"""Builders the tests share: content on disk and the command line, answer keys and responses
built in code, marked content for leak tests, and responses to the shipped cases for room tests.

One place, so test modules never import each other."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from arms_training.content import AnswerKey, Vignette, load_library
from arms_training.framework import INSUFFICIENT, framework_by_id
from arms_training.io.documents import dump_yaml
from arms_training.responses import PlanAction, Response, Trainee, new_response

# -- content on disk and the command line ----------------------------------------------------------

REPO = Path(__file__).resolve().parent.parent
FIXTURE_LIBRARY = Path(__file__).parent / "fixtures" / "library"


def copy_library(tmp_path: Path, source: Path = FIXTURE_LIBRARY) -> Path:
    """A writable copy of a content folder (vignettes/ and answer_keys/) to break on purpose."""
    dest = tmp_path / "library"
    for sub in ("vignettes", "answer_keys"):
        shutil.copytree(source / sub, dest / sub)
    return dest


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"fixture text {old!r} not found in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def run_cli(*args: str, cwd: Path = REPO, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """``arms-training ARGS`` in a child process; ``env`` is added to this process's environment."""
    return subprocess.run(
        [sys.executable, "-m", "arms_training.cli", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **(env or {})},
    )


# -- an arms-2018 answer key, vignette and responses built in code (scoring, stages, calibration) ---

FW = framework_by_id("arms-2018")
RISK = [f.id for f in FW.risk_factors]
PROTECTIVE = [f.id for f in FW.protective_factors]


# Consensus ratings of the code-built key; the panel is unanimous on every risk factor.
KEY_RATINGS = {
    "opportunity": 1,
    "sexual_preoccupation": 0,
    "offence_related_sexual_interest": 2,
    "emotional_congruence_children": 0,
    "hostile_orientation": 1,
    "poor_self_management": 2,
    "social_influences": 1,
    "commitment_to_desist": 2,
    "intimate_relationships": INSUFFICIENT,
    "employment_positive_routine": 0,
    "social_investment": 1,
}


# Protective panel: split on two factors (expert c dissents), for the panel-share rules.
DISSENT = {"social_influences": 2, "intimate_relationships": 1}


def make_key(**changes) -> AnswerKey:
    """A complete arms-2018 key built in code (no content files needed)."""
    panel = []
    for member in ("a", "b", "c"):
        ratings = dict(KEY_RATINGS)
        if member == "c":
            ratings.update(DISSENT)
        panel.append({"id": member, "ratings": ratings})
    data = {
        "schema_version": 1,
        "vignette_id": "t-score",
        "key_version": 2,
        "framework": "arms-2018",
        "status": "illustrative",
        "panel": panel,
        "factors": {
            f: {"rating": r, "rationale": f"why {f}", "evidence": ["p1"]} for f, r in KEY_RATINGS.items()
        },
        "priorities": ["opportunity", "poor_self_management", "offence_related_sexual_interest"],
        "priority_level": "medium",
        "risk_management_level": "medium",
        "plan": {
            "essential": [
                {"intervention": "home_visits", "factors": ["opportunity"], "why": "see him"},
                {
                    "intervention": "relapse_prevention",
                    "factors": ["poor_self_management"],
                    "why": "coping plan",
                },
                {
                    "intervention": "accredited_programme",
                    "factors": ["offence_related_sexual_interest"],
                    "why": "treatment",
                },
                {
                    "intervention": "employment_support",
                    "factors": ["employment_positive_routine"],
                    "why": "routine",
                },
            ],
            "acceptable": [{"intervention": "unannounced_visits"}],
            "contraindicated": [
                {"intervention": "residence_restriction", "why": "cuts family off"},
                {"intervention": "overt_police_activity", "why": "no breach"},
            ],
        },
        "follow_up": {
            "significant_change": True,
            "ratings": {**KEY_RATINGS, "opportunity": 2},
            "risk_management_level": "high",
            "why": "moved in with children",
        },
    }
    data.update(changes)
    return AnswerKey.model_validate(data)


def make_vignette(**changes) -> Vignette:
    data = {
        "schema_version": 1,
        "id": "t-score",
        "version": 3,
        "title": "Scoring fixture",
        "summary": "s",
        "difficulty": "introductory",
        "estimated_minutes": 20,
        "learning_focus": ["x"],
        "framework": "arms-2018",
        "static_tool": {"name": "OSP/C", "category": "medium"},
        "mappa_level": 1,
        "lead_agency": "police",
        "cast": [{"name": "Test Person"}],
        "sections": [
            {
                "id": "s1",
                "title": "Visit",
                "source": "home_visit",
                "paragraphs": [{"id": "p1", "text": "Text."}],
            }
        ],
        "follow_up": {
            "title": "Later",
            "sections": [
                {
                    "id": "s2",
                    "title": "Review",
                    "source": "police",
                    "paragraphs": [{"id": "f1", "text": "More."}],
                }
            ],
        },
    }
    data.update(changes)
    return Vignette.model_validate(data)


def complete_action(intervention, factors=()):
    return {
        "intervention": intervention,
        "factors": list(factors),
        "objective": "aim",
        "enforcement": "checked at visits",
        "rationale": "proportionate",
        "owner": "police",
        "review_weeks": 8,
    }


def perfect(key: AnswerKey, vignette_version: int = 3, **changes) -> Response:
    """The response an expert following the key would submit."""
    data = {
        "response_id": str(uuid.UUID(int=7)),
        "trainee": {"id": "t1", "agency": "police"},
        "vignette_id": key.vignette_id,
        "vignette_version": vignette_version,
        "key_version": key.key_version,
        "framework": key.framework,
        "mode": "full",
        "ratings": dict(key.ratings),
        "priorities": list(key.priorities),
        "priority_level": key.priority_level,
        "risk_management_level": key.risk_management_level,
        "override_rationale": key.override_rationale,
        "plan": [complete_action(e.intervention, e.factors) for e in key.plan.essential],
        "started_at": datetime(2025, 1, 1, tzinfo=UTC),
    }
    if key.follow_up is not None:
        data["follow_up"] = {
            "significant_change": key.follow_up.significant_change,
            "ratings": dict(key.follow_up.ratings),
            "risk_management_level": key.follow_up.risk_management_level,
        }
    data.update(changes)
    return Response.model_validate(data)


KEY = make_key()
VIGNETTE = make_vignette()


# -- content whose every key-derived string carries SECRET (leak tests), written as YAML -----------

SECRET = "KEYSECRET"  # marks every key-derived string, so tests can look for leaks


def secret_vignette_data(vid: str = "t90-state", *, follow_up: bool = True) -> dict:
    data = {
        "schema_version": 1,
        "id": vid,
        "version": 1,
        "title": "A test case <b>bold</b>",
        "summary": "A fictional man managed at MAPPA level 1.",
        "difficulty": "introductory",
        "estimated_minutes": 20,
        "learning_focus": ["Reading & rating"],
        "framework": "arms-2018",
        "static_tool": {"name": "OSP/C", "category": "medium"},
        "mappa_level": 1,
        "lead_agency": "police",
        "cast": [{"name": "Alan Testperson"}],
        "sections": [
            {
                "id": "home",
                "title": "Home visit",
                "source": "home_visit",
                "paragraphs": [
                    {"id": "h1", "text": "He lives alone; his licence ended last year."},
                    {"id": "h2", "text": "He works nights at a depot <script>x</script>."},
                ],
            },
            {
                "id": "pol",
                "title": "Police",
                "source": "police",
                "paragraphs": [{"id": "p1", "text": "No intelligence on the PNC in the period."}],
            },
        ],
    }
    if follow_up:
        data["features"] = ["follow_up_significant"]
        data["follow_up"] = {
            "title": "Next visit",
            "when": "Three months later",
            "sections": [
                {
                    "id": "fu",
                    "title": "Referral",
                    "source": "police",
                    "paragraphs": [{"id": "f1", "text": "FOLLOWUPTEXT: he has moved in with a partner."}],
                }
            ],
        }
    return data


def secret_key_data(vid: str = "t90-state", *, follow_up: bool = True) -> dict:
    ratings = {f: 1 if f == "opportunity" else 0 for f in FW.factor_ids}
    data = {
        "schema_version": 1,
        "vignette_id": vid,
        "key_version": 2,
        "framework": "arms-2018",
        "status": "illustrative",
        "panel": [{"id": f"e{i}", "ratings": ratings} for i in range(3)],
        "factors": {
            f: {"rating": r, "rationale": f"{SECRET} rationale for {f}.", "evidence": ["h1"]}
            for f, r in ratings.items()
        },
        "priorities": ["opportunity"],
        "priority_level": "medium",
        "risk_management_level": "medium",
        "plan": {
            "essential": [
                {
                    "intervention": "home_visits",
                    "factors": ["opportunity"],
                    "why": f"{SECRET} visits check who is there.",
                }
            ],
            "contraindicated": [{"intervention": "approved_premises", "why": f"{SECRET} would end his job."}],
        },
    }
    if follow_up:
        data["follow_up"] = {
            "significant_change": True,
            "ratings": {**ratings, "opportunity": 2},
            "risk_management_level": "high",
            "why": f"{SECRET} the move gives access.",
        }
    return data


def secret_vignette(**kw) -> Vignette:
    return Vignette.model_validate(secret_vignette_data(**kw))


def secret_key(**kw) -> AnswerKey:
    return AnswerKey.model_validate(secret_key_data(**kw))


def write_content(root, pairs) -> None:
    """Write (vignette dict, key dict) pairs as YAML under root/vignettes and root/answer_keys."""
    (root / "vignettes").mkdir(parents=True, exist_ok=True)
    (root / "answer_keys").mkdir(parents=True, exist_ok=True)
    for v, k in pairs:
        (root / "vignettes" / f"{v['id']}.yaml").write_text(dump_yaml(v), encoding="utf-8")
        (root / "answer_keys" / f"{k['vignette_id']}.yaml").write_text(dump_yaml(k), encoding="utf-8")


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


# -- responses to the shipped cases (room, survey and session tests) -------------------------------

LIB = load_library(REPO)
V01 = "v01-new-partner"
T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
_seq = iter(range(10**6))


def room_response(
    vid: str = V01,
    tid: str = "t1",
    agency: str = "police",
    *,
    ratings: dict | None = None,
    mode: str = "quick",
    priorities: list[str] | None = None,
    priority_level: str | None = None,
    level: str | None = None,
    plan: list[str] | None = None,
    evidence: dict | None = None,
    session_code: str | None = "ABC234",
    role: str = "offender manager",
    minute: int | None = None,
) -> Response:
    """A submitted response to ``vid``: the key's answers unless told otherwise."""
    key, v = LIB.keys[vid], LIB.vignettes[vid]
    n = next(_seq)
    when = T0 + timedelta(minutes=n if minute is None else minute)
    full = mode == "full"
    return Response(
        response_id=uuid.uuid4(),
        trainee=Trainee(id=tid, agency=agency, role=role),
        session_code=session_code,
        vignette_id=vid,
        vignette_version=v.version,
        framework=key.framework,
        mode=mode,
        ratings={**key.ratings, **(ratings or {})},
        evidence=evidence or {},
        priorities=list(key.priorities if priorities is None else priorities),
        priority_level=priority_level or key.priority_level,
        risk_management_level=(level or key.risk_management_level) if full else None,
        plan=[
            PlanAction(intervention=i)
            for i in (plan if plan is not None else [e.intervention for e in key.plan.essential])
        ]
        if full
        else [],
        started_at=when - timedelta(minutes=20),
        submitted_at=when,
    )


# -- the store: a database as release 0.1 built it, and one person's data in a store -----------


def release_0_1_database(url: str, *, step: int = 2) -> None:
    """A database exactly as arms-training 0.1 built it with its own migration steps (frozen
    here: the release's tables, its dashboard indexes as step 2, and its ``schema_info``)."""
    import sqlalchemy as sa
    from sqlalchemy.dialects.postgresql import JSONB

    json = sa.JSON().with_variant(JSONB(), "postgresql")
    when = sa.DateTime(timezone=True)
    md = sa.MetaData()
    drafts = sa.Table(
        "drafts", md,
        sa.Column("trainee_id", sa.String(80), primary_key=True),
        sa.Column("vignette_id", sa.String(120), primary_key=True),
        sa.Column("session_code", sa.String(16), primary_key=True),
        sa.Column("response_id", sa.String(36), nullable=False, index=True),
        sa.Column("response", json, nullable=False),
        sa.Column("updated_at", when, nullable=False),
    )  # fmt: skip
    submissions = sa.Table(
        "submissions", md,
        sa.Column("response_id", sa.String(36), primary_key=True),
        sa.Column("trainee_id", sa.String(80), nullable=False),
        sa.Column("agency", sa.String(16), nullable=False),
        sa.Column("area", sa.String(120), nullable=False),
        sa.Column("role", sa.String(120), nullable=False),
        sa.Column("vignette_id", sa.String(120), nullable=False),
        sa.Column("vignette_version", sa.Integer, nullable=False),
        sa.Column("key_version", sa.Integer, nullable=False),
        sa.Column("framework", sa.String(80), nullable=False),
        sa.Column("framework_version", sa.String(40), nullable=False),
        sa.Column("session_code", sa.String(16)),
        sa.Column("mode", sa.String(8), nullable=False),
        sa.Column("started_at", when, nullable=False),
        sa.Column("submitted_at", when, nullable=False),
        sa.Column("total", sa.Float),
        sa.Column("response", json, nullable=False),
        sa.Column("score", json, nullable=False),
    )  # fmt: skip
    sa.Table(
        "rescores", md,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("response_id", sa.String(36), sa.ForeignKey("submissions.response_id"), nullable=False,
                  index=True),
        sa.Column("key_version", sa.Integer, nullable=False),
        sa.Column("total", sa.Float),
        sa.Column("score", json, nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("rescored_at", when, nullable=False),
    )  # fmt: skip
    sa.Table(
        "sessions", md,
        sa.Column("code", sa.String(16), primary_key=True),
        sa.Column("vignette_ids", json, nullable=False),
        sa.Column("mode", sa.String(8), nullable=False),
        sa.Column("anonymise", sa.Boolean, nullable=False),
        sa.Column("status", sa.String(8), nullable=False),
        sa.Column("trainer", sa.String(120), nullable=False),
        sa.Column("created_at", when, nullable=False),
        sa.Column("revealed", sa.Boolean, nullable=False),
        sa.Column("revealed_at", when),
        sa.CheckConstraint("mode IN ('full', 'quick')", name="ck_sessions_mode"),
        sa.CheckConstraint("status IN ('open', 'closed')", name="ck_sessions_status"),
    )  # fmt: skip
    for name in ("participants", "surveys"):
        extra = (
            [sa.Column("role", sa.String(120), nullable=False), sa.Column("joined_at", when, nullable=False)]
            if name == "participants"
            else [
                sa.Column("answers", json, nullable=False),
                sa.Column("comment", sa.Text, nullable=False),
                sa.Column("submitted_at", when, nullable=False),
            ]
        )
        sa.Table(
            name,
            md,
            sa.Column("session_code", sa.String(16), sa.ForeignKey("sessions.code"), primary_key=True),
            sa.Column("trainee_id", sa.String(80), primary_key=True),
            sa.Column("agency", sa.String(16), nullable=False),
            *extra,
        )
    schema_info = sa.Table(
        "schema_info",
        md,
        sa.Column("version", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("applied_at", when, nullable=False),
    )
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        md.create_all(conn)
        conn.execute(
            schema_info.insert().values(version=1, description="Drafts, ...", applied_at=datetime.now(UTC))
        )
        if step >= 2:
            for name, table, columns in (
                ("ix_submissions_session_submitted", submissions, ("session_code", "submitted_at")),
                ("ix_submissions_vignette_submitted", submissions, ("vignette_id", "submitted_at")),
                ("ix_drafts_session_updated", drafts, ("session_code", "updated_at")),
            ):
                sa.Index(name, *(table.c[c] for c in columns)).create(conn)
            conn.execute(
                schema_info.insert().values(
                    version=2, description="Indexes ...", applied_at=datetime.now(UTC)
                )
            )
    engine.dispose()


STORED_SCORE = {"total": 64.0, "parts": {"ratings": 0.7}}


def stored_response(trainee: Trainee, vignette: str = "v01-new-partner", **changes) -> Response:
    """A response to store (not scored for real: the store takes the score it is given)."""
    r = new_response(
        trainee, vignette, 1, "arms-2018", mode="quick", session_code=changes.pop("session_code", None)
    )
    r.ratings = dict.fromkeys([*RISK, *PROTECTIVE], 1)
    r.notes = {"opportunity": f"seen by {trainee.id}"}
    return r.model_copy(update=changes)


def fill_person(store, trainee: Trainee, *, submitted_at: datetime | None = None) -> str:
    """Everything a trainee can leave in a store: a session they joined, a submission in it
    (re-scored once), a draft of another case and a survey answer. Returns the session code."""
    session = store.create_session(["v01-new-partner", "v02-online-images"], trainer="DS Patel")
    store.join_session(session.code, trainee)
    done = stored_response(trainee, session_code=session.code, submitted_at=submitted_at)
    store.submit(done, score=STORED_SCORE, key_version=1, framework_version="2018.1")
    store.rescore(done.response_id, {"total": 70.0}, 2, "key v2", actor="QA Lead")
    store.save_draft(stored_response(trainee, "v02-online-images", session_code=session.code))
    store.save_survey(session.code, trainee, {"useful": 4}, comment=f"notes by {trainee.id}")
    return session.code
