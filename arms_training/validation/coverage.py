"""What the case library covers, so a trainer adding cases sees the holes.

The requirements (issue 3 of the project) are data here, and a test fails if the shipped
library falls below them.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from arms_training.content import FEATURES, AnswerKey, Vignette
from arms_training.framework import INSUFFICIENT, Framework, framework_by_id

__all__ = [
    "CoverageReport",
    "coverage_report",
    "coverage_reports",
    "REQUIREMENTS",
    "Requirements",
    "DEFAULT_FRAMEWORK",
]

# The framework the shipped library is written for; its report comes first.
DEFAULT_FRAMEWORK = "arms-2018"


@dataclass(frozen=True)
class Requirements:
    """What the shipped library must cover (issue 3 of the project)."""

    min_vignettes: int = 8
    min_insufficient: int = 2
    words: tuple[int, int] = (600, 1200)
    features: tuple[str, ...] = FEATURES


REQUIREMENTS = Requirements()


@dataclass
class CoverageReport:
    framework: Framework
    grid: dict[str, Counter] = field(default_factory=dict)
    priorities: Counter = field(default_factory=Counter)
    levels: Counter = field(default_factory=Counter)
    statics: Counter = field(default_factory=Counter)
    features: dict[str, list[str]] = field(default_factory=dict)
    words: dict[str, int] = field(default_factory=dict)
    vignettes: int = 0

    @property
    def holes(self) -> list[str]:
        fw = self.framework
        out = []
        if self.vignettes < REQUIREMENTS.min_vignettes:
            out.append(f"only {self.vignettes} vignettes with keys; need {REQUIREMENTS.min_vignettes}")
        for factor in fw.factor_ids:
            for value in fw.scale_values:
                if not self.grid.get(factor, Counter())[value]:
                    out.append(f"no key rates {factor} at {value}")
        insufficient = sum(c[INSUFFICIENT] for c in self.grid.values())
        if insufficient < REQUIREMENTS.min_insufficient:
            out.append(f"'{INSUFFICIENT}' used {insufficient} times; need {REQUIREMENTS.min_insufficient}")
        for name, counter, ids in (
            ("priority level", self.priorities, fw.priority_ids),
            ("level of risk management", self.levels, fw.level_ids),
            ("static category", self.statics, fw.static_ids),
        ):
            out += [f"no case with {name} {i}" for i in ids if not counter[i]]
        out += [f"no case with feature {f}" for f in REQUIREMENTS.features if not self.features.get(f)]
        low, high = REQUIREMENTS.words
        out += [
            f"{vid} has {n} words; expected {low}-{high}"
            for vid, n in self.words.items()
            if not low <= n <= high
        ]
        return out

    def render(self) -> str:
        fw = self.framework
        cols = [*map(str, fw.scale_values), "insuff."]
        width = max(len(f.name) for f in fw.factors) + 2
        lines = [
            f"Coverage of {self.vignettes} vignettes with keys (framework {fw.id})",
            "",
            "Factor".ljust(width) + "".join(c.rjust(8) for c in cols),
        ]
        for kind in ("risk", "protective"):
            lines.append(f"  {kind}")
            for f in fw.factors:
                if f.kind != kind:
                    continue
                counts = self.grid.get(f.id, Counter())
                cells = [counts[v] for v in fw.scale_values] + [counts[INSUFFICIENT]]
                lines.append(f.name.ljust(width) + "".join((str(n) if n else "-").rjust(8) for n in cells))
        lines.append("")
        for name, counter, ids in (
            ("Static category", self.statics, fw.static_ids),
            ("Priority for work", self.priorities, fw.priority_ids),
            ("Level of risk management", self.levels, fw.level_ids),
        ):
            lines.append(f"{name}: " + ", ".join(f"{i} {counter[i] or '-'}" for i in ids))
        lines.append("")
        lines.append("Special cases:")
        for feature in REQUIREMENTS.features:
            lines.append(f"  {feature}: {', '.join(self.features.get(feature, [])) or '- (missing)'}")
        lines.append("")
        lines.append("Words: " + ", ".join(f"{vid} {n}" for vid, n in sorted(self.words.items())))
        holes = self.holes
        lines.append("")
        lines.append("Holes: none" if not holes else "Holes:\n" + "\n".join(f"  - {h}" for h in holes))
        return "\n".join(lines)


def coverage_reports(report) -> list[CoverageReport]:
    """One coverage report for each framework the library's keyed cases use (the default
    framework first, then by id), from a validation report."""
    used = {v.framework for vid, (_, v) in report.vignettes.items() if vid in report.keys}
    ids = sorted(used, key=lambda f: (f != DEFAULT_FRAMEWORK, f)) or [DEFAULT_FRAMEWORK]
    return [coverage_report(report, framework_id) for framework_id in ids]


def coverage_report(report, framework_id: str = DEFAULT_FRAMEWORK) -> CoverageReport:
    """Coverage of the vignette/key pairs of one framework in a validation report (or anything
    with the same ``vignettes`` and ``keys`` mappings of id -> (path, model))."""
    fw = report.frameworks.get(framework_id) or framework_by_id(framework_id)
    cov = CoverageReport(framework=fw)
    for vid, (_, v) in sorted(report.vignettes.items()):
        if vid not in report.keys or v.framework != fw.id:
            continue
        key: AnswerKey = report.keys[vid][1]
        _add(cov, v, key)
    return cov


def _add(cov: CoverageReport, v: Vignette, key: AnswerKey) -> None:
    cov.vignettes += 1
    for factor, entry in key.factors.items():
        cov.grid.setdefault(factor, Counter())[entry.rating] += 1
    cov.priorities[key.priority_level] += 1
    cov.levels[key.risk_management_level] += 1
    cov.statics[v.static_tool.category] += 1
    features = set(v.features)
    if key.plan.contraindicated:
        features.add("contraindicated_restriction")
    if key.follow_up is not None:
        features.add(
            "follow_up_significant" if key.follow_up.significant_change else "follow_up_not_significant"
        )
    for feature in features:
        cov.features.setdefault(feature, []).append(v.id)
    cov.words[v.id] = v.word_count()
