"""The ARMS framework as data: load and validate a framework file into frozen models.

A force replaces ``frameworks/*.yaml``, never code. Everything the apps and the scoring need to
know about factors, scales, levels and the intervention catalogue comes from here.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, WithJsonSchema, model_validator
from pydantic_core import core_schema

from arms_training.io.documents import parse_model, read_document
from arms_training.locations import FRAMEWORK_DIR, FRAMEWORKS_ENV, framework_dirs
from arms_training.stages import PARTS

__all__ = [
    "INSUFFICIENT",
    "Rating",
    "Framework",
    "Factor",
    "Intervention",
    "load_framework",
    "framework_by_id",
    "available_frameworks",
    "FRAMEWORK_DIR",
]

INSUFFICIENT = "insufficient"
SECTIONS = (
    "factors",
    "rating_scale",
    "priority_levels",
    "static_tool",
    "risk_management_levels",
    "level_matrix",
    "visit_frequency",
    "interventions",
    "plan_rubric",
    "glossary",
)
# The plan-action fields the rubric may require filled in, and the shares the plan part is made
# of; each named once, here, and read by the scorer, its vectorised twin and the frames.
ACTION_FIELDS = ("objective", "enforcement", "rationale", "owner", "review_weeks")
PLAN_SHARES = ("essential_covered", "priorities_addressed", "actions_complete", "constructive_for_protective")


def _one_of(names: tuple[str, ...], what: str) -> Any:
    def check(value: str) -> str:
        if value not in names:
            raise ValueError(f"{value!r} is not {what}; allowed: {', '.join(names)}")
        return value

    return AfterValidator(check)


PartName = Annotated[
    str, _one_of(PARTS, "a scored part"), WithJsonSchema({"enum": list(PARTS), "type": "string"})
]
ShareName = Annotated[
    str, _one_of(PLAN_SHARES, "a plan share"), WithJsonSchema({"enum": list(PLAN_SHARES), "type": "string"})
]
ActionField = Annotated[
    str,
    _one_of(ACTION_FIELDS, "a plan-action field"),
    WithJsonSchema({"enum": list(ACTION_FIELDS), "type": "string"}),
]


class _RatingSchema:
    """A rating validated in pydantic-core alone (no Python call per rating: 100,000 responses
    hold over a million): a strict integer (bool is an int in Python, and a YAML "yes" must not
    pass as a rating of 1; no floats, no numeric strings) or ``"insufficient"``, with one error
    in the union's place."""

    def __get_pydantic_core_schema__(self, source: Any, handler: Any) -> core_schema.CoreSchema:
        return core_schema.union_schema(
            [core_schema.int_schema(strict=True), core_schema.literal_schema([INSUFFICIENT])],
            custom_error_type="rating",
            custom_error_message=f"a rating is an integer on the framework's scale or '{INSUFFICIENT}'",
        )


Rating = Annotated[int | Literal["insufficient"], _RatingSchema()]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Factor(_Frozen):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    name: str
    kind: Literal["risk", "protective"]
    description: str
    indicators: tuple[str, ...] = ()


class ScaleLevel(_Frozen):
    value: int
    label: str
    description: str = ""


class InsufficientLevel(_Frozen):
    label: str
    description: str = ""


class RatingScale(_Frozen):
    levels: tuple[ScaleLevel, ...] = Field(min_length=2)
    insufficient: InsufficientLevel

    @model_validator(mode="after")
    def _ordered(self) -> RatingScale:
        values = [lv.value for lv in self.levels]
        if values != sorted(set(values)):
            raise ValueError(f"scale values must be distinct and ascending, got {values}")
        return self


class Level(_Frozen):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    label: str


class StaticTool(_Frozen):
    name: str
    former: str | None = None
    categories: tuple[Level, ...] = Field(min_length=1)


class VisitFrequency(_Frozen):
    months: int = Field(gt=0)
    label: str


class Intervention(_Frozen):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    label: str
    kind: Literal["restrictive", "constructive", "both"]
    description: str
    factors: tuple[str, ...] = ()


class PlanRubric(_Frozen):
    components: dict[PartName, float]
    plan: dict[ShareName, float]
    # How the priorities part is made up: the F1 of the chosen factors and the priority level.
    priorities: dict[Literal["factors", "level"], float]
    contraindicated_penalty: float = Field(ge=0, le=1)
    adjacent_credit: float = Field(ge=0, le=1)
    # The level score is multiplied by this when it departs from the matrix without a rationale.
    unexplained_override_factor: float = Field(ge=0, le=1)
    complete_action_fields: tuple[ActionField, ...]

    @model_validator(mode="after")
    def _weights(self) -> PlanRubric:
        missing = [c for c in PARTS if c not in self.components]
        if missing:
            raise ValueError(f"components needs a weight for each of {', '.join(missing)}")
        if any(w < 0 for w in self.components.values()) or sum(self.components.values()) <= 0:
            raise ValueError("component weights must be non-negative and not all zero")
        for name, shares in (("plan", self.plan), ("priorities", self.priorities)):
            total = sum(shares.values())
            if abs(total - 1) > 1e-6:
                raise ValueError(f"{name} shares must add up to 1, got {total:g}")
        return self


class GlossaryEntry(_Frozen):
    term: str
    police: str
    probation: str
    meaning: str


class Framework(_Frozen):
    """A validated ARMS framework. Build with :func:`load_framework`."""

    schema_version: Literal[1]
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9._-]*$")
    version: str
    name: str
    description: str = ""
    project_defaults: dict[str, str] = {}
    factors: tuple[Factor, ...] = Field(min_length=1)
    rating_scale: RatingScale
    priority_levels: tuple[Level, ...] = Field(min_length=1)
    static_tool: StaticTool
    risk_management_levels: tuple[Level, ...] = Field(min_length=1)
    level_matrix: dict[str, dict[str, str]]
    visit_frequency: dict[str, VisitFrequency]
    interventions: tuple[Intervention, ...] = Field(min_length=1)
    plan_rubric: PlanRubric
    glossary: tuple[GlossaryEntry, ...] = ()

    @model_validator(mode="after")
    def _cross_references(self) -> Framework:
        problems: list[str] = []
        for name, items in (("factors", self.factors), ("interventions", self.interventions)):
            ids = [i.id for i in items]
            dupes = sorted({i for i in ids if ids.count(i) > 1})
            if dupes:
                problems.append(f"{name}: duplicate id {', '.join(dupes)}")
        unknown = sorted(set(self.project_defaults) - set(SECTIONS))
        if unknown:
            problems.append(
                f"project_defaults: unknown section {', '.join(unknown)}; allowed: {', '.join(SECTIONS)}"
            )
        statics = [c.id for c in self.static_tool.categories]
        priorities = [p.id for p in self.priority_levels]
        levels = [lv.id for lv in self.risk_management_levels]
        if sorted(self.level_matrix) != sorted(statics):
            problems.append(f"level_matrix: needs one row per static category ({', '.join(statics)})")
        for static, row in self.level_matrix.items():
            if sorted(row) != sorted(priorities):
                problems.append(
                    f"level_matrix.{static}: needs one entry per priority level ({', '.join(priorities)})"
                )
            for priority, level in row.items():
                if level not in levels:
                    problems.append(
                        f"level_matrix.{static}.{priority}: unknown level '{level}'; "
                        f"allowed: {', '.join(levels)}"
                    )
        if sorted(self.visit_frequency) != sorted(levels):
            problems.append(f"visit_frequency: needs one entry per level ({', '.join(levels)})")
        factor_ids = set(self.factor_ids)
        for i, item in enumerate(self.interventions):
            for f in item.factors:
                if f not in factor_ids:
                    problems.append(f"interventions[{i}].factors: unknown factor '{f}'")
        if problems:
            raise ValueError("; ".join(problems))
        return self

    # -- convenient views -------------------------------------------------------------------
    @property
    def factor_ids(self) -> tuple[str, ...]:
        return tuple(f.id for f in self.factors)

    @property
    def risk_factors(self) -> tuple[Factor, ...]:
        return tuple(f for f in self.factors if f.kind == "risk")

    @property
    def protective_factors(self) -> tuple[Factor, ...]:
        return tuple(f for f in self.factors if f.kind == "protective")

    @property
    def scale_values(self) -> tuple[int, ...]:
        return tuple(lv.value for lv in self.rating_scale.levels)

    @property
    def priority_ids(self) -> tuple[str, ...]:
        return tuple(p.id for p in self.priority_levels)

    @property
    def static_ids(self) -> tuple[str, ...]:
        return tuple(c.id for c in self.static_tool.categories)

    @property
    def level_ids(self) -> tuple[str, ...]:
        return tuple(lv.id for lv in self.risk_management_levels)

    @property
    def intervention_ids(self) -> tuple[str, ...]:
        return tuple(i.id for i in self.interventions)

    def factor(self, factor_id: str) -> Factor:
        for f in self.factors:
            if f.id == factor_id:
                return f
        raise KeyError(factor_id)

    def intervention(self, intervention_id: str) -> Intervention:
        for i in self.interventions:
            if i.id == intervention_id:
                return i
        raise KeyError(intervention_id)

    def label(self, kind: Literal["priority", "static", "level"], level_id: str) -> str:
        table = {
            "priority": self.priority_levels,
            "static": self.static_tool.categories,
            "level": self.risk_management_levels,
        }[kind]
        return next((lv.label for lv in table if lv.id == level_id), level_id)

    def rating_label(self, rating: int | str | None) -> str:
        if rating is None:
            return "not rated"
        if rating == INSUFFICIENT:
            return self.rating_scale.insufficient.label
        return next(
            (f"{lv.value} {lv.label}" for lv in self.rating_scale.levels if lv.value == rating), str(rating)
        )

    def is_valid_rating(self, rating: Any) -> bool:
        return rating == INSUFFICIENT or (
            isinstance(rating, int) and not isinstance(rating, bool) and rating in self.scale_values
        )

    def allowed_ratings(self) -> str:
        return ", ".join([*map(str, self.scale_values), INSUFFICIENT])

    def level_for(self, static_category: str, priority_level: str) -> str:
        """The matrix result for (static category, priority for work)."""
        return self.level_matrix[static_category][priority_level]


def load_framework(path: str | Path) -> Framework:
    """Load and validate one framework file; raise ContentError naming file, field and line."""
    data, lines = read_document(path)
    return parse_model(Framework, data, path, lines)


def available_frameworks(directories: Iterable[Path] | None = None) -> list[Path]:
    """The framework files on the search path (:func:`arms_training.locations.framework_dirs`),
    the first of each file name: files are named after their framework's id."""
    first: dict[str, Path] = {}
    for folder in framework_dirs() if directories is None else directories:
        for path in sorted(Path(folder).glob("*.yaml")):
            first.setdefault(path.stem, path)
    return list(first.values())


def framework_by_id(framework_id: str, directory: Path | None = None) -> Framework:
    """The framework whose ``id`` is ``framework_id``, from ``directory`` or the search path.

    Raises KeyError naming the frameworks there are and where they were looked for.
    """
    return _framework_by_id(framework_id, (directory,) if directory is not None else framework_dirs())


@cache
def _framework_by_id(framework_id: str, directories: tuple[Path, ...]) -> Framework:
    paths = available_frameworks(directories)
    named = [p for p in paths if p.stem == framework_id]
    for path in [*named, *(p for p in paths if p not in named)]:
        fw = load_framework(path)
        if fw.id == framework_id:
            return fw
    known = ", ".join(p.stem for p in paths)
    where = ", ".join(str(d) for d in directories)
    raise KeyError(
        f"unknown framework '{framework_id}'; installed: {known} (looked in {where}; "
        f"{FRAMEWORKS_ENV} adds a folder)"
    )
