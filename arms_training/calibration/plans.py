"""Which plan rules fail most: rubric findings by vignette and item (:func:`plans_table`) and by
kind of finding (:func:`plan_findings_table`, the dashboard's "by kind" view)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from arms_training.content import AnswerKey
from arms_training.framework import Framework

if TYPE_CHECKING:
    from arms_training.scoring.batch import BatchScores

__all__ = ["plans_table", "plan_findings_table", "FINDING_LABELS"]

FINDING_LABELS = {
    "unaddressed_priority": "Priority factor no action addresses",
    "missing_essential": "Essential action missing",
    "contraindicated": "Contraindicated action chosen",
    "incomplete_action": "Action left incomplete",
    "no_constructive_for_protective": "No action builds a protective factor",
    "no_actions": "No actions at all",
    "unexplained_level_override": "Level overridden without a rationale",
    "significant_change_misjudged": "Significant change misjudged at review",
}


def plans_table(
    scored: pd.DataFrame,
    batch: BatchScores,
    keys: Mapping[str, AnswerKey],
    frameworks: Mapping[str, Framework],
) -> pd.DataFrame:
    """Rubric findings, most often failed first: the share of full-mode responses to the
    vignette that had the finding, with the key's ``why`` where the key gives one.

    Findings: ``missing_essential``, ``contraindicated`` (item: intervention),
    ``unaddressed_priority`` (item: factor), ``incomplete_action`` (item: the empty field),
    ``no_constructive_for_protective``, ``no_actions``, ``unexplained_level_override``,
    ``significant_change_misjudged``.
    """
    n_full = scored[scored["mode"] == "full"].groupby("vignette_id").size()
    found = batch.findings.drop_duplicates()
    found = found[found["row"].isin(scored.index)]
    found = found.assign(vignette_id=scored.loc[found["row"], "vignette_id"].to_numpy())
    counts = found.groupby(["vignette_id", "finding", "item"]).size().rename("n").reset_index()
    counts["share"] = counts["n"] / counts["vignette_id"].map(n_full)
    why: dict[tuple[str, str, str], str] = {}
    for vid, key in keys.items():
        for e in key.plan.essential:
            why.setdefault((vid, "missing_essential", e.intervention), e.why)
        for c in key.plan.contraindicated:
            why.setdefault((vid, "contraindicated", c.intervention), c.why)
    labels = {i.id: i.label for fw in frameworks.values() for i in fw.interventions}
    labels |= {f.id: f.name for fw in frameworks.values() for f in fw.factors}
    counts["label"] = counts["item"].map(lambda i: labels.get(i, i))
    counts["why"] = [
        why.get(t, "") for t in zip(counts["vignette_id"], counts["finding"], counts["item"], strict=True)
    ]
    counts = counts.sort_values(
        ["share", "n", "vignette_id", "finding", "item"],
        ascending=[False, False, True, True, True],
        kind="stable",
    )
    return counts[["finding", "vignette_id", "item", "label", "n", "share", "why"]].reset_index(drop=True)


def plan_findings_table(
    scored: pd.DataFrame, batch: BatchScores, frameworks: Mapping[str, Framework]
) -> pd.DataFrame:
    """Plan rubric findings by kind over the full-mode responses of ``scored``: how many
    responses have each, their share, and the items most often concerned."""
    full = scored[scored["mode"] == "full"]
    found = batch.findings
    found = found[found["row"].isin(full.index)]
    per = found.drop_duplicates(["row", "finding"]).groupby("finding").size()
    top = found.groupby(["finding", "item"]).size().rename("n").reset_index()
    labels = {i.id: i.label for fw in frameworks.values() for i in fw.interventions}
    labels |= {f.id: f.name for fw in frameworks.values() for f in fw.factors}
    rows = []
    for finding, n in per.items():
        items = top[top["finding"] == finding].sort_values("n", ascending=False, kind="stable")
        common = ", ".join(
            f"{labels.get(i, i)} ({k})"
            for i, k in zip(items["item"].head(3), items["n"].head(3), strict=True)
            if isinstance(i, str) and i
        )
        rows.append(
            {
                "finding": finding,
                "label": FINDING_LABELS.get(finding, finding),
                "n_responses": int(n),
                "share": n / len(full) if len(full) else np.nan,
                "most_common": common,
            }
        )
    table = pd.DataFrame(rows, columns=["finding", "label", "n_responses", "share", "most_common"])
    return table.sort_values("n_responses", ascending=False, kind="stable").reset_index(drop=True)
