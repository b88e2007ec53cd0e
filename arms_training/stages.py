"""THE list of exercise stages: what a trainee works through, in order, and what each one means.

Every place that knows about stages reads this module: the response format (which stage's time a
response records), the exercise state (which stages a mode asks, what is still missing), the
scorer (which parts it scores and in which order), the framework's rubric (one weight per scored
part), the feedback report and the session CSV (their labels and columns). Adding a stage starts
with one :class:`Stage` record here; ``docs/extending.md`` lists the rest.

A stage may feed one scored *part* of :class:`~arms_training.scoring.report.ScoreReport`
(``rate`` feeds ``ratings``); reading the case feeds none. ``quick`` says whether quick mode asks
the stage; ``follow_up`` marks the stage that exists only when the case has a next visit.
``missing`` says what "complete" means: what the trainee still has to do in that stage before the
response can be submitted (an empty list: complete).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

__all__ = [
    "Stage",
    "STAGES",
    "STAGE_IDS",
    "PARTS",
    "PART_LABELS",
    "Mode",
    "stage",
    "stages_for",
    "parts_for",
    "missing_for_submission",
]

Mode = Literal["full", "quick"]


# What completeness reads of a response and of the framework. Protocols, not the classes: the
# framework's rubric weighs the parts named here, so this module must not import it, even for
# types (arms_training.responses.Response and arms_training.framework.Framework fit them).
class _FollowUp(Protocol):
    @property
    def significant_change(self) -> bool | None: ...
    @property
    def risk_management_level(self) -> str | None: ...


class Response(Protocol):
    @property
    def mode(self) -> Mode: ...
    @property
    def ratings(self) -> Mapping[str, object]: ...
    @property
    def priority_level(self) -> str | None: ...
    @property
    def risk_management_level(self) -> str | None: ...
    @property
    def plan(self) -> Sequence[object]: ...
    @property
    def follow_up(self) -> _FollowUp | None: ...


class _Named(Protocol):
    @property
    def name(self) -> str: ...


class Framework(Protocol):
    @property
    def factor_ids(self) -> tuple[str, ...]: ...
    def factor(self, factor_id: str) -> _Named: ...


def _nothing(_response: Response, _framework: Framework) -> list[str]:
    return []


def _unrated(response: Response, framework: Framework) -> list[str]:
    return [f"rate {framework.factor(f).name}" for f in framework.factor_ids if f not in response.ratings]


def _no_priority(response: Response, _framework: Framework) -> list[str]:
    return [] if response.priority_level is not None else ["choose the overall priority for work"]


def _no_level(response: Response, _framework: Framework) -> list[str]:
    return [] if response.risk_management_level is not None else ["confirm the level of risk management"]


def _no_plan(response: Response, _framework: Framework) -> list[str]:
    return [] if response.plan else ["add at least one action to the plan"]


def _review_open(response: Response, _framework: Framework) -> list[str]:
    fu = response.follow_up
    out = []
    if fu is None or fu.significant_change is None:
        out.append("say whether the change is significant")
    if fu is None or fu.risk_management_level is None:
        out.append("re-assess the level of risk management")
    return out


@dataclass(frozen=True)
class Stage:
    """One exercise stage; see the module docstring for the fields."""

    id: str
    label: str
    part: str | None
    part_label: str | None
    quick: bool
    missing: Callable[[Response, Framework], list[str]]
    follow_up: bool = False


STAGES: tuple[Stage, ...] = (
    Stage("gather", "Read the case", None, None, quick=True, missing=_nothing),
    Stage("rate", "Rate factors", "ratings", "Ratings", quick=True, missing=_unrated),
    Stage("prioritise", "Priorities", "priorities", "Priorities", quick=True, missing=_no_priority),
    Stage("level", "Level", "level", "Level", quick=False, missing=_no_level),
    Stage("plan", "Plan", "plan", "Plan", quick=False, missing=_no_plan),
    Stage(
        "review", "Review", "follow_up", "Follow-up review", quick=False, missing=_review_open, follow_up=True
    ),
)
STAGE_IDS: tuple[str, ...] = tuple(s.id for s in STAGES)
# The scored parts in scoring order: the total adds them in this order (bit for bit with the
# vectorised scorer), and the framework's rubric has one weight for each.
PARTS: tuple[str, ...] = tuple(s.part for s in STAGES if s.part)
PART_LABELS: dict[str, str] = {s.part: s.part_label for s in STAGES if s.part and s.part_label}
_BY_ID = {s.id: s for s in STAGES}


def stage(stage_id: str) -> Stage:
    """The stage called ``stage_id``; KeyError names the stages there are."""
    try:
        return _BY_ID[stage_id]
    except KeyError:
        raise KeyError(f"no stage {stage_id!r}; the stages are {', '.join(STAGE_IDS)}") from None


def stages_for(mode: Mode, *, has_follow_up: bool) -> tuple[Stage, ...]:
    """The stages an exercise asks, in order: quick mode asks only the ``quick`` stages; the
    follow-up stage only when the case has a next visit."""
    return tuple(s for s in STAGES if (s.quick or mode == "full") and (not s.follow_up or has_follow_up))


def parts_for(mode: Mode, *, has_follow_up: bool) -> tuple[str, ...]:
    """The scored parts an exercise asks, in scoring order."""
    return tuple(s.part for s in stages_for(mode, has_follow_up=has_follow_up) if s.part)


def missing_for_submission(
    response: Response, framework: Framework, *, has_follow_up: bool = False
) -> dict[str, list[str]]:
    """What each stage the response's mode asks still needs before it can be submitted, by stage
    id (an empty dict: ready)."""
    out: dict[str, list[str]] = {}
    for s in stages_for(response.mode, has_follow_up=has_follow_up):
        needs = s.missing(response, framework)
        if needs:
            out[s.id] = needs
    return out
