"""Vignettes and answer keys: models, loaders and the library of shipped content.

Schema checks (types, required fields) live in the models; checks that need the framework or the
vignette (does the factor exist, is the paragraph cited real) live in :mod:`arms_training.validation.checks`.
"""

from __future__ import annotations

import logging
import statistics
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from arms_training.errors import ContentError, Problem
from arms_training.framework import INSUFFICIENT, Rating
from arms_training.io.documents import parse_model, read_document
from arms_training.locations import content_root

__all__ = [
    "Vignette",
    "Section",
    "Paragraph",
    "CastMember",
    "AnswerKey",
    "KeyFactor",
    "PanelMember",
    "load_vignette",
    "load_key",
    "panel_consensus",
    "content_root",
    "Library",
    "load_library",
    "load_vignettes",
    "offered_cases",
    "load_key_for",
    "FEATURES",
    "SOURCES",
]

log = logging.getLogger("arms_training.content")
ID = r"^[a-z0-9][a-z0-9_-]*$"
SOURCES = (
    "home_visit",
    "police",
    "probation",
    "oasys",
    "childrens_services",
    "housing",
    "health",
    "employer",
    "self_report",
    "third_party",
    "other",
)
# Special cases a library must cover (issue 3); declared by the vignette, checked by checks.py.
FEATURES = (
    "reactive_management_eligible",
    "reactive_management_fails_criterion",
    "conflicting_accounts",
    "protective_rich",
    "internet_offending",
    "contraindicated_restriction",
    "follow_up_significant",
    "follow_up_not_significant",
)


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class CastMember(_Strict):
    name: str = Field(min_length=2)
    kind: Literal["person", "place", "organisation"] = "person"
    role: str = ""


class Paragraph(_Strict):
    id: str = Field(pattern=ID)
    text: str = Field(min_length=1)
    source: Literal[SOURCES] | None = None  # type: ignore[valid-type]


class Section(_Strict):
    id: str = Field(pattern=ID)
    title: str
    source: Literal[SOURCES]  # type: ignore[valid-type]
    when: str = ""
    paragraphs: tuple[Paragraph, ...] = Field(min_length=1)


class StaticTool(_Strict):
    name: str
    category: str


class FollowUp(_Strict):
    title: str
    when: str = ""
    sections: tuple[Section, ...] = Field(min_length=1)


class Vignette(_Strict):
    schema_version: Literal[1]
    id: str = Field(pattern=ID)
    version: int = Field(ge=1)
    title: str
    summary: str
    difficulty: Literal["introductory", "intermediate", "advanced"]
    estimated_minutes: int = Field(gt=0, le=240)
    learning_focus: tuple[str, ...] = Field(min_length=1)
    framework: str
    static_tool: StaticTool
    mappa_level: Literal[1, 2, 3]
    lead_agency: Literal["police", "probation"]
    offence_types: tuple[str, ...] = ()
    features: tuple[Literal[FEATURES], ...] = ()  # type: ignore[valid-type]
    cast: tuple[CastMember, ...] = Field(min_length=1)
    sections: tuple[Section, ...] = Field(min_length=1)
    follow_up: FollowUp | None = None

    @model_validator(mode="after")
    def _unique_ids(self) -> Vignette:
        seen: set[str] = set()
        for where, para in self.iter_paragraphs(include_follow_up=True):
            if para.id in seen:
                raise ValueError(f"duplicate paragraph id '{para.id}' in {where}")
            seen.add(para.id)
        section_ids = [s.id for s in self.all_sections()]
        dupes = sorted({s for s in section_ids if section_ids.count(s) > 1})
        if dupes:
            raise ValueError(f"duplicate section id {', '.join(dupes)}")
        return self

    def all_sections(self) -> tuple[Section, ...]:
        return self.sections + (self.follow_up.sections if self.follow_up else ())

    def iter_paragraphs(self, *, include_follow_up: bool = False) -> Iterable[tuple[str, Paragraph]]:
        sections = self.all_sections() if include_follow_up else self.sections
        for section in sections:
            for para in section.paragraphs:
                yield section.id, para

    def paragraph_ids(self, *, include_follow_up: bool = True) -> list[str]:
        return [p.id for _, p in self.iter_paragraphs(include_follow_up=include_follow_up)]

    def paragraph(self, paragraph_id: str) -> Paragraph:
        for _, para in self.iter_paragraphs(include_follow_up=True):
            if para.id == paragraph_id:
                return para
        raise KeyError(paragraph_id)

    def word_count(self) -> int:
        return sum(len(p.text.split()) for _, p in self.iter_paragraphs(include_follow_up=True))


class PanelMember(_Strict):
    id: str
    ratings: dict[str, Rating]


class KeyFactor(_Strict):
    rating: Rating
    rationale: str = Field(min_length=1)
    evidence: tuple[str, ...] = ()


class EssentialAction(_Strict):
    intervention: str
    factors: tuple[str, ...] = Field(min_length=1)
    why: str = Field(min_length=1)


class AcceptableAction(_Strict):
    intervention: str
    factors: tuple[str, ...] = ()


class ContraindicatedAction(_Strict):
    intervention: str
    why: str = Field(min_length=1)


class KeyPlan(_Strict):
    essential: tuple[EssentialAction, ...] = Field(min_length=1)
    acceptable: tuple[AcceptableAction, ...] = ()
    contraindicated: tuple[ContraindicatedAction, ...] = ()


class KeyFollowUp(_Strict):
    significant_change: bool
    ratings: dict[str, Rating]
    risk_management_level: str
    why: str = Field(min_length=1)


class AnswerKey(_Strict):
    schema_version: Literal[1]
    vignette_id: str = Field(pattern=ID)
    key_version: int = Field(ge=1)
    framework: str
    status: Literal["illustrative", "reviewed"]
    panel: tuple[PanelMember, ...] = Field(min_length=1)
    factors: dict[str, KeyFactor]
    priorities: tuple[str, ...]
    priority_level: str
    risk_management_level: str
    override_rationale: str | None = None
    plan: KeyPlan
    follow_up: KeyFollowUp | None = None
    notes: str = ""

    @property
    def ratings(self) -> dict[str, int | str]:
        return {f: k.rating for f, k in self.factors.items()}


def panel_consensus(ratings: Sequence[int | str]) -> int | str | None:
    """The panel's consensus: ``insufficient`` if more than half the experts said so, else the
    median of the numeric ratings.

    With an even number of numeric ratings the lower median is used, so a split panel leans to
    the less severe reading and the key must explain itself in the rationale.
    """
    if not ratings:
        return None
    numeric = sorted(r for r in ratings if r != INSUFFICIENT)
    if (len(ratings) - len(numeric)) * 2 > len(ratings):
        return INSUFFICIENT
    return statistics.median_low(numeric)


def load_vignette(path: str | Path) -> Vignette:
    data, lines = read_document(path)
    return parse_model(Vignette, data, path, lines)


def load_key(path: str | Path) -> AnswerKey:
    data, lines = read_document(path)
    return parse_model(AnswerKey, data, path, lines)


class Library(BaseModel):
    """Every vignette and key that loaded, with the problems of those that did not."""

    model_config = ConfigDict(arbitrary_types_allowed=True)
    vignettes: dict[str, Vignette] = {}
    keys: dict[str, AnswerKey] = {}
    vignette_paths: dict[str, Path] = {}
    key_paths: dict[str, Path] = {}
    problems: list[Problem] = []


def _load_folder(
    folder: Path, loader, id_field: str, kind: str
) -> tuple[dict[str, Any], dict[str, Path], list[Problem]]:
    """Every file of one kind in ``folder`` by id; problems (bad files, duplicate ids) listed."""
    items: dict[str, Any] = {}
    paths: dict[str, Path] = {}
    problems: list[Problem] = []
    inside = folder.resolve()
    for path in sorted(folder.glob("*.y*ml")):
        if not path.resolve().is_relative_to(inside):
            # A link out of the content folder could make any file on the server a "case".
            problems.append(Problem(str(path), "", f"links outside {folder}; copy the file in instead"))
            continue
        try:
            item = loader(path)
        except ContentError as exc:
            problems.extend(exc.problems)
            continue
        ident = getattr(item, id_field)
        if ident in items:
            problems.append(
                Problem(str(path), id_field, f"duplicate {kind} for '{ident}' (also in {paths[ident]})")
            )
            continue
        items[ident] = item
        paths[ident] = path
    return items, paths, problems


def load_library(root: Path | None = None) -> Library:
    """Load ``root/vignettes/*.yaml`` and ``root/answer_keys/*.yaml``; never raises for content."""
    root = root or content_root()
    vignettes, vignette_paths, problems = _load_folder(root / "vignettes", load_vignette, "id", "vignette")
    keys, key_paths, key_problems = _load_folder(root / "answer_keys", load_key, "vignette_id", "key")
    return Library(
        vignettes=vignettes,
        keys=keys,
        vignette_paths=vignette_paths,
        key_paths=key_paths,
        problems=problems + key_problems,
    )


def load_vignettes(root: Path | None = None) -> tuple[dict[str, Vignette], list[Problem]]:
    """The vignettes under ``root/vignettes`` and the problems of those that did not load.
    For the trainee page: it never reads ``answer_keys``."""
    vignettes, _paths, problems = _load_folder(
        (root or content_root()) / "vignettes", load_vignette, "id", "vignette"
    )
    return vignettes, problems


def offered_cases(
    framework_for: Callable[[str], Any], vignettes: Mapping[str, Vignette] | None = None
) -> dict[str, Vignette]:
    """The vignettes (never the keys) whose framework is installed, by id: what a trainee may
    open. A case for a missing framework is logged and left out, not an error."""
    if vignettes is None:
        vignettes, problems = load_vignettes()
        for p in problems:
            log.warning("vignette not loaded: %s", p)
    out = {}
    for vid, v in vignettes.items():
        try:
            framework_for(v.framework)
        except Exception:  # noqa: BLE001 - whatever the lookup raises, the case is not offered
            log.warning("vignette %s needs framework %s, which is not installed", vid, v.framework)
            continue
        out[vid] = v
    return out


def load_key_for(vignette_id: str, root: Path | None = None) -> AnswerKey:
    """The key for one vignette (``answer_keys/<id>.yaml``, else any key file naming it). The
    trainee page calls this only after the response is stored."""
    folder = (root or content_root()) / "answer_keys"
    direct = folder / f"{vignette_id}.yaml"
    candidates = [direct] if direct.is_file() else sorted(folder.glob("*.y*ml"))
    for path in candidates:
        key = load_key(path)
        if key.vignette_id == vignette_id:
            return key
    raise FileNotFoundError(f"no answer key for vignette '{vignette_id}' in {folder}")
