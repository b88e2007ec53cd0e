"""THE shared scoring module: ``score(response, key, framework) -> ScoreReport``.

Every app, report and calibration table scores through the rules here; the vectorised path in
:mod:`arms_training.scoring.batch` builds its lookup tables by calling the rule functions of this
module, so a batch and a single score cannot drift apart.

Rules (weights come from ``framework.plan_rubric``)
---------------------------------------------------
Parts and total
    A full exercise asks ``ratings``, ``priorities``, ``level``, ``plan`` and, when the answer key
    has a follow-up, ``follow_up``; quick mode asks ``ratings`` and ``priorities`` only. The total
    is ``100 * sum(w_p * s_p) / sum(w_p)`` over the parts asked, ``w_p`` from
    ``plan_rubric.components`` and each part score ``s_p`` in 0..1.
Ratings (:func:`factor_credit`)
    Scored over the key's factors in framework order; the part score is the mean credit. The
    consensus rating earns 1. Otherwise the credit is the share of panel experts who chose the
    trainee's rating divided by the modal share, so a rating a minority of experts chose earns
    partial credit and legitimate disagreement is not punished. A numeric rating one step from a
    numeric consensus earns at least ``plan_rubric.adjacent_credit`` (the larger of the two
    applies). ``insufficient`` is not on the numeric scale and is never "one step" from anything:
    a trainee's ``insufficient`` against a numeric consensus, or a numeric rating against an
    ``insufficient`` consensus, earns only its panel share. A missing rating earns 0.
Agreement and bias
    ``exact_agreement``: share of key factors rated exactly as the key (a missing rating counts as
    a miss). ``within_one``: share rated exactly, or numerically within one step. ``bias``: mean
    signed difference (given - expected) over factors where both are numeric, for risk,
    protective and all factors; ``None`` when there is no numeric pair.
Priorities (:func:`priority_scores`, :func:`priorities_part`)
    Precision, recall and F1 of the factors marked as priorities against the key's (an empty
    selection has precision 1; an empty key has recall 1; F1 is 0 when both are 0). The part
    score is ``plan_rubric.priorities`` shares of F1 and of [priority level correct].
Level (:func:`level_credit`)
    1 for the key's level, ``adjacent_credit`` for a level one step away on the framework's
    order, else 0. A level that differs from the matrix result for (the vignette's static
    category, the trainee's own priority level) without an override rationale is a finding and
    multiplies the level score by ``plan_rubric.unexplained_override_factor`` (0.5 shipped: a
    right answer without the recorded rationale ARMS requires is only half right). Needs the
    vignette for the matrix.
Plan (:func:`plan_part`)
    ``plan_rubric.plan`` shares of: ``essential_covered`` (share of the key's essential actions
    whose intervention was chosen); ``priorities_addressed`` (share of the trainee's own
    priorities, or the key's when the trainee named none, that an action addresses; an action
    addresses the factors it lists, or the catalogue's factors for its intervention when it lists
    none); ``actions_complete`` (share of actions with every ``complete_action_fields`` field
    filled); ``constructive_for_protective`` (1 when at least one action is protective-factor
    building: a constructive or both-kind action the trainee linked to a protective factor, or a
    constructive catalogue intervention that serves one). Minus ``contraindicated_penalty`` per
    distinct contraindicated intervention chosen; clamped to 0..1. No actions scores 0.
Follow-up (:func:`follow_up_part`)
    Mean of three equal elements: significant change judged as the key, mean follow-up rating
    credit (exact 1, numeric one step ``adjacent_credit``, else 0; there is no follow-up panel),
    re-assessed level equal to the key's.

Sums are accumulated left to right in a fixed order (``_seq_sum``) so the vectorised path can
reproduce every number bit for bit.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Literal

from arms_training.content import AnswerKey, Vignette
from arms_training.errors import Problem, ScoringError
from arms_training.framework import INSUFFICIENT, PLAN_SHARES, Framework, Rating
from arms_training.responses import Response
from arms_training.scoring.report import (
    FactorScore,
    FollowUpScore,
    LevelScore,
    PlanScore,
    PriorityScore,
    ScoreReport,
    build_feedback,
)
from arms_training.stages import PARTS, parts_for

if TYPE_CHECKING:
    from arms_training.content import Library

__all__ = [
    "ScoringError",
    "ScoreReport",
    "FactorScore",
    "PriorityScore",
    "LevelScore",
    "PlanScore",
    "FollowUpScore",
    "score",
    "score_response",
    "check_for_scoring",
    "factor_credit",
    "follow_up_credit",
    "priority_scores",
    "priorities_part",
    "level_credit",
    "plan_part",
    "follow_up_part",
    "combine_parts",
    "addressed_factors",
    "builds_protective",
    "missing_fields",
    "no_key_problem",
    "unknown_framework_problem",
]


# ---------------------------------------------------------------------------- rule functions


def _seq_sum(values: Iterable[float]) -> float:
    # Left-to-right on purpose: builtin sum() changes algorithm across Python versions and
    # numpy sums pairwise; the batch path adds columns in this same order.
    total = 0.0
    for v in values:
        total += v
    return total


def _numeric(rating: Rating | None) -> bool:
    return rating is not None and rating != INSUFFICIENT


def factor_credit(
    given: Rating | None, expected: Rating, panel: Sequence[Rating], *, adjacent_credit: float
) -> float:
    """Credit (0..1) for one factor rating; see the module docstring for the rules.

    >>> factor_credit(1, 1, [1, 1, 2], adjacent_credit=0.5)
    1.0
    >>> factor_credit(2, 1, [1, 1, 2], adjacent_credit=0.5)   # one expert of three: 1/2 of modal
    0.5
    >>> factor_credit(0, 1, [1, 1, 1], adjacent_credit=0.5)   # adjacent, no expert chose it
    0.5
    >>> factor_credit("insufficient", 1, [1, 1, 1], adjacent_credit=0.5)
    0.0
    """
    if given is None:
        return 0.0
    if given == expected:
        return 1.0
    share = 0.0
    if panel:
        counts: dict[Rating, int] = {}
        for r in panel:
            counts[r] = counts.get(r, 0) + 1
        share = counts.get(given, 0) / max(counts.values())
    if _numeric(given) and _numeric(expected) and abs(given - expected) == 1:  # type: ignore[operator]
        return max(share, adjacent_credit)
    return share


def follow_up_credit(given: Rating | None, expected: Rating, *, adjacent_credit: float) -> float:
    """Follow-up rating credit: exact 1, numeric one step ``adjacent_credit``, else 0."""
    return factor_credit(given, expected, (), adjacent_credit=adjacent_credit)


def priority_scores(given: Sequence[str], expected: Sequence[str]) -> tuple[float, float, float]:
    """(precision, recall, f1) of the chosen priority factors against the key's."""
    g, e = set(given), set(expected)
    hits = len(g & e)
    precision = hits / len(g) if g else 1.0
    recall = hits / len(e) if e else 1.0
    f1 = 0.0 if precision + recall == 0 else 2 * precision * recall / (precision + recall)
    return precision, recall, f1


def priorities_part(
    f1: float, level_correct: bool, shares: Mapping[Literal["factors", "level"], float]
) -> float:
    """The priorities part: ``shares`` (``plan_rubric.priorities``) of F1 and of the level."""
    return shares["factors"] * f1 + shares["level"] * (1.0 if level_correct else 0.0)


def level_credit(
    given: str | None,
    expected: str,
    level_ids: Sequence[str],
    *,
    adjacent_credit: float,
    unexplained: bool,
    unexplained_factor: float,
) -> float:
    """Level score: 1 right, ``adjacent_credit`` one step off, else 0; times
    ``unexplained_factor`` when it departs from the matrix without a rationale."""
    if given is None:
        return 0.0
    if given == expected:
        base = 1.0
    elif (
        given in level_ids
        and expected in level_ids
        and abs(level_ids.index(given) - level_ids.index(expected)) == 1
    ):
        base = adjacent_credit
    else:
        base = 0.0
    return base * unexplained_factor if unexplained else base


def plan_part(shares: dict[str, float], n_contraindicated: int, framework: Framework) -> float:
    """Weighted plan shares minus the contraindication penalty, clamped to 0..1."""
    rubric = framework.plan_rubric
    acc = _seq_sum(rubric.plan.get(name, 0.0) * shares[name] for name in PLAN_SHARES)
    acc = acc - rubric.contraindicated_penalty * n_contraindicated
    return min(1.0, max(0.0, acc))


def follow_up_part(significant_correct: bool, ratings_score: float, level_correct: bool) -> float:
    return _seq_sum((1.0 if significant_correct else 0.0, ratings_score, 1.0 if level_correct else 0.0)) / 3


def combine_parts(scores: dict[str, float], framework: Framework) -> tuple[float, dict[str, float]]:
    """(total 0..100, renormalised weight per part) over the parts present in ``scores``."""
    weights = framework.plan_rubric.components
    asked = [p for p in PARTS if p in scores]
    den = _seq_sum(weights[p] for p in asked)
    if den == 0:
        return 0.0, {p: 0.0 for p in asked}
    num = _seq_sum(weights[p] * scores[p] for p in asked)
    return 100.0 * (num / den), {p: weights[p] / den for p in asked}


def addressed_factors(factors: Sequence[str], intervention: str, framework: Framework) -> set[str]:
    """Factors an action addresses: those it lists, else the catalogue's for its intervention."""
    if factors:
        return set(factors)
    if intervention in framework.intervention_ids:
        return set(framework.intervention(intervention).factors)
    return set()


def builds_protective(factors: Sequence[str], intervention: str, framework: Framework) -> bool:
    """True for a constructive/both action linked to a protective factor, or a constructive
    catalogue intervention that serves one."""
    if intervention not in framework.intervention_ids:
        return False
    item = framework.intervention(intervention)
    protective = {f.id for f in framework.protective_factors}
    if item.kind == "restrictive":
        return False
    if protective & set(factors):
        return True
    return item.kind == "constructive" and bool(protective & set(item.factors))


def missing_fields(action, fields: Sequence[str]) -> list[str]:
    """The completeness fields an action leaves empty (blank text counts as empty)."""
    out = []
    for name in fields:
        value = getattr(action, name)
        if value is None or (isinstance(value, str) and not value.strip()):
            out.append(name)
    return out


# ------------------------------------------------------------------------------- validation


def check_for_scoring(
    response: Response, key: AnswerKey, framework: Framework, *, vignette: Vignette | None = None
) -> list[Problem]:
    """Everything that stops ``response`` being scored; each problem names the response id."""
    where = f"response {response.response_id}"
    out: list[Problem] = []

    def bad(field: str, message: str) -> None:
        out.append(Problem(where, field, message))

    if response.vignette_id != key.vignette_id:
        bad("vignette_id", f"'{response.vignette_id}' but the answer key is for '{key.vignette_id}'")
    if vignette is not None:
        if vignette.id != response.vignette_id:
            bad("vignette_id", f"'{response.vignette_id}' but the vignette is '{vignette.id}'")
        elif vignette.version != response.vignette_version:
            bad(
                "vignette_version",
                f"written against vignette version "
                f"{response.vignette_version}, the installed vignette is version "
                f"{vignette.version}",
            )
    if response.key_version is not None and response.key_version != key.key_version:
        bad(
            "key_version",
            f"scored against key version {response.key_version}, this key is "
            f"version {key.key_version}; re-scoring against a new key is an "
            "explicit act",
        )
    if response.framework != framework.id:
        bad("framework", f"'{response.framework}' but scoring with '{framework.id}'")
    if key.framework != framework.id:
        bad("framework", f"the answer key uses '{key.framework}', not '{framework.id}'")
    factor_ids = set(framework.factor_ids)

    def ratings(field: str, values: dict) -> None:
        for factor, rating in values.items():
            if factor not in factor_ids:
                bad(
                    f"{field}.{factor}",
                    f"unknown factor '{factor}'; allowed: {', '.join(framework.factor_ids)}",
                )
            elif not framework.is_valid_rating(rating):
                bad(
                    f"{field}.{factor}",
                    f"rating {rating!r} is not on the scale; allowed: {framework.allowed_ratings()}",
                )

    ratings("ratings", response.ratings)
    for i, factor in enumerate(response.priorities):
        if factor not in factor_ids:
            bad(f"priorities[{i}]", f"unknown factor '{factor}'")
    for field, value, allowed in (
        ("priority_level", response.priority_level, framework.priority_ids),
        ("risk_management_level", response.risk_management_level, framework.level_ids),
    ):
        if value is not None and value not in allowed:
            bad(field, f"unknown value '{value}'; allowed: {', '.join(allowed)}")
    for i, action in enumerate(response.plan):
        if action.intervention != "other" and action.intervention not in framework.intervention_ids:
            bad(f"plan[{i}].intervention", f"unknown intervention '{action.intervention}'")
        for factor in action.factors:
            if factor not in factor_ids:
                bad(f"plan[{i}].factors", f"unknown factor '{factor}'")
    if response.follow_up is not None:
        ratings("follow_up.ratings", response.follow_up.ratings)
        level = response.follow_up.risk_management_level
        if level is not None and level not in framework.level_ids:
            bad(
                "follow_up.risk_management_level",
                f"unknown value '{level}'; allowed: {', '.join(framework.level_ids)}",
            )
    return out


# ----------------------------------------------------------------------------------- score


def score(
    response: Response, key: AnswerKey, framework: Framework, *, vignette: Vignette | None = None
) -> ScoreReport:
    """Score one response against its answer key.

    Parameters
    ----------
    response : Response
        A (normally submitted) response; partial responses score 0 on what they leave out.
    key : AnswerKey
        The expert key for ``response.vignette_id``.
    framework : Framework
        The framework the key and response use (weights from ``plan_rubric``).
    vignette : Vignette, optional
        Needed to check the level against the matrix (static category); without it the level
        finding on matrix deviation is not made and ``level.matrix`` is ``None``.

    Returns
    -------
    ScoreReport
        Frozen; ``to_dict()`` gives the JSON form. Rules: see the module docstring.

    Raises
    ------
    ScoringError
        The response does not belong to this key, vignette or framework, its key version
        differs, or it names unknown factors, off-scale ratings, levels or interventions.
    """
    problems = check_for_scoring(response, key, framework, vignette=vignette)
    if problems:
        raise ScoringError(problems)
    factors = _score_factors(response, key, framework)
    credits = [f.credit for f in factors.values()]
    n = len(credits)
    part_scores: dict[str, float] = {"ratings": _seq_sum(credits) / n if n else 0.0}

    given_p = list(dict.fromkeys(response.priorities))
    precision, recall, f1 = priority_scores(given_p, key.priorities)
    level_ok = response.priority_level == key.priority_level
    priorities = PriorityScore(
        given=tuple(given_p),
        expected=key.priorities,
        precision=precision,
        recall=recall,
        f1=f1,
        missed=tuple(f for f in key.priorities if f not in given_p),
        extra=tuple(f for f in given_p if f not in key.priorities),
        level_given=response.priority_level,
        level_expected=key.priority_level,
        level_correct=level_ok,
    )
    part_scores["priorities"] = priorities_part(f1, level_ok, framework.plan_rubric.priorities)

    asked = parts_for(response.mode, has_follow_up=key.follow_up is not None)
    level = _score_level(response, key, framework, vignette) if "level" in asked else None
    plan = _score_plan(response, key, framework) if "plan" in asked else None
    follow_up = _score_follow_up(response, key, framework) if "follow_up" in asked else None
    for part, scored in (("level", level), ("plan", plan), ("follow_up", follow_up)):
        if scored is not None:
            part_scores[part] = scored.score
    total, weights = combine_parts(part_scores, framework)

    def bias(kind: str | None) -> float | None:
        diffs = [
            f.difference
            for f in factors.values()
            if f.difference is not None and (kind is None or f.kind == kind)
        ]
        return _seq_sum(diffs) / len(diffs) if diffs else None

    report = ScoreReport(
        response_id=str(response.response_id),
        vignette_id=response.vignette_id,
        vignette_version=response.vignette_version,
        key_version=key.key_version,
        framework=framework.id,
        mode=response.mode,
        total=total,
        parts={p: (part_scores[p], weights[p]) for p in part_scores},
        factors=factors,
        exact_agreement=sum(f.given == f.expected for f in factors.values()) / n if n else 0.0,
        within_one=sum(f.within_one for f in factors.values()) / n if n else 0.0,
        bias_risk=bias("risk"),
        bias_protective=bias("protective"),
        bias_all=bias(None),
        priorities=priorities,
        level=level,
        plan=plan,
        follow_up=follow_up,
    )
    return build_feedback(report, key, framework)


def _score_factors(response: Response, key: AnswerKey, fw: Framework) -> dict[str, FactorScore]:
    adjacent = fw.plan_rubric.adjacent_credit
    out = {}
    for factor in fw.factors:
        if factor.id not in key.factors:
            continue
        entry = key.factors[factor.id]
        given = response.ratings.get(factor.id)
        expected = entry.rating
        panel = tuple(m.ratings[factor.id] for m in key.panel if factor.id in m.ratings)
        numeric = _numeric(given) and _numeric(expected)
        out[factor.id] = FactorScore(
            factor=factor.id,
            name=factor.name,
            kind=factor.kind,
            given=given,
            expected=expected,
            difference=given - expected if numeric else None,  # type: ignore[operator]
            credit=factor_credit(given, expected, panel, adjacent_credit=adjacent),
            within_one=given == expected or (numeric and abs(given - expected) <= 1),  # type: ignore[operator]
            panel=panel,
            rationale=entry.rationale,
            evidence=entry.evidence,
            evidence_given=tuple(response.evidence.get(factor.id, ())),
        )
    return out


def _score_level(response: Response, key: AnswerKey, fw: Framework, vignette: Vignette | None) -> LevelScore:
    given = response.risk_management_level
    static = vignette.static_tool.category if vignette is not None else None
    priority = response.priority_level
    matrix = None
    if static is not None and priority is not None and static in fw.level_matrix:
        matrix = fw.level_for(static, priority)
    rationale = (response.override_rationale or "").strip() or None
    unexplained = given is not None and matrix is not None and given != matrix and not rationale
    findings = []
    if given is None:
        findings.append("No level of risk management was given.")
    if unexplained and given is not None and matrix is not None and static and priority:
        findings.append(
            f"Your level '{fw.label('level', given)}' differs from the matrix result "
            f"'{fw.label('level', matrix)}' for static category "
            f"'{fw.label('static', static)}' and your priority for work "
            f"'{fw.label('priority', priority)}', but no override rationale was "
            "recorded. An override must say why."
        )
    if given is not None and given != key.risk_management_level:
        text = f"The key's level of risk management is '{fw.label('level', key.risk_management_level)}'."
        if key.override_rationale:
            text += f" The panel overrode the matrix: {key.override_rationale}"
        findings.append(text)
    return LevelScore(
        given=given,
        expected=key.risk_management_level,
        matrix=matrix,
        correct=given == key.risk_management_level,
        override_rationale=rationale,
        unexplained_override=unexplained,
        findings=tuple(findings),
        score=level_credit(
            given,
            key.risk_management_level,
            fw.level_ids,
            adjacent_credit=fw.plan_rubric.adjacent_credit,
            unexplained=unexplained,
            unexplained_factor=fw.plan_rubric.unexplained_override_factor,
        ),
    )


def _score_plan(response: Response, key: AnswerKey, fw: Framework) -> PlanScore:
    rubric = fw.plan_rubric
    actions = response.plan
    chosen = {a.intervention for a in actions}
    covered = [e for e in key.plan.essential if e.intervention in chosen]
    missing = tuple((e.intervention, e.why) for e in key.plan.essential if e.intervention not in chosen)
    contra = tuple(
        dict.fromkeys((c.intervention, c.why) for c in key.plan.contraindicated if c.intervention in chosen)
    )
    addressed: set[str] = set()
    for a in actions:
        addressed |= addressed_factors(a.factors, a.intervention, fw)
    targets = list(dict.fromkeys(response.priorities)) or list(dict.fromkeys(key.priorities))
    unaddressed = tuple(f for f in targets if f not in addressed)
    incomplete = []
    for i, a in enumerate(actions):
        gaps = missing_fields(a, rubric.complete_action_fields)
        if gaps:
            incomplete.append((i, a.intervention, tuple(gaps)))
    constructive = any(builds_protective(a.factors, a.intervention, fw) for a in actions)
    shares = {
        "essential_covered": len(covered) / len(key.plan.essential),
        "priorities_addressed": (len(targets) - len(unaddressed)) / len(targets) if targets else 1.0,
        "actions_complete": (len(actions) - len(incomplete)) / len(actions) if actions else 0.0,
        "constructive_for_protective": 1.0 if constructive else 0.0,
    }
    if not actions:
        shares = dict.fromkeys(PLAN_SHARES, 0.0)
    n_contra = len({c[0] for c in contra})
    return PlanScore(
        score=plan_part(shares, n_contra, fw),
        shares=shares,
        penalty=rubric.contraindicated_penalty * n_contra,
        unaddressed_priorities=unaddressed,
        missing_essential=missing,
        contraindicated=contra,
        incomplete_actions=tuple(incomplete),
        constructive_for_protective=constructive,
        n_actions=len(actions),
    )


def _score_follow_up(response: Response, key: AnswerKey, fw: Framework) -> FollowUpScore:
    kfu = key.follow_up
    if kfu is None:  # the caller only asks when the key has one
        raise ValueError("the answer key has no follow_up")
    given = response.follow_up
    sig = given.significant_change if given else None
    ratings = given.ratings if given else {}
    level = given.risk_management_level if given else None
    adjacent = fw.plan_rubric.adjacent_credit
    factors = {
        f: (
            ratings.get(f),
            kfu.ratings[f],
            follow_up_credit(ratings.get(f), kfu.ratings[f], adjacent_credit=adjacent),
        )
        for f in fw.factor_ids
        if f in kfu.ratings
    }
    ratings_score = _seq_sum(c for _, _, c in factors.values()) / len(factors) if factors else 1.0
    sig_ok = sig is not None and sig == kfu.significant_change
    level_ok = level == kfu.risk_management_level
    return FollowUpScore(
        significant_given=sig,
        significant_expected=kfu.significant_change,
        significant_correct=sig_ok,
        factors=factors,
        ratings_score=ratings_score,
        level_given=level,
        level_expected=kfu.risk_management_level,
        level_correct=level_ok,
        why=kfu.why,
        score=follow_up_part(sig_ok, ratings_score, level_ok),
    )


def score_response(
    response: Response, *, library: Library | None = None, framework: Framework | None = None
) -> ScoreReport:
    """Score against the installed library: look up key, vignette and framework by id.

    Pass ``library`` when scoring many responses: loading it parses every content file.

    Raises
    ------
    ScoringError
        No answer key for the vignette, or an unknown framework (naming the response id and
        field), or any problem :func:`score` raises for.
    """
    from arms_training.content import load_library
    from arms_training.framework import framework_by_id

    library = library if library is not None else load_library()
    key = library.keys.get(response.vignette_id)
    if key is None:
        raise ScoringError(no_key_problem(str(response.response_id), response.vignette_id, library.keys))
    if framework is None:
        try:
            framework = framework_by_id(response.framework)
        except KeyError as exc:
            raise ScoringError(unknown_framework_problem(str(response.response_id), exc)) from None
    return score(response, key, framework, vignette=library.vignettes.get(response.vignette_id))


def no_key_problem(response_id: str, vignette_id: str, known: Iterable[str]) -> Problem:
    """The problem for a response whose vignette has no answer key (shared with the batch)."""
    names = ", ".join(sorted(known)) or "none installed"
    return Problem(
        f"response {response_id}",
        "vignette_id",
        f"no answer key for vignette '{vignette_id}'; known: {names}",
    )


def unknown_framework_problem(response_id: str, error: KeyError) -> Problem:
    return Problem(f"response {response_id}", "framework", str(error.args[0]))
