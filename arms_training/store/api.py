"""The Store: drafts, submissions, re-scores, training sessions and surveys over SQLAlchemy Core.

Every public method is one transaction. Writers take the write lock at BEGIN (SQLite) or rely on
row locks and ``lock_timeout`` (PostgreSQL); either way a blocked writer waits at most
``busy_timeout`` seconds and then raises :class:`StoreError` with a message fit for a trainee.
The store knows nothing of widgets or scoring: the caller passes the score it computed.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any, Literal, overload

import sqlalchemy as sa

from arms_training.errors import ContentError, Problem
from arms_training.responses import MAX_TEXT, Response, Trainee, now, parse_response
from arms_training.store import privacy
from arms_training.store import schema as t
from arms_training.store.config import default_url
from arms_training.store.engine import DEFAULT_BUSY_TIMEOUT, make_engine, sqlite_file, write_options
from arms_training.store.errors import SessionError, StoreError, guard
from arms_training.store.records import (
    AuditEntry,
    Participant,
    Rescore,
    Selection,
    Session,
    Submission,
    SubmitResult,
    new_session_code,
    normalise_session_code,
)
from arms_training.store.sql import insert_new, upsert

__all__ = ["Store"]


class Store:
    """The training database: a SQLite file by default, any SQLAlchemy URL when given.

    ``url`` defaults to :func:`arms_training.store.default_url` (``ARMS_TRAINING_DB_URL``, else
    ``arms-training.sqlite`` in the data directory). Opening applies any pending migration.
    ``busy_timeout`` is how many seconds a writer waits for a lock before raising StoreError.
    With ``create=False`` a SQLite file that does not exist is an error rather than a new empty
    database (a mistyped URL in a command must not look like a database with nothing in it).
    """

    def __init__(
        self, url: str | None = None, *, busy_timeout: float = DEFAULT_BUSY_TIMEOUT, create: bool = True
    ) -> None:
        url = url or default_url()
        path = sqlite_file(url)
        if not create and path is not None and not path.is_file():
            raise StoreError(
                f"there is no training database at {path}: check the URL (sqlite:///name is "
                "relative to the current folder, sqlite:////path absolute)"
            )
        self.engine = make_engine(url, busy_timeout=busy_timeout)
        self.url = self.engine.url.render_as_string(hide_password=True)
        self.busy_timeout = busy_timeout
        try:
            with guard("open the training database", self.url):
                t.migrate(self.engine)
        except BaseException:
            self.engine.dispose()
            raise

    def __repr__(self) -> str:
        return f"Store({self.url!r})"

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.engine.dispose()

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def schema_version(self) -> str | None:
        """The Alembic revision of the database (:data:`arms_training.store.schema.HEAD` once
        opened)."""
        with self._read("read the schema version") as conn:
            return t.schema_version(conn)

    # -- drafts ------------------------------------------------------------------------------

    def save_draft(self, response: Response) -> bool:
        """Keep the trainee's work in progress, replacing their previous draft of this vignette
        in this session. Returns False, saving nothing, if the response is already submitted
        (a late autosave from a second tab must not bring a draft back)."""
        rid = str(response.response_id)
        values = {
            **_draft_key(response.trainee.id, response.vignette_id, response.session_code),
            "response_id": rid,
            "response": response.to_json_dict(),
            "updated_at": now(),
        }
        with self._write("save the draft") as conn:
            if _submitted(conn, rid):
                return False
            upsert(conn, t.drafts, values)
        return True

    def load_draft(
        self, trainee_id: str, vignette_id: str, session_code: str | None = None
    ) -> Response | None:
        """The trainee's unsubmitted draft of this vignette in this session, or None."""
        key = _draft_key(trainee_id, vignette_id, session_code)
        stmt = (
            sa.select(t.drafts.c.response, t.drafts.c.response_id)
            .where(*(t.drafts.c[k] == v for k, v in key.items()))
            .where(~_is_submitted(t.drafts.c.response_id))
        )
        with self._read("load the draft") as conn:
            row = conn.execute(stmt).first()
        return None if row is None else parse_response(row.response, f"draft {row.response_id}")

    def delete_draft(self, trainee_id: str, vignette_id: str, session_code: str | None = None) -> bool:
        """Remove the draft; returns whether there was one."""
        key = _draft_key(trainee_id, vignette_id, session_code)
        with self._write("delete the draft") as conn:
            deleted = conn.execute(sa.delete(t.drafts).where(*(t.drafts.c[k] == v for k, v in key.items())))
        return deleted.rowcount > 0

    def drafts(self, *, session_code: str | None = None) -> list[Response]:
        """Unsubmitted drafts, oldest change first (the trainer dashboard's "in progress")."""
        stmt = (
            sa.select(t.drafts.c.response, t.drafts.c.response_id)
            .where(~_is_submitted(t.drafts.c.response_id))
            .order_by(t.drafts.c.updated_at, t.drafts.c.trainee_id)
        )
        if session_code is not None:
            stmt = stmt.where(t.drafts.c.session_code == session_code)
        with self._read("list the drafts") as conn:
            rows = conn.execute(stmt).all()
        return [parse_response(r.response, f"draft {r.response_id}") for r in rows]

    # -- submissions -------------------------------------------------------------------------

    def submit(
        self, response: Response, *, score: Mapping[str, Any], key_version: int, framework_version: str
    ) -> SubmitResult:
        """Store a scored submission and delete its draft, in one transaction.

        Idempotent by ``response_id``: submitting the same response again (a retry, a double
        click) returns ``created=False`` and changes nothing; ``submitted_at`` may differ
        between the two calls and the first one is kept. Different answers, score or versions
        under an existing id raise StoreError: a submission is never changed (see rescore).
        ``submitted_at`` is stamped now if unset; ``score["total"]``, if a number, fills the
        ``total`` column.
        """
        if response.key_version not in (None, key_version):
            raise ValueError(
                f"response {response.response_id} says key_version "
                f"{response.key_version} but was scored with {key_version}"
            )
        stored = response.model_copy(
            update={"key_version": key_version, "submitted_at": response.submitted_at or now()}
        )
        rid = str(stored.response_id)
        trainee = stored.trainee
        values = {
            "response_id": rid,
            "trainee_id": trainee.id,
            "agency": trainee.agency,
            "area": trainee.area,
            "role": trainee.role,
            "vignette_id": stored.vignette_id,
            "vignette_version": stored.vignette_version,
            "key_version": key_version,
            "framework": stored.framework,
            "framework_version": framework_version,
            "session_code": stored.session_code or None,
            "mode": stored.mode,
            "started_at": stored.started_at,
            "submitted_at": stored.submitted_at,
            "total": _total(score),
            "response": stored.to_json_dict(),
            "score": _plain(score),
        }
        with self._write("submit the response") as conn:
            created = insert_new(conn, t.submissions, values)
            if not created:
                old = (
                    conn.execute(sa.select(t.submissions).where(t.submissions.c.response_id == rid))
                    .one()
                    ._mapping
                )
                if not _same_submission(old, values):
                    raise StoreError(
                        f"response {rid} was already submitted with different content; a "
                        "submission cannot be changed (re-scoring is recorded with rescore)"
                    )
            conn.execute(_DELETE_SUBMITTED_DRAFT, {"rid": rid})
        return SubmitResult(created=created, response_id=rid)

    def get_submission(self, response_id: uuid.UUID | str) -> Submission | None:
        rid = str(response_id)
        with self._read("read the submission") as conn:
            row = conn.execute(sa.select(t.submissions).where(t.submissions.c.response_id == rid)).first()
            if row is None:
                return None
            rescored = conn.execute(
                sa.select(t.rescores).where(t.rescores.c.response_id == rid).order_by(t.rescores.c.id)
            ).all()
        return Submission(
            response=parse_response(row.response, f"submission {rid}"),
            score=row.score,
            total=row.total,
            key_version=row.key_version,
            framework_version=row.framework_version,
            submitted_at=row.submitted_at,
            rescores=tuple(_rescore(r) for r in rescored),
        )

    @overload
    def submitted_responses(
        self,
        *,
        session_code: str | None = None,
        vignette_id: str | None = None,
        trainee_id: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        errors: Literal["raise"] = "raise",
    ) -> list[Response]: ...

    @overload
    def submitted_responses(
        self,
        *,
        session_code: str | None = None,
        vignette_id: str | None = None,
        trainee_id: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        errors: Literal["collect"],
    ) -> tuple[list[Response], list[Problem]]: ...

    def submitted_responses(
        self,
        *,
        session_code: str | None = None,
        vignette_id: str | None = None,
        trainee_id: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        errors: Literal["raise", "collect"] = "raise",
    ) -> list[Response] | tuple[list[Response], list[Problem]]:
        """Submitted responses in submission order.

        ``session_code``, ``vignette_id``, ``trainee_id`` match exactly; ``since`` (inclusive)
        and ``until`` (exclusive) bound ``submitted_at``; naive datetimes are taken as UTC.

        A stored record that no longer validates (the Response format moved on, or the row was
        edited by hand) raises :class:`~arms_training.errors.ContentError` with
        ``errors="raise"``. With ``errors="collect"`` it is skipped and the result is
        ``(responses, problems)``: each problem names the record as ``submission <id>``.
        """
        if errors not in ("raise", "collect"):
            raise ValueError(f"errors={errors!r} is not valid; allowed: 'raise', 'collect'")
        stmt = _ordered(
            _filtered(
                sa.select(t.submissions.c.response, t.submissions.c.response_id),
                session_code,
                vignette_id,
                trainee_id,
                since,
                until,
            )
        )
        with self._read("list the submissions") as conn:
            rows = conn.execute(stmt).all()
        if errors == "raise":
            return [parse_response(r.response, f"submission {r.response_id}") for r in rows]
        responses: list[Response] = []
        problems: list[Problem] = []
        for r in rows:
            try:
                responses.append(parse_response(r.response, f"submission {r.response_id}"))
            except ContentError as exc:
                problems.extend(exc.problems)
        return responses, problems

    def submission_rows(
        self,
        *,
        session_code: str | None = None,
        vignette_id: str | None = None,
        trainee_id: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> list[dict[str, Any]]:
        """One flat dict per submission (every column but the response JSON, with ``score``),
        plus ``rescore``: the latest re-score as a dict, or None. Filters as for
        :meth:`submitted_responses`."""
        columns = [c for c in t.submissions.c if c.name != "response"]
        filters = (session_code, vignette_id, trainee_id, since, until)
        with self._read("list the submissions") as conn:
            rows = conn.execute(_ordered(_filtered(sa.select(*columns), *filters))).all()
            latest: dict[str, dict[str, Any]] = {}
            rescored = _filtered(sa.select(t.rescores).join(t.submissions), *filters)
            rescored = rescored.order_by(t.rescores.c.id)
            for r in conn.execute(rescored).all():
                latest[r.response_id] = _rescore(r).__dict__
        return [{**r._mapping, "rescore": latest.get(r.response_id)} for r in rows]

    def rescore(
        self,
        response_id: uuid.UUID | str,
        score: Mapping[str, Any],
        key_version: int,
        reason: str,
        *,
        actor: str = "",
    ) -> Rescore:
        """Record a new score for a submission (after its answer key changed); the original
        submission and score are left as they were. ``reason`` is required. The audit log
        records the re-score (``actor``: who did it)."""
        if not reason or not reason.strip():
            raise ValueError("a re-score needs a reason, e.g. 'answer key v3: factor x revised'")
        rid = str(response_id)
        values = {
            "response_id": rid,
            "key_version": key_version,
            "total": _total(score),
            "score": _plain(score),
            "reason": reason.strip(),
            "rescored_at": now(),
        }
        with self._write("record the re-score") as conn:
            if not _submitted(conn, rid):
                raise StoreError(f"there is no submission with response id {rid} to re-score")
            conn.execute(sa.insert(t.rescores).values(values))
            privacy.record(
                conn,
                "rescore",
                actor=actor,
                subject=rid,
                details={"key_version": key_version, "reason": values["reason"]},
            )
        return _rescore(values)

    # -- sessions ----------------------------------------------------------------------------

    def create_session(
        self,
        vignette_ids: Sequence[str],
        *,
        mode: Literal["full", "quick"] = "full",
        anonymise: bool = True,
        trainer: str = "",
    ) -> Session:
        """Open a new training session with a fresh join code."""
        if (
            isinstance(vignette_ids, str)
            or not vignette_ids
            or not all(isinstance(v, str) and v for v in vignette_ids)
        ):
            raise SessionError(f"a session needs a list of vignette ids, got {vignette_ids!r}")
        if mode not in ("full", "quick"):
            raise SessionError(f"session mode must be 'full' or 'quick', got {mode!r}")
        if len(trainer) > 120:
            raise SessionError("the trainer name is longer than 120 characters")
        values = {
            "vignette_ids": list(dict.fromkeys(vignette_ids)),
            "mode": mode,
            "anonymise": bool(anonymise),
            "status": "open",
            "trainer": trainer,
            "created_at": now(),
            "revealed": False,
            "revealed_at": None,
        }
        with self._write("create the session") as conn:
            for _ in range(20):  # ~10**9 codes: a clash is rare, twenty in a row impossible
                code = new_session_code()
                if insert_new(conn, t.sessions, {"code": code, **values}):
                    return _existing_session(conn, code)
        raise StoreError("could not find a free session code; try again")

    def get_session(self, code: str) -> Session | None:
        """The session, or None if the code is unknown or malformed."""
        try:
            code = normalise_session_code(code)
        except SessionError:
            return None
        with self._read("read the session") as conn:
            return _session(conn, code)

    def list_sessions(self, *, status: Literal["open", "closed"] | None = None) -> list[Session]:
        """Sessions, newest first."""
        stmt = sa.select(t.sessions).order_by(t.sessions.c.created_at.desc(), t.sessions.c.code)
        if status is not None:
            stmt = stmt.where(t.sessions.c.status == status)
        with self._read("list the sessions") as conn:
            return [_session_from(r) for r in conn.execute(stmt).all()]

    def close_session(self, code: str) -> Session:
        return self._update_session(code, status="closed")

    def reopen_session(self, code: str) -> Session:
        return self._update_session(code, status="open")

    def set_revealed(self, code: str, revealed: bool, *, actor: str | None = None) -> Session:
        """Show (or hide again) the expert answers to the session; ``revealed_at`` keeps the
        first time they were shown. The audit log records it, by ``actor`` (default: the
        session's trainer), in the same transaction."""
        at = sa.func.coalesce(t.sessions.c.revealed_at, now()) if revealed else None
        return self._update_session(code, revealed=bool(revealed), revealed_at=at, audit=actor)

    def join_session(self, code: str, trainee: Trainee) -> Participant:
        """Join an open session; joining again returns the existing participant unchanged."""
        code = normalise_session_code(code)
        with self._write("join the session") as conn:
            session = _session(conn, code)
            if session is None:
                raise SessionError(
                    f"there is no training session with code {code}: check the code with your trainer"
                )
            if not session.is_open:
                raise SessionError(
                    f"training session {code} is closed: "
                    "ask your trainer to reopen it if you still need to join"
                )
            insert_new(
                conn,
                t.participants,
                {
                    "session_code": code,
                    "trainee_id": trainee.id,
                    "agency": trainee.agency,
                    "role": trainee.role,
                    "joined_at": now(),
                },
            )
            row = conn.execute(
                sa.select(t.participants).where(
                    t.participants.c.session_code == code, t.participants.c.trainee_id == trainee.id
                )
            ).one()
        return Participant(**row._mapping)

    def participants(self, code: str) -> list[Participant]:
        """The session's participants in joining order."""
        code = normalise_session_code(code)
        stmt = (
            sa.select(t.participants)
            .where(t.participants.c.session_code == code)
            .order_by(t.participants.c.joined_at, t.participants.c.trainee_id)
        )
        with self._read("list the participants") as conn:
            return [Participant(**r._mapping) for r in conn.execute(stmt).all()]

    # -- surveys -----------------------------------------------------------------------------

    def save_survey(self, code: str, trainee: Trainee, answers: Mapping[str, int], comment: str = "") -> None:
        """Store the trainee's session evaluation (statement id -> 1..5 on a Likert scale);
        saving again replaces their earlier answers. Closed sessions still take surveys."""
        code = normalise_session_code(code)
        if not answers:
            raise SessionError("the survey has no answers")
        for statement, value in answers.items():
            if not isinstance(statement, str) or not 0 < len(statement) <= 80:
                raise SessionError(f"survey statement id {statement!r} must be 1 to 80 characters")
            if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 5:
                raise SessionError(f"survey answer to {statement!r} must be 1 to 5, got {value!r}")
        if len(comment) > MAX_TEXT:
            raise SessionError(f"the survey comment is longer than {MAX_TEXT} characters")
        with self._write("save the survey") as conn:
            if _session(conn, code) is None:
                raise SessionError(f"there is no training session with code {code}")
            upsert(
                conn,
                t.surveys,
                {
                    "session_code": code,
                    "trainee_id": trainee.id,
                    "agency": trainee.agency,
                    "answers": dict(answers),
                    "comment": comment,
                    "submitted_at": now(),
                },
            )

    def survey_rows(self, code: str) -> list[dict[str, Any]]:
        code = normalise_session_code(code)
        stmt = (
            sa.select(t.surveys)
            .where(t.surveys.c.session_code == code)
            .order_by(t.surveys.c.submitted_at, t.surveys.c.trainee_id)
        )
        with self._read("list the survey answers") as conn:
            return [dict(r._mapping) for r in conn.execute(stmt).all()]

    # -- data protection and the audit log (see store/privacy.py) ---------------------------

    def record_action(
        self, action: str, *, actor: str, subject: str = "", details: Mapping[str, Any] | None = None
    ) -> AuditEntry:
        """Add a staff action to the audit log: ``action`` one of reveal, export, erase, purge,
        rescore; ``subject`` a session code, a response id or a :meth:`subject_digest` (never
        a trainee id); ``details`` plain JSON data."""
        with self._write("record the action in the audit log") as conn:
            return privacy.record(conn, action, actor=actor, subject=subject, details=_plain(details or {}))

    def audit_log(
        self, *, since: datetime | None = None, until: datetime | None = None, action: str | None = None
    ) -> list[AuditEntry]:
        """The audit log, oldest first; ``since``/``until`` bound the time inclusively."""
        with self._read("read the audit log") as conn:
            return privacy.entries(conn, since=since, until=until, action=action)

    @staticmethod
    def subject_digest(trainee_id: str) -> str:
        """How the audit log names a person (a digest, never the id)."""
        return privacy.subject_digest(trainee_id)

    def held_about(self, trainee_id: str) -> dict[str, int]:
        """Rows held about one person, by table."""
        with self._read("count what is held") as conn:
            return privacy.held(conn, trainee_id)

    def person_record(self, trainee_id: str) -> dict[str, Any]:
        """Everything held about one person, as plain JSON data (subject access request)."""
        with self._read("read what is held") as conn:
            return privacy.person_record(conn, trainee_id)

    def erase_trainee(self, trainee_id: str, *, actor: str) -> dict[str, int]:
        """Delete everything held about one person (responses, re-scores, drafts, survey answers,
        session membership) and record the erasure, by digest, in one transaction; returns the
        rows deleted by table."""
        if not trainee_id:
            raise ValueError("erase needs a trainee id")
        with self._write("erase the trainee's data") as conn:
            deleted = privacy.erase(conn, trainee_id)
            privacy.record(
                conn, "erase", actor=actor, subject=privacy.subject_digest(trainee_id), details=deleted
            )
        return deleted

    def purge(self, before: datetime, *, actor: str, dry_run: bool = False) -> dict[str, int]:
        """Delete everything older than ``before`` (see :func:`arms_training.store.privacy.
        purge`) and record the purge; returns the rows deleted by table. With ``dry_run`` the
        same deletes run and are rolled back: the counts of what would go."""
        with guard("purge old data", self.url), self.engine.connect() as conn:
            conn.execution_options(**write_options())
            transaction = conn.begin()
            try:
                deleted = privacy.purge(conn, before)
                if dry_run:
                    transaction.rollback()
                    return deleted
                privacy.record(
                    conn, "purge", actor=actor, details={"before": before.isoformat(), "deleted": deleted}
                )
                transaction.commit()
            except BaseException:
                if transaction.is_active:
                    transaction.rollback()
                raise
        return deleted

    def selected_submissions(self, selection: Selection) -> list[dict[str, Any]]:
        """The submissions an export takes (:class:`~arms_training.store.records.Selection`),
        oldest first: every column, plus ``rescore_total`` and ``rescore_key_version`` of the
        latest re-score (None when never re-scored)."""
        with self._read("read the submissions") as conn:
            return [dict(r._mapping) for r in privacy.selected(conn, selection)]

    # -- plumbing ----------------------------------------------------------------------------

    @contextmanager
    def _read(self, action: str) -> Iterator[sa.Connection]:
        with guard(action, self.url), self.engine.connect() as conn, conn.begin():
            yield conn

    @contextmanager
    def _write(self, action: str) -> Iterator[sa.Connection]:
        with guard(action, self.url), self.engine.connect() as conn:
            conn.execution_options(**write_options())
            with conn.begin():
                yield conn

    def _update_session(self, code: str, *, audit: str | None = None, **values: Any) -> Session:
        code = normalise_session_code(code)
        with self._write("update the session") as conn:
            updated = conn.execute(sa.update(t.sessions).where(t.sessions.c.code == code).values(**values))
            if updated.rowcount == 0:
                raise SessionError(f"there is no training session with code {code}")
            session = _existing_session(conn, code)
            if "revealed" in values:
                actor = audit or session.trainer or "trainer"
                privacy.record(
                    conn, "reveal", actor=actor, subject=code, details={"revealed": session.revealed}
                )
            return session


def _draft_key(trainee_id: str, vignette_id: str, session_code: str | None) -> dict[str, str]:
    return {"trainee_id": trainee_id, "vignette_id": vignette_id, "session_code": session_code or ""}


def _is_submitted(response_id: sa.ColumnElement) -> sa.Exists:
    return sa.exists().where(t.submissions.c.response_id == response_id)


_SUBMITTED = sa.select(_is_submitted(sa.bindparam("rid", type_=t.UUID)))
_DELETE_SUBMITTED_DRAFT = sa.delete(t.drafts).where(t.drafts.c.response_id == sa.bindparam("rid"))


def _submitted(conn: sa.Connection, rid: str) -> bool:
    return bool(conn.execute(_SUBMITTED, {"rid": rid}).scalar())


def _plain(data: Mapping[str, Any]) -> dict[str, Any]:
    """A JSON-safe copy (tuples become lists, NaN refused) so a retry compares equal."""
    try:
        return json.loads(json.dumps(dict(data), allow_nan=False))
    except (TypeError, ValueError) as exc:
        raise ValueError(f"the score must be plain JSON data: {exc}") from None


def _total(score: Mapping[str, Any]) -> float | None:
    value = score.get("total")
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    return None


def _same_submission(old: Mapping[Any, Any], new: Mapping[str, Any]) -> bool:
    def answers(response: Mapping[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in response.items() if k != "submitted_at"}

    return (
        answers(old["response"]) == answers(_plain(new["response"]))
        and old["score"] == new["score"]
        and old["key_version"] == new["key_version"]
        and old["framework_version"] == new["framework_version"]
    )


def _filtered(stmt: sa.Select, session_code, vignette_id, trainee_id, since, until) -> sa.Select:
    c = t.submissions.c
    for column, value in (
        (c.session_code, session_code),
        (c.vignette_id, vignette_id),
        (c.trainee_id, trainee_id),
    ):
        if value is not None:
            stmt = stmt.where(column == value)
    if since is not None:
        stmt = stmt.where(c.submitted_at >= since)
    if until is not None:
        stmt = stmt.where(c.submitted_at < until)
    return stmt


def _ordered(stmt: sa.Select) -> sa.Select:
    return stmt.order_by(t.submissions.c.submitted_at, t.submissions.c.response_id)


def _rescore(row: Any) -> Rescore:
    m = row if isinstance(row, Mapping) else row._mapping
    return Rescore(
        response_id=m["response_id"],
        key_version=m["key_version"],
        total=m["total"],
        score=m["score"],
        reason=m["reason"],
        rescored_at=m["rescored_at"],
    )


def _session_from(row: sa.Row) -> Session:
    m = dict(row._mapping)
    return Session(**{**m, "vignette_ids": tuple(m["vignette_ids"])})


def _session(conn: sa.Connection, code: str) -> Session | None:
    row = conn.execute(sa.select(t.sessions).where(t.sessions.c.code == code)).first()
    return None if row is None else _session_from(row)


def _existing_session(conn: sa.Connection, code: str) -> Session:
    """The session just written in this transaction (so it is there)."""
    return _session_from(conn.execute(sa.select(t.sessions).where(t.sessions.c.code == code)).one())
