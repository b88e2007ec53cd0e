"""The result of :func:`arms_training.scoring.rules.score`: frozen dataclasses, their JSON form and the
feedback a trainee reads after submitting.

The dataclasses are what the reports and views take; the JSON form (``to_dict()``, read back with
``ScoreReport.from_dict``) is only for the store and for files.

Feedback quotes the key (expert rationale, evidence paragraph ids, the ``why`` of each plan
finding) and framework labels only; it never echoes the trainee's free text, so a view may show it
without re-escaping trainee input (it still escapes, as every view does).
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from arms_training.errors import Problem, ScoringError

if TYPE_CHECKING:
    from arms_training.content import AnswerKey
    from arms_training.framework import Framework

__all__ = [
    "FactorScore",
    "PriorityScore",
    "LevelScore",
    "PlanScore",
    "FollowUpScore",
    "ScoreReport",
    "build_feedback",
]

Rating = int | str


@dataclass(frozen=True)
class FactorScore:
    """One factor: the trainee's rating against the key's consensus and panel."""

    factor: str
    name: str
    kind: str
    given: Rating | None
    expected: Rating
    difference: int | None
    credit: float
    within_one: bool
    panel: tuple[Rating, ...]
    rationale: str
    evidence: tuple[str, ...]
    evidence_given: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "kind": self.kind,
            "given": self.given,
            "expected": self.expected,
            "difference": self.difference,
            "credit": self.credit,
            "within_one": self.within_one,
            "panel": list(self.panel),
            "rationale": self.rationale,
            "evidence": list(self.evidence),
            "evidence_given": list(self.evidence_given),
        }

    @classmethod
    def from_dict(cls, factor: str, data: Mapping[str, Any]) -> FactorScore:
        """The inverse of :meth:`to_dict` (the factor id is the key it is filed under)."""
        return cls(
            factor=factor,
            name=data["name"],
            kind=data["kind"],
            given=data["given"],
            expected=data["expected"],
            difference=data["difference"],
            credit=data["credit"],
            within_one=data["within_one"],
            panel=tuple(data["panel"]),
            rationale=data["rationale"],
            evidence=tuple(data["evidence"]),
            evidence_given=tuple(data["evidence_given"]),
        )


@dataclass(frozen=True)
class PriorityScore:
    given: tuple[str, ...]
    expected: tuple[str, ...]
    precision: float
    recall: float
    f1: float
    missed: tuple[str, ...]
    extra: tuple[str, ...]
    level_given: str | None
    level_expected: str
    level_correct: bool


@dataclass(frozen=True)
class LevelScore:
    given: str | None
    expected: str
    matrix: str | None
    correct: bool
    override_rationale: str | None
    unexplained_override: bool
    findings: tuple[str, ...]
    score: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "given": self.given,
            "expected": self.expected,
            "matrix": self.matrix,
            "correct": self.correct,
            "override_rationale": self.override_rationale,
            "unexplained_override": self.unexplained_override,
            "findings": list(self.findings),
            "score": self.score,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> LevelScore:
        """The inverse of :meth:`to_dict`."""
        return cls(
            given=data["given"],
            expected=data["expected"],
            matrix=data["matrix"],
            correct=data["correct"],
            override_rationale=data["override_rationale"],
            unexplained_override=data["unexplained_override"],
            findings=tuple(data["findings"]),
            score=data["score"],
        )


@dataclass(frozen=True)
class PlanScore:
    score: float
    shares: dict[str, float]
    penalty: float
    unaddressed_priorities: tuple[str, ...]
    missing_essential: tuple[tuple[str, str], ...]  # (intervention, why)
    contraindicated: tuple[tuple[str, str], ...]  # (intervention, why)
    incomplete_actions: tuple[tuple[int, str, tuple[str, ...]], ...]  # (index, intervention, missing)
    constructive_for_protective: bool
    n_actions: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "score": self.score,
            **self.shares,
            "constructive_for_protective": self.constructive_for_protective,
            "constructive_for_protective_share": self.shares["constructive_for_protective"],
            "penalty": self.penalty,
            "n_actions": self.n_actions,
            "unaddressed_priorities": list(self.unaddressed_priorities),
            "missing_essential": [{"intervention": i, "why": w} for i, w in self.missing_essential],
            "contraindicated": [{"intervention": i, "why": w} for i, w in self.contraindicated],
            "incomplete_actions": [
                {"index": i, "intervention": iv, "missing": list(m)} for i, iv, m in self.incomplete_actions
            ],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> PlanScore:
        """The inverse of :meth:`to_dict`.

        The shares sit at the top level of the JSON form, where the boolean
        ``constructive_for_protective`` overwrites the share of the same name (kept as
        ``constructive_for_protective_share``); every other key not named here is a share.
        """
        shares = {}
        for name, value in data.items():
            if name == "constructive_for_protective":
                shares[name] = data["constructive_for_protective_share"]
            elif name not in _PLAN_FIELDS:
                shares[name] = value
        return cls(
            score=data["score"],
            shares=shares,
            penalty=data["penalty"],
            unaddressed_priorities=tuple(data["unaddressed_priorities"]),
            missing_essential=tuple((m["intervention"], m["why"]) for m in data["missing_essential"]),
            contraindicated=tuple((c["intervention"], c["why"]) for c in data["contraindicated"]),
            incomplete_actions=tuple(
                (a["index"], a["intervention"], tuple(a["missing"])) for a in data["incomplete_actions"]
            ),
            constructive_for_protective=data["constructive_for_protective"],
            n_actions=data["n_actions"],
        )


# The keys of PlanScore's JSON form that are not shares.
_PLAN_FIELDS = frozenset(
    {
        "score",
        "constructive_for_protective",
        "constructive_for_protective_share",
        "penalty",
        "n_actions",
        "unaddressed_priorities",
        "missing_essential",
        "contraindicated",
        "incomplete_actions",
    }
)


@dataclass(frozen=True)
class FollowUpScore:
    significant_given: bool | None
    significant_expected: bool
    significant_correct: bool
    factors: Mapping[str, tuple[Rating | None, Rating, float]]  # factor -> (given, expected, credit)
    ratings_score: float
    level_given: str | None
    level_expected: str
    level_correct: bool
    why: str
    score: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "score": self.score,
            "significant_change": {
                "given": self.significant_given,
                "expected": self.significant_expected,
                "correct": self.significant_correct,
            },
            "factors": {f: {"given": g, "expected": e, "credit": c} for f, (g, e, c) in self.factors.items()},
            "ratings_score": self.ratings_score,
            "level": {
                "given": self.level_given,
                "expected": self.level_expected,
                "correct": self.level_correct,
            },
            "why": self.why,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> FollowUpScore:
        """The inverse of :meth:`to_dict`."""
        sig, level = data["significant_change"], data["level"]
        return cls(
            significant_given=sig["given"],
            significant_expected=sig["expected"],
            significant_correct=sig["correct"],
            factors={f: (e["given"], e["expected"], e["credit"]) for f, e in data["factors"].items()},
            ratings_score=data["ratings_score"],
            level_given=level["given"],
            level_expected=level["expected"],
            level_correct=level["correct"],
            why=data["why"],
            score=data["score"],
        )


@dataclass(frozen=True)
class ScoreReport:
    """Everything :func:`~arms_training.scoring.rules.score` found; ``to_dict()`` is the JSON form.

    ``parts`` maps each part asked to ``(score 0..1, weight)`` where the weights are the rubric's
    component weights renormalised over the parts asked (they add up to 1). ``level``, ``plan``
    and ``follow_up`` are ``None`` when the mode (or the key) does not ask for them.
    """

    response_id: str
    vignette_id: str
    vignette_version: int
    key_version: int
    framework: str
    mode: str
    total: float
    parts: dict[str, tuple[float, float]]
    factors: dict[str, FactorScore]
    exact_agreement: float
    within_one: float
    bias_risk: float | None
    bias_protective: float | None
    bias_all: float | None
    priorities: PriorityScore
    level: LevelScore | None
    plan: PlanScore | None
    follow_up: FollowUpScore | None
    feedback: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable form; every key is always present (``None`` when not asked)."""
        p = self.priorities
        return {
            "response_id": self.response_id,
            "vignette_id": self.vignette_id,
            "vignette_version": self.vignette_version,
            "key_version": self.key_version,
            "framework": self.framework,
            "mode": self.mode,
            "total": self.total,
            "parts": {name: {"score": s, "weight": w} for name, (s, w) in self.parts.items()},
            "factors": {f: fs.to_dict() for f, fs in self.factors.items()},
            "exact_agreement": self.exact_agreement,
            "within_one": self.within_one,
            "bias": {"risk": self.bias_risk, "protective": self.bias_protective, "all": self.bias_all},
            "priorities": {
                "given": list(p.given),
                "expected": list(p.expected),
                "precision": p.precision,
                "recall": p.recall,
                "f1": p.f1,
                "missed": list(p.missed),
                "extra": list(p.extra),
            },
            "priority_level": {
                "given": p.level_given,
                "expected": p.level_expected,
                "correct": p.level_correct,
            },
            "level": self.level.to_dict() if self.level else None,
            "plan": self.plan.to_dict() if self.plan else None,
            "follow_up": self.follow_up.to_dict() if self.follow_up else None,
            "feedback": self.feedback,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ScoreReport:
        """The report whose :meth:`to_dict` is ``data``: the exact inverse, for a score read back
        from the store or a file.

        Raises
        ------
        ScoringError
            When ``data`` is not the JSON form of a score report (a key missing or of the wrong
            shape); the problem names the response id and the key.
        """
        try:
            return cls._from_dict(data)
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            rid = data.get("response_id") if isinstance(data, Mapping) else None
            where = f"score report of response {rid}" if rid else "score report"
            what = exc.args[0] if isinstance(exc, KeyError) and exc.args else ""
            why = f"not the JSON form of a score report ({type(exc).__name__}: {exc})"
            raise ScoringError(Problem(where, str(what), why)) from None

    @classmethod
    def _from_dict(cls, data: Mapping[str, Any]) -> ScoreReport:
        p, pl, bias = data["priorities"], data["priority_level"], data["bias"]
        return cls(
            response_id=data["response_id"],
            vignette_id=data["vignette_id"],
            vignette_version=data["vignette_version"],
            key_version=data["key_version"],
            framework=data["framework"],
            mode=data["mode"],
            total=data["total"],
            parts={name: (part["score"], part["weight"]) for name, part in data["parts"].items()},
            factors={f: FactorScore.from_dict(f, fs) for f, fs in data["factors"].items()},
            exact_agreement=data["exact_agreement"],
            within_one=data["within_one"],
            bias_risk=bias["risk"],
            bias_protective=bias["protective"],
            bias_all=bias["all"],
            priorities=PriorityScore(
                given=tuple(p["given"]),
                expected=tuple(p["expected"]),
                precision=p["precision"],
                recall=p["recall"],
                f1=p["f1"],
                missed=tuple(p["missed"]),
                extra=tuple(p["extra"]),
                level_given=pl["given"],
                level_expected=pl["expected"],
                level_correct=pl["correct"],
            ),
            level=LevelScore.from_dict(data["level"]) if data["level"] is not None else None,
            plan=PlanScore.from_dict(data["plan"]) if data["plan"] is not None else None,
            follow_up=FollowUpScore.from_dict(data["follow_up"]) if data["follow_up"] is not None else None,
            # A copy: the report is frozen, the caller's dict is not.
            feedback=copy.deepcopy(dict(data["feedback"])),
        )


def build_feedback(report: ScoreReport, key: AnswerKey, fw: Framework) -> ScoreReport:
    """Return ``report`` with ``feedback``: plain-text sentences grouped by stage.

    ``{"factors": {factor: text}, "priorities": [...], "level": [...], "plan": [...],
    "follow_up": [...]}``; per factor the expert rationale and evidence, per plan finding the
    key's ``why``.
    """

    def iv(intervention: str) -> str:
        if intervention in fw.intervention_ids:
            return fw.intervention(intervention).label
        return intervention

    factors = {}
    for f, fs in report.factors.items():
        verdict = (
            "matches the panel consensus"
            if fs.given == fs.expected
            else (f"the panel consensus is {fw.rating_label(fs.expected)}")
        )
        panel = ", ".join(str(r) for r in fs.panel)
        text = (
            f"{fs.name}: you rated {fw.rating_label(fs.given)}; {verdict} "
            f"(panel: {panel}; credit {fs.credit:.2f}). {fs.rationale}"
        )
        if fs.evidence:
            text += f" Evidence: paragraphs {', '.join(fs.evidence)}."
        factors[f] = text
    pr = report.priorities
    name = {f.id: f.name for f in fw.factors}
    priorities = [
        f"{name.get(f, f)} is a priority for work in the key; you did not mark it." for f in pr.missed
    ]
    priorities += [f"You marked {name.get(f, f)} as a priority; the key does not." for f in pr.extra]
    if not pr.level_correct:
        given = fw.label("priority", pr.level_given) if pr.level_given else "none"
        priorities.append(
            f"Overall priority for work: you chose {given}; the key says "
            f"{fw.label('priority', pr.level_expected)}."
        )
    plan: list[str] = []
    if report.plan is not None:
        ps = report.plan
        if not ps.n_actions:
            plan.append("The plan has no actions.")
        plan += [f"Missing essential action: {iv(i)}. {why}" for i, why in ps.missing_essential]
        plan += [f"Contraindicated action chosen: {iv(i)}. {why}" for i, why in ps.contraindicated]
        plan += [
            f"Priority {name.get(f, f)} is not addressed by any action." for f in ps.unaddressed_priorities
        ]
        plan += [
            f"Action {i + 1} ({iv(intervention)}) does not record: {', '.join(gaps)}."
            for i, intervention, gaps in ps.incomplete_actions
        ]
        if ps.n_actions and not ps.constructive_for_protective:
            plan.append("No action builds a protective factor: balance restriction with rehabilitation.")
    follow_up: list[str] = []
    if report.follow_up is not None:
        fu = report.follow_up
        verdict = "significant" if fu.significant_expected else "not significant"
        if not fu.significant_correct:
            follow_up.append(f"The change at review is {verdict}. {fu.why}")
        if not fu.level_correct:
            follow_up.append(f"The key's level after review is {fw.label('level', fu.level_expected)}.")
    feedback = {
        "factors": factors,
        "priorities": priorities,
        "level": list(report.level.findings) if report.level else [],
        "plan": plan,
        "follow_up": follow_up,
    }
    return dataclasses.replace(report, feedback=feedback)
