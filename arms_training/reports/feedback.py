"""The trainee's feedback as HTML: pure functions from a :class:`~arms_training.scoring.report.ScoreReport`
to escaped markup.

Used both by the feedback view (fragments in ipywidgets.HTML) and for the downloadable report
(one self-contained page). Every value from the report, the response or the content is escaped.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable
from typing import Any

from arms_training.content import Vignette
from arms_training.exercise.state import OTHER
from arms_training.framework import Framework
from arms_training.reports.markup import CSS, esc
from arms_training.responses import Response
from arms_training.scoring.report import ScoreReport
from arms_training.stages import PART_LABELS, STAGE_IDS, stage

__all__ = [
    "feedback_html",
    "total_html",
    "parts_html",
    "factor_table_html",
    "priorities_html",
    "level_html",
    "plan_html",
    "follow_up_html",
    "time_html",
    "fmt",
]


def fmt(value: Any, *, pct: bool = False) -> str:
    """A number for people: 0.8 -> '80%' when ``pct``, 72.456 -> '72.5'; anything else as text."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float):
        if pct:
            return f"{value * 100:.0f}%" if value <= 1 else f"{value:.0f}%"
        return f"{value:.1f}".rstrip("0").rstrip(".") if isinstance(value, float) else str(value)
    if value is None:
        return "-"
    return esc(value)


def _rating(fw: Framework, value: Any) -> str:
    return esc(fw.rating_label(value)) if value is None or isinstance(value, int | str) else fmt(value)


def _label(fw: Framework, kind: str, value: Any) -> str:
    return "-" if value is None else esc(fw.label(kind, str(value)))  # type: ignore[arg-type]


def _intervention(fw: Framework, iid: Any) -> str:
    if iid == OTHER:
        return "Other"
    try:
        return esc(fw.intervention(str(iid)).label)
    except KeyError:
        return esc(iid)


def _factor_name(fw: Framework, fid: Any) -> str:
    try:
        return esc(fw.factor(str(fid)).name)
    except KeyError:
        return esc(fid)


def _paragraph(vignette: Vignette, pid: str) -> str:
    """A paragraph id that opens to its text in one click (no script needed)."""
    try:
        text = vignette.paragraph(pid).text
    except KeyError:
        return f"<code>{esc(pid)}</code>"
    return f'<details class="arms-cited"><summary><code>{esc(pid)}</code></summary>{esc(text)}</details>'


def total_html(report: ScoreReport) -> str:
    return f'<h2 class="arms-feedback-total">Your score: {fmt(report.total)} / 100</h2>'


def parts_html(report: ScoreReport) -> str:
    rows = ""
    for name, (score, weight) in report.parts.items():
        rows += (
            f"<tr><td>{esc(PART_LABELS.get(name, name))}</td><td>{fmt(score, pct=True)}</td>"
            f"<td>{fmt(weight, pct=True)}</td></tr>"
        )
    extra = [
        f"Exact agreement with the key: {fmt(report.exact_agreement, pct=True)}",
        f"Within one point: {fmt(report.within_one, pct=True)}",
    ]
    bias = (("risk", report.bias_risk), ("protective", report.bias_protective), ("all", report.bias_all))
    signed = ", ".join(f"{esc(k)} {v:+.2f}" for k, v in bias if v is not None)
    extra.append(f"Mean difference from the key (+ rates higher, - lower): {signed}")
    notes = "".join(f"<li>{e}</li>" for e in extra)
    return (
        '<table class="arms-table arms-feedback-parts"><tr><th>Part</th><th>Score</th>'
        f"<th>Weight</th></tr>{rows}</table><ul>{notes}</ul>"
    )


def factor_table_html(report: ScoreReport, fw: Framework, vignette: Vignette, response: Response) -> str:
    rows = ""
    for f in fw.factors:
        fs = report.factors.get(f.id)
        cited = "".join(_paragraph(vignette, p) for p in response.evidence.get(f.id, ()))
        # A factor the key does not rate shows the trainee's rating alone.
        given = response.ratings.get(f.id) if fs is None else fs.given
        expected, credit, rationale, evidence, panel = None, None, "", "", ""
        if fs is not None:
            expected, credit, rationale = fs.expected, fs.credit, fs.rationale
            evidence = "".join(_paragraph(vignette, p) for p in fs.evidence)
            panel = "panel: " + ", ".join(esc(fw.rating_label(v)) for v in fs.panel)
        rows += (
            f'<tr class="arms-feedback-factor-{esc(f.id)}"><td>{esc(f.name)}<br>'
            f"<small>{esc(f.kind)}</small></td><td>{_rating(fw, given)}{cited}</td>"
            f"<td>{_rating(fw, expected)}<br><small>{panel}</small></td>"
            f"<td>{fmt(credit)}</td>"
            f"<td>{esc(rationale)}{evidence}</td></tr>"
        )
    return (
        '<table class="arms-table arms-feedback-factors"><tr><th>Factor</th>'
        "<th>Your rating (your evidence)</th><th>Expert consensus (panel)</th>"
        f"<th>Credit</th><th>Expert rationale and evidence</th></tr>{rows}</table>"
    )


def _names(fw: Framework, ids: Iterable[str]) -> str:
    return ", ".join(_factor_name(fw, i) for i in ids) or "none"


def _verdict(correct: bool) -> str:
    return "matches" if correct else "differs from"


def priorities_html(report: ScoreReport, fw: Framework) -> str:
    p = report.priorities
    return (
        "<h3>Priorities</h3><ul>"
        f"<li>Precision {fmt(p.precision, pct=True)}, recall {fmt(p.recall, pct=True)}, F1 {fmt(p.f1)}</li>"
        f"<li>Priorities the experts chose that you missed: {_names(fw, p.missed)}</li>"
        f"<li>Priorities you chose that the experts did not: {_names(fw, p.extra)}</li>"
        f"<li>Overall priority for work: yours {_label(fw, 'priority', p.level_given)}"
        f", {_verdict(p.level_correct)} the experts' {_label(fw, 'priority', p.level_expected)}</li>"
        "</ul>"
    )


def level_html(report: ScoreReport, fw: Framework) -> str:
    lv = report.level
    if lv is None:
        return ""
    findings = "".join(f"<li>{esc(x)}</li>" for x in lv.findings)
    return (
        "<h3>Level of risk management</h3><ul>"
        f"<li>Yours {_label(fw, 'level', lv.given)}, {_verdict(lv.correct)} the experts' "
        f"{_label(fw, 'level', lv.expected)} (matrix result for your priority: "
        f"{_label(fw, 'level', lv.matrix)})</li>{findings}</ul>"
    )


def plan_html(report: ScoreReport, fw: Framework) -> str:
    plan = report.plan
    if plan is None:
        return ""
    items = [f"Plan score: {fmt(plan.score, pct=True)}"]
    if plan.unaddressed_priorities:
        items.append("Priority factors no action addresses: " + _names(fw, plan.unaddressed_priorities))
    for intervention, why in plan.missing_essential:
        items.append(f"Missing essential action: {_intervention(fw, intervention)}: {esc(why)}")
    for intervention, why in plan.contraindicated:
        items.append(f"Action the experts advise against: {_intervention(fw, intervention)}: {esc(why)}")
    for index, intervention, gaps in plan.incomplete_actions:
        missing = ", ".join(esc(m) for m in gaps)
        items.append(f"Action {index + 1} ({_intervention(fw, intervention)}) is missing: {missing}")
    if not plan.constructive_for_protective:
        items.append("No action builds a protective factor: balance restriction with rehabilitation.")
    body = "".join(f"<li>{i}</li>" for i in items)
    return f'<h3>Risk management plan</h3><ul class="arms-feedback-plan">{body}</ul>'


def follow_up_html(report: ScoreReport, fw: Framework) -> str:
    fu = report.follow_up
    if fu is None:
        return ""

    def yes_no(value: bool | None) -> str:
        return "-" if value is None else ("significant" if value else "not significant")

    rows = "".join(
        f"<tr><td>{_factor_name(fw, f)}</td><td>{_rating(fw, given)}</td>"
        f"<td>{_rating(fw, expected)}</td><td>{fmt(credit)}</td></tr>"
        for f, (given, expected, credit) in fu.factors.items()
    )
    return (
        "<h3>Review at the next visit</h3><ul>"
        f"<li>Score for the review: {fmt(fu.score, pct=True)}</li>"
        f"<li>You judged the change {yes_no(fu.significant_given)}; this {_verdict(fu.significant_correct)} "
        f"the experts ({yes_no(fu.significant_expected)}). {esc(fu.why)}</li>"
        f"<li>Level after review: yours {_label(fw, 'level', fu.level_given)}, "
        f"{_verdict(fu.level_correct)} the experts' {_label(fw, 'level', fu.level_expected)}</li></ul>"
        '<table class="arms-table"><tr><th>Factor</th><th>Your re-rating</th>'
        f"<th>Expert</th><th>Credit</th></tr>{rows}</table>"
    )


def time_html(response: Response) -> str:
    seconds = response.stage_seconds
    rows = "".join(
        f"<tr><td>{esc(stage(s).label if s in STAGE_IDS else s)}</td><td>{secs / 60:.1f} min</td></tr>"
        for s, secs in seconds.items()
    )
    total = sum(seconds.values()) / 60
    return (
        '<h3>Time spent</h3><table class="arms-table arms-feedback-time">'
        f"{rows}<tr><th>Total</th><th>{total:.1f} min</th></tr></table>"
    )


def feedback_html(
    report: ScoreReport,
    *,
    framework: Framework,
    vignette: Vignette,
    response: Response,
    chart_png: bytes | None = None,
) -> str:
    """The whole feedback as one self-contained HTML page (the download)."""
    chart = ""
    if chart_png:
        data = base64.b64encode(chart_png).decode("ascii")
        chart = f'<img alt="Profile of your ratings against the key" src="data:image/png;base64,{data}">'
    t = response.trainee
    body = "".join(
        [
            f"<h1>ARMS exercise feedback: {esc(vignette.title)}</h1>",
            f"<p>Trainee {esc(t.id)} ({esc(t.agency)}) &middot; {esc(response.mode)} exercise "
            f"&middot; response {esc(response.response_id)}</p>",
            total_html(report),
            parts_html(report),
            chart,
            "<h3>Factor by factor</h3>",
            factor_table_html(report, framework, vignette, response),
            priorities_html(report, framework),
            level_html(report, framework),
            plan_html(report, framework),
            follow_up_html(report, framework),
            time_html(response),
        ]
    )
    return (
        f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        f"<title>ARMS feedback {esc(vignette.id)}</title>{CSS}</head>"
        f'<body class="arms-app">{body}</body></html>'
    )
