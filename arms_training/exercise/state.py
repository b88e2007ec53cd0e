"""The trainee exercise as plain state: what the trainee has done, changed by small functions.

No widgets here (the views in :mod:`arms_training.ui` read and change an :class:`Exercise`), and
nothing from an answer key: the key is read only by the submit handler, after the response is
stored, so no key-derived value can reach the browser before submission.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import parse_qs

from pydantic import ValidationError

from arms_training.content import Vignette
from arms_training.errors import InputError
from arms_training.framework import INSUFFICIENT, Framework
from arms_training.responses import (
    MAX_TEXT,
    FollowUpResponse,
    PlanAction,
    Response,
    Trainee,
)
from arms_training.stages import missing_for_submission, stages_for

__all__ = [
    "InputError",
    "Arrival",
    "Exercise",
    "OTHER",
    "ACTION_TEXT_FIELDS",
    "validate_trainee_id",
    "validate_text",
    "parse_arrival",
    "header",
    "make_trainee",
    "rating_options",
]

OTHER = "other"
ACTION_TEXT_FIELDS = ("objective", "enforcement", "rationale")
# Letters (any script), digits, space, dot, underscore, hyphen: enough for a pseudonym, and
# nothing a browser could read as markup.
_TRAINEE_ID = re.compile(r"[\w .\-]{1,40}")
_SESSION_CODE = re.compile(r"[A-Za-z0-9_-]{1,16}")
_VIGNETTE_ID = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")


def validate_trainee_id(raw: str) -> str:
    value = (raw or "").strip()
    if not value:
        raise InputError("Enter a trainee id: a pseudonym you will use again to resume.")
    if len(value) > 40:
        raise InputError(f"The trainee id is {len(value)} characters long; use at most 40.")
    if not _TRAINEE_ID.fullmatch(value):
        raise InputError(
            "Use only letters, digits, spaces, dots, underscores and hyphens in the "
            "trainee id (no < > & quotes or other symbols)."
        )
    return value


def validate_text(value: str, what: str) -> str:
    if len(value) > MAX_TEXT:
        raise InputError(
            f"The {what} is {len(value):,} characters long; the limit is "
            f"{MAX_TEXT:,}. Shorten it and it will be saved (your text is kept "
            "in the box meanwhile)."
        )
    return value


def make_trainee(trainee_id: str, agency: str, role: str = "", area: str = "") -> Trainee:
    trainee_id = validate_trainee_id(trainee_id)
    if agency not in ("police", "probation", "other"):
        raise InputError("Choose your agency: police, probation or other.")
    role, area = role.strip(), area.strip()
    for text, what in ((role, "role"), (area, "area")):
        if len(text) > 120:
            raise InputError(f"The {what} is too long; use at most 120 characters.")
        if re.search(r"[<>&\"]", text):
            raise InputError(f"Use plain words in the {what} (no < > & or quotes).")
    return Trainee(id=trainee_id, agency=agency, role=role, area=area)


def header(headers: Mapping[str, str] | None, name: str) -> str | None:
    """A request header by case-insensitive name (RFC 9110), or None."""
    for key, value in (headers or {}).items():
        if key.lower() == name.lower():
            return value
    return None


@dataclass(frozen=True)
class Arrival:
    """What the page's URL and headers say before the trainee does anything."""

    vignette_id: str | None = None
    session_code: str | None = None
    proxy_user: str | None = None
    problems: tuple[str, ...] = ()


def _first(params: Mapping[str, list[str]], name: str) -> str | None:
    values = params.get(name)
    return values[0] if values else None


def parse_arrival(query: str | None, headers: Mapping[str, str] | None = None) -> Arrival:
    params = parse_qs((query or "").lstrip("?"), keep_blank_values=False)
    problems: list[str] = []
    vignette = _first(params, "vignette")
    if vignette is not None and not _VIGNETTE_ID.fullmatch(vignette):
        problems.append("The link names a case that does not exist; choose one below.")
        vignette = None
    session = _first(params, "session")
    if session is not None:
        session = session.strip().upper()
        if not _SESSION_CODE.fullmatch(session):
            problems.append(
                "The session code in the link is not valid; check it with your "
                "trainer, or choose a case below."
            )
            session = None
    user = header(headers, "X-Forwarded-User")
    if user is not None:
        try:
            user = validate_trainee_id(user)
        except InputError:
            problems.append("Your sign-in name cannot be used as a trainee id; enter one below.")
            user = None
    return Arrival(vignette, session, user, tuple(problems))


def _clean(exc: ValidationError) -> str:
    return "; ".join(e["msg"] for e in exc.errors())


@dataclass
class Exercise:
    """One trainee working one vignette: the Response plus where they are in it."""

    framework: Framework
    vignette: Vignette
    response: Response
    stage: str = "gather"
    clock: Callable[[], float] = time.monotonic
    level_mode: Literal["matrix", "override"] = "matrix"
    override_level: str | None = None
    visited: set[str] = field(default_factory=set)
    _entered: float | None = None

    def __post_init__(self) -> None:
        r = self.response
        if r.override_rationale and r.risk_management_level:
            self.level_mode, self.override_level = "override", r.risk_management_level
        self.visited |= {s for s, secs in r.stage_seconds.items() if secs > 0}
        if self.stage not in self.stages:
            self.stage = self.stages[0]
        self.visited.add(self.stage)
        self._entered = self.clock()

    # -- stages and time --------------------------------------------------------------------
    @property
    def stages(self) -> tuple[str, ...]:
        has_follow_up = self.vignette.follow_up is not None
        return tuple(s.id for s in stages_for(self.response.mode, has_follow_up=has_follow_up))

    def tick(self) -> None:
        """Add the time since the last tick to the current stage."""
        now = self.clock()
        if self._entered is not None:
            spent = max(0.0, now - self._entered)
            seconds = dict(self.response.stage_seconds)
            seconds[self.stage] = round(seconds.get(self.stage, 0.0) + spent, 1)
            self.response.stage_seconds = seconds
        self._entered = now

    def go(self, stage: str) -> None:
        if stage not in self.stages:
            raise InputError(f"There is no '{stage}' stage in this exercise.")
        self.tick()
        self.stage = stage
        self.visited.add(stage)

    def step(self, offset: int) -> None:
        i = self.stages.index(self.stage) + offset
        if 0 <= i < len(self.stages):
            self.go(self.stages[i])

    def resume_point(self) -> str:
        """Where a returning trainee picks up: the first stage with something left to do."""
        if not self.visited - {"gather"} and not self.response.ratings:
            return self.stages[0]
        missing = self.missing()
        return next((s for s in self.stages[1:] if s in missing), self.stages[-1])

    # -- what is still missing --------------------------------------------------------------
    def missing(self) -> dict[str, list[str]]:
        out = missing_for_submission(
            self.response,
            self.framework,
            has_follow_up=self.vignette.follow_up is not None and self.response.mode == "full",
        )
        if (
            self.response.mode == "full"
            and self.level_mode == "override"
            and not (self.response.override_rationale or "").strip()
        ):
            out.setdefault("level", []).insert(0, "give the rationale for overriding the matrix")
        if "review" in out and not self.revealed:
            out["review"] = ["complete the plan, then open the next visit"]
        return out

    def status(self, stage: str) -> Literal["done", "incomplete"]:
        if stage == "gather":
            return "done" if self.visited - {"gather"} else "incomplete"
        return "incomplete" if stage in self.missing() else "done"

    def can_reveal(self) -> bool:
        missing = self.missing()
        return not any(s in missing for s in ("rate", "prioritise", "level", "plan"))

    @property
    def revealed(self) -> bool:
        return self.response.follow_up is not None

    @property
    def locked(self) -> bool:
        """The first assessment is fixed once the next visit is read: record changes in Review."""
        return self.revealed

    def _guard(self) -> None:
        if self.locked:
            raise InputError(
                "Your first assessment is fixed now that you have read the next "
                "visit; record any changes in the Review stage."
            )

    # -- rate --------------------------------------------------------------------------------
    def set_rating(self, factor_id: str, rating: int | str | None) -> None:
        self._guard()
        self.response.ratings = self._rated(self.response.ratings, factor_id, rating)

    def _rated(self, ratings: Mapping[str, Any], factor_id: str, rating: int | str | None) -> dict[str, Any]:
        """A copy of ``ratings`` with ``factor_id`` set to ``rating`` (None clears it)."""
        self.framework.factor(factor_id)
        out = dict(ratings)
        if rating is None:
            out.pop(factor_id, None)
        elif not self.framework.is_valid_rating(rating):
            raise InputError(f"Choose one of {self.framework.allowed_ratings()}.")
        else:
            out[factor_id] = rating
        return out

    def set_evidence(self, factor_id: str, paragraph_ids: list[str] | tuple[str, ...]) -> None:
        self._guard()
        known = set(self.vignette.paragraph_ids(include_follow_up=False))
        unknown = [p for p in paragraph_ids if p not in known]
        if unknown:
            raise InputError(f"Unknown paragraph {', '.join(unknown)}.")
        evidence = dict(self.response.evidence)
        if paragraph_ids:
            evidence[factor_id] = list(paragraph_ids)
        else:
            evidence.pop(factor_id, None)
        self.response.evidence = evidence

    def set_note(self, factor_id: str, text: str) -> None:
        self._guard()
        validate_text(text, f"note on {self.framework.factor(factor_id).name}")
        notes = dict(self.response.notes)
        if text.strip():
            notes[factor_id] = text
        else:
            notes.pop(factor_id, None)
        self.response.notes = notes

    # -- prioritise and level ----------------------------------------------------------------
    def set_priorities(self, factor_ids: list[str] | tuple[str, ...]) -> None:
        self._guard()
        for f in factor_ids:
            self.framework.factor(f)
        self.response.priorities = [f for f in self.framework.factor_ids if f in factor_ids]

    def set_priority_level(self, level: str | None) -> None:
        self._guard()
        if level is not None and level not in self.framework.priority_ids:
            raise InputError(f"Choose one of {', '.join(self.framework.priority_ids)}.")
        self.response.priority_level = level
        self._apply_level()

    @property
    def static_category(self) -> str:
        return self.vignette.static_tool.category

    def matrix_level(self) -> str | None:
        p = self.response.priority_level
        if p is None or self.static_category not in self.framework.static_ids:
            return None
        return self.framework.level_for(self.static_category, p)

    def choose_level(
        self, mode: Literal["matrix", "override"], *, level: str | None = None, rationale: str | None = None
    ) -> None:
        self._guard()
        if mode not in ("matrix", "override"):
            raise InputError("Choose the matrix result or an override.")
        if level is not None and level not in self.framework.level_ids:
            raise InputError(f"Choose one of {', '.join(self.framework.level_ids)}.")
        if rationale is not None:
            validate_text(rationale, "override rationale")
        self.level_mode = mode
        if mode == "override":
            self.override_level = level if level is not None else self.override_level
            if rationale is not None:
                self.response.override_rationale = rationale if rationale.strip() else None
        self._apply_level()

    def _apply_level(self) -> None:
        r = self.response
        if self.level_mode == "matrix":
            r.override_rationale = None
            r.risk_management_level = self.matrix_level()
        elif self.override_level and (r.override_rationale or "").strip():
            r.risk_management_level = self.override_level
        else:
            r.risk_management_level = None

    def visit_frequency(self, level: str | None) -> str:
        if level is None or level not in self.framework.visit_frequency:
            return ""
        return self.framework.visit_frequency[level].label

    # -- plan --------------------------------------------------------------------------------
    def add_action(self, intervention: str) -> int:
        self._guard()
        if intervention != OTHER:
            try:
                item = self.framework.intervention(intervention)
            except KeyError:
                raise InputError("Choose an intervention from the catalogue or 'other'.") from None
            factors = [f for f in item.factors if f in self.response.priorities]
        else:
            factors = []
        self.response.plan = [*self.response.plan, PlanAction(intervention=intervention, factors=factors)]
        return len(self.response.plan) - 1

    def update_action(self, index: int, **changes: Any) -> None:
        self._guard()
        plan = list(self.response.plan)
        if not 0 <= index < len(plan):
            raise InputError("That action is no longer in the plan.")
        for name in ACTION_TEXT_FIELDS:
            if name in changes:
                validate_text(changes[name], f"action {index + 1} {name}")
        if "label" in changes and len(changes["label"]) > 200:
            raise InputError("Describe the 'other' action in at most 200 characters.")
        if "factors" in changes:
            for f in changes["factors"]:
                self.framework.factor(f)
            changes["factors"] = [f for f in self.framework.factor_ids if f in changes["factors"]]
        try:
            plan[index] = PlanAction.model_validate({**plan[index].model_dump(), **changes})
        except ValidationError as exc:
            raise InputError(f"Action {index + 1}: {_clean(exc)}") from None
        self.response.plan = plan

    def remove_action(self, index: int) -> None:
        self._guard()
        plan = list(self.response.plan)
        if 0 <= index < len(plan):
            del plan[index]
        self.response.plan = plan

    # -- review ------------------------------------------------------------------------------
    def reveal_follow_up(self) -> None:
        if self.revealed:
            return
        if self.vignette.follow_up is None or self.response.mode != "full":
            raise InputError("This exercise has no follow-up visit.")
        if not self.can_reveal():
            raise InputError("Complete the ratings, priorities, level and plan first.")
        self.response.follow_up = FollowUpResponse(ratings=dict(self.response.ratings))

    def _follow_up(self) -> Any:
        if not self.revealed:
            raise InputError("Open the next visit first.")
        return self.response.follow_up

    def set_significant_change(self, value: bool | None) -> None:
        self._follow_up().significant_change = value

    def set_follow_up_rating(self, factor_id: str, rating: int | str | None) -> None:
        fu = self._follow_up()
        fu.ratings = self._rated(fu.ratings, factor_id, rating)

    def set_follow_up_level(self, level: str | None) -> None:
        if level is not None and level not in self.framework.level_ids:
            raise InputError(f"Choose one of {', '.join(self.framework.level_ids)}.")
        self._follow_up().risk_management_level = level


def rating_options(framework: Framework) -> list[tuple[str, int | str]]:
    return [
        *((f"{lv.value} {lv.label}", lv.value) for lv in framework.rating_scale.levels),
        (framework.rating_scale.insufficient.label, INSUFFICIENT),
    ]
