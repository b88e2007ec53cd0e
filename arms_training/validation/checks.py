"""Cross-reference checks: the rules that need the framework, the vignette and the key together.

Each function returns a list of Problems rather than raising, so ``validate`` can report every
file's problems in one run.
"""

from __future__ import annotations

from pathlib import Path

from arms_training.content import AnswerKey, Vignette, panel_consensus
from arms_training.errors import Problem
from arms_training.framework import Framework
from arms_training.responses import Response

__all__ = ["check_vignette", "check_key", "check_response"]


def check_vignette(v: Vignette, fw: Framework, path: str | Path) -> list[Problem]:
    path = str(path)
    out: list[Problem] = []
    if v.framework != fw.id:
        out.append(Problem(path, "framework", f"'{v.framework}' does not match '{fw.id}'"))
    if v.static_tool.category not in fw.static_ids:
        out.append(
            Problem(
                path,
                "static_tool.category",
                f"unknown category '{v.static_tool.category}'; allowed: {', '.join(fw.static_ids)}",
            )
        )
    if "follow_up_significant" in v.features or "follow_up_not_significant" in v.features:
        if v.follow_up is None:
            out.append(Problem(path, "features", "a follow_up feature needs a follow_up section"))
    return out


def _ratings(fw: Framework, ratings: dict, path: str, field: str, *, complete: bool) -> list[Problem]:
    out = []
    for factor, rating in ratings.items():
        if factor not in fw.factor_ids:
            out.append(
                Problem(
                    path,
                    f"{field}.{factor}",
                    f"unknown factor '{factor}'; allowed: {', '.join(fw.factor_ids)}",
                )
            )
        elif not fw.is_valid_rating(rating):
            out.append(
                Problem(
                    path,
                    f"{field}.{factor}",
                    f"rating {rating!r} is not on the scale; allowed: {fw.allowed_ratings()}",
                )
            )
    if complete:
        for factor in fw.factor_ids:
            if factor not in ratings:
                out.append(Problem(path, f"{field}.{factor}", "missing rating for this factor"))
    return out


def _known(fw_ids: tuple[str, ...], value: str | None, path: str, field: str, what: str) -> list[Problem]:
    if value is None or value in fw_ids:
        return []
    return [Problem(path, field, f"unknown {what} '{value}'; allowed: {', '.join(fw_ids)}")]


def check_key(key: AnswerKey, v: Vignette | None, fw: Framework, path: str | Path) -> list[Problem]:
    path = str(path)
    if v is None:
        return [Problem(path, "vignette_id", f"no vignette with id '{key.vignette_id}'")]
    out: list[Problem] = []
    if key.framework != v.framework:
        out.append(Problem(path, "framework", f"'{key.framework}' but the vignette uses '{v.framework}'"))
    out += _ratings(fw, key.ratings, path, "factors", complete=True)
    paragraphs = set(v.paragraph_ids(include_follow_up=False))
    for factor, entry in key.factors.items():
        for i, pid in enumerate(entry.evidence):
            if pid not in paragraphs:
                out.append(
                    Problem(
                        path,
                        f"factors.{factor}.evidence[{i}]",
                        f"paragraph '{pid}' does not exist in vignette '{v.id}'",
                    )
                )
    for member in key.panel:
        out += _ratings(fw, member.ratings, path, f"panel[{member.id}].ratings", complete=True)
    for factor in fw.factor_ids:
        votes = [m.ratings[factor] for m in key.panel if factor in m.ratings]
        expected = panel_consensus(votes)
        if (
            factor in key.factors
            and len(votes) == len(key.panel)
            and expected is not None
            and key.factors[factor].rating != expected
        ):
            out.append(
                Problem(
                    path,
                    f"factors.{factor}.rating",
                    f"consensus {key.factors[factor].rating!r} is not the panel's "
                    f"median ({expected!r} from {votes})",
                )
            )
    for i, factor in enumerate(key.priorities):
        if factor not in fw.factor_ids:
            out.append(Problem(path, f"priorities[{i}]", f"unknown factor '{factor}'"))
    out += _known(fw.priority_ids, key.priority_level, path, "priority_level", "priority level")
    out += _known(fw.level_ids, key.risk_management_level, path, "risk_management_level", "level")
    if (
        v.static_tool.category in fw.static_ids
        and key.priority_level in fw.priority_ids
        and key.risk_management_level in fw.level_ids
        and not key.override_rationale
    ):
        expected_level = fw.level_for(v.static_tool.category, key.priority_level)
        if key.risk_management_level != expected_level:
            out.append(
                Problem(
                    path,
                    "risk_management_level",
                    f"'{key.risk_management_level}' differs from the matrix result "
                    f"'{expected_level}' for static '{v.static_tool.category}' and "
                    f"priority '{key.priority_level}'; give override_rationale",
                )
            )
    out += _check_plan(key, fw, path)
    out += _check_follow_up(key, v, fw, path)
    out += _check_features(key, v, path)
    return out


def _check_plan(key: AnswerKey, fw: Framework, path: str) -> list[Problem]:
    out: list[Problem] = []
    for group in ("essential", "acceptable", "contraindicated"):
        for i, action in enumerate(getattr(key.plan, group)):
            field = f"plan.{group}[{i}]"
            out += _known(
                fw.intervention_ids, action.intervention, path, f"{field}.intervention", "intervention"
            )
            for factor in getattr(action, "factors", ()):
                if factor not in fw.factor_ids:
                    out.append(Problem(path, f"{field}.factors", f"unknown factor '{factor}'"))
    chosen = {a.intervention for a in key.plan.essential + key.plan.acceptable}
    for i, action in enumerate(key.plan.contraindicated):
        if action.intervention in chosen:
            out.append(
                Problem(
                    path,
                    f"plan.contraindicated[{i}]",
                    f"'{action.intervention}' is also listed as essential or acceptable",
                )
            )
    served = {f for a in key.plan.essential for f in a.factors}
    for factor in key.priorities:
        if factor in fw.factor_ids and factor not in served:
            out.append(
                Problem(
                    path, "plan.essential", f"priority factor '{factor}' has no essential action linked to it"
                )
            )
    return out


def _check_follow_up(key: AnswerKey, v: Vignette, fw: Framework, path: str) -> list[Problem]:
    if v.follow_up is None and key.follow_up is not None:
        return [Problem(path, "follow_up", "the vignette has no follow_up")]
    if v.follow_up is not None and key.follow_up is None:
        return [Problem(path, "follow_up", "the vignette has a follow_up; the key needs one too")]
    if key.follow_up is None:
        return []
    out = _ratings(fw, key.follow_up.ratings, path, "follow_up.ratings", complete=True)
    out += _known(
        fw.level_ids, key.follow_up.risk_management_level, path, "follow_up.risk_management_level", "level"
    )
    return out


def _check_features(key: AnswerKey, v: Vignette, path: str) -> list[Problem]:
    out = []
    if "contraindicated_restriction" in v.features and not key.plan.contraindicated:
        out.append(
            Problem(
                path,
                "plan.contraindicated",
                "the vignette declares contraindicated_restriction but the key lists none",
            )
        )
    fu = key.follow_up
    if "follow_up_significant" in v.features and fu is not None and not fu.significant_change:
        out.append(
            Problem(
                path,
                "follow_up.significant_change",
                "the vignette declares follow_up_significant but the key says false",
            )
        )
    if "follow_up_not_significant" in v.features and fu is not None and fu.significant_change:
        out.append(
            Problem(
                path,
                "follow_up.significant_change",
                "the vignette declares follow_up_not_significant but the key says true",
            )
        )
    return out


def check_response(r: Response, fw: Framework, v: Vignette | None, source: str) -> list[Problem]:
    """Problems with a response against the installed framework and vignette."""
    label = f"{source} (response {r.response_id})"
    out: list[Problem] = []
    if r.framework != fw.id:
        out.append(Problem(label, "framework", f"'{r.framework}' is not '{fw.id}'"))
    if v is None:
        return out + [Problem(label, "vignette_id", f"unknown vignette '{r.vignette_id}'")]
    out += _ratings(fw, r.ratings, label, "ratings", complete=False)
    paragraphs = set(v.paragraph_ids())
    for factor, pids in r.evidence.items():
        for pid in pids:
            if pid not in paragraphs:
                out.append(Problem(label, f"evidence.{factor}", f"unknown paragraph '{pid}'"))
    for i, factor in enumerate(r.priorities):
        if factor not in fw.factor_ids:
            out.append(Problem(label, f"priorities[{i}]", f"unknown factor '{factor}'"))
    out += _known(fw.priority_ids, r.priority_level, label, "priority_level", "priority level")
    out += _known(fw.level_ids, r.risk_management_level, label, "risk_management_level", "level")
    for i, action in enumerate(r.plan):
        if action.intervention != "other":
            out += _known(
                fw.intervention_ids, action.intervention, label, f"plan[{i}].intervention", "intervention"
            )
    if r.follow_up is not None:
        out += _ratings(fw, r.follow_up.ratings, label, "follow_up.ratings", complete=False)
    return out
