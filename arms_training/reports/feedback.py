"""The trainee's feedback as HTML: pure functions from a score report to escaped markup.

Used both by the feedback view (fragments in ipywidgets.HTML) and for the downloadable report
(one self-contained page). Every value from the report, the response or the content is escaped.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable, Mapping
from typing import Any

from arms_training.content import Vignette
from arms_training.exercise.state import OTHER
from arms_training.framework import Framework
from arms_training.reports.markup import CSS, esc
from arms_training.responses import Response
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


def total_html(report: Mapping[str, Any]) -> str:
    return f'<h2 class="arms-feedback-total">Your score: {fmt(report.get("total"))} / 100</h2>'


def parts_html(report: Mapping[str, Any]) -> str:
    parts = report.get("parts") or {}
    rows = ""
    for name, value in parts.items():
        if isinstance(value, Mapping):
            score = value.get("score", value.get("value"))
            weight = value.get("weight")
        else:
            score, weight = value, None
        w = f"<td>{fmt(weight, pct=True)}</td>" if weight is not None else "<td></td>"
        rows += f"<tr><td>{esc(PART_LABELS.get(name, name))}</td><td>{fmt(score, pct=True)}</td>{w}</tr>"
    extra = []
    for key, label in (
        ("exact_agreement", "Exact agreement with the key"),
        ("within_one", "Within one point"),
    ):
        if report.get(key) is not None:
            extra.append(f"{label}: {fmt(report[key], pct=True)}")
    bias = report.get("bias") or {}
    if bias:
        signed = ", ".join(f"{esc(k)} {float(v):+.2f}" for k, v in bias.items() if isinstance(v, int | float))
        extra.append(f"Mean difference from the key (+ rates higher, - lower): {signed}")
    notes = "".join(f"<li>{e}</li>" for e in extra)
    return (
        '<table class="arms-table arms-feedback-parts"><tr><th>Part</th><th>Score</th>'
        f"<th>Weight</th></tr>{rows}</table><ul>{notes}</ul>"
    )


def factor_table_html(
    report: Mapping[str, Any], fw: Framework, vignette: Vignette, response: Response
) -> str:
    factors = report.get("factors") or {}
    rows = ""
    for f in fw.factors:
        entry = factors.get(f.id) or {}
        given = entry.get("given", response.ratings.get(f.id))
        evidence = "".join(_paragraph(vignette, str(p)) for p in entry.get("evidence") or ())
        cited = "".join(_paragraph(vignette, p) for p in response.evidence.get(f.id, ()))
        panel = entry.get("panel")
        panel_text = _panel_text(fw, panel)
        rows += (
            f'<tr class="arms-feedback-factor-{esc(f.id)}"><td>{esc(f.name)}<br>'
            f"<small>{esc(f.kind)}</small></td><td>{_rating(fw, given)}{cited}</td>"
            f"<td>{_rating(fw, entry.get('expected'))}<br><small>{panel_text}</small></td>"
            f"<td>{fmt(entry.get('credit'))}</td>"
            f"<td>{esc(entry.get('rationale', ''))}{evidence}</td></tr>"
        )
    return (
        '<table class="arms-table arms-feedback-factors"><tr><th>Factor</th>'
        "<th>Your rating (your evidence)</th><th>Expert consensus (panel)</th>"
        f"<th>Credit</th><th>Expert rationale and evidence</th></tr>{rows}</table>"
    )


def _panel_text(fw: Framework, panel: Any) -> str:
    if isinstance(panel, Mapping):
        votes = [f"{esc(fw.rating_label(_num(k)))} &times;{esc(v)}" for k, v in panel.items()]
    elif isinstance(panel, Iterable) and not isinstance(panel, str):
        votes = [esc(fw.rating_label(_num(v))) for v in panel]
    else:
        return ""
    return "panel: " + ", ".join(votes)


def _num(value: Any) -> Any:
    try:
        return int(value)
    except (TypeError, ValueError):
        return value


def _names(fw: Framework, ids: Iterable[Any]) -> str:
    return ", ".join(_factor_name(fw, i) for i in ids) or "none"


def priorities_html(report: Mapping[str, Any], fw: Framework) -> str:
    p = report.get("priorities") or {}
    pl = report.get("priority_level") or {}
    out = "<h3>Priorities</h3><ul>"
    if p:
        out += (
            f"<li>Precision {fmt(p.get('precision'), pct=True)}, recall "
            f"{fmt(p.get('recall'), pct=True)}, F1 {fmt(p.get('f1'))}</li>"
            f"<li>Priorities the experts chose that you missed: "
            f"{_names(fw, p.get('missed') or ())}</li>"
            f"<li>Priorities you chose that the experts did not: "
            f"{_names(fw, p.get('extra') or ())}</li>"
        )
    if pl:
        verdict = "matches" if pl.get("correct") else "differs from"
        out += (
            f"<li>Overall priority for work: yours {_label(fw, 'priority', pl.get('given'))}"
            f", {verdict} the experts' {_label(fw, 'priority', pl.get('expected'))}</li>"
        )
    return out + "</ul>"


def level_html(report: Mapping[str, Any], fw: Framework) -> str:
    lv = report.get("level") or {}
    if not lv:
        return ""
    verdict = "matches" if lv.get("correct") else "differs from"
    findings = "".join(f"<li>{esc(x)}</li>" for x in lv.get("findings") or ())
    return (
        "<h3>Level of risk management</h3><ul>"
        f"<li>Yours {_label(fw, 'level', lv.get('given'))}, {verdict} the experts' "
        f"{_label(fw, 'level', lv.get('expected'))} (matrix result for your priority: "
        f"{_label(fw, 'level', lv.get('matrix'))})</li>{findings}</ul>"
    )


def plan_html(report: Mapping[str, Any], fw: Framework) -> str:
    plan = report.get("plan") or {}
    if not plan:
        return ""
    items = [f"Plan score: {fmt(plan.get('score'), pct=True)}"]
    if plan.get("unaddressed_priorities"):
        items.append("Priority factors no action addresses: " + _names(fw, plan["unaddressed_priorities"]))
    for m in plan.get("missing_essential") or ():
        items.append(
            f"Missing essential action: {_intervention(fw, m.get('intervention'))}: {esc(m.get('why', ''))}"
        )
    for c in plan.get("contraindicated") or ():
        items.append(
            f"Action the experts advise against: "
            f"{_intervention(fw, c.get('intervention'))}: {esc(c.get('why', ''))}"
        )
    for a in plan.get("incomplete_actions") or ():
        index = a.get("index")
        number = index + 1 if isinstance(index, int) else "?"
        missing = ", ".join(esc(m) for m in a.get("missing") or ())
        items.append(f"Action {number} ({_intervention(fw, a.get('intervention'))}) is missing: {missing}")
    if plan.get("constructive_for_protective") is False:
        items.append("No action builds a protective factor: balance restriction with rehabilitation.")
    body = "".join(f"<li>{i}</li>" for i in items)
    return f'<h3>Risk management plan</h3><ul class="arms-feedback-plan">{body}</ul>'


def follow_up_html(report: Mapping[str, Any], fw: Framework) -> str:
    fu = report.get("follow_up")
    if not fu:
        return ""
    sig = fu.get("significant_change") or {}

    def yes_no(value: Any) -> str:
        return "-" if value is None else ("significant" if value else "not significant")

    verdict = "matches" if sig.get("correct") else "differs from"
    lv = fu.get("level") or {}
    lverdict = "matches" if lv.get("correct") else "differs from"
    rows = "".join(
        f"<tr><td>{_factor_name(fw, f)}</td><td>{_rating(fw, e.get('given'))}</td>"
        f"<td>{_rating(fw, e.get('expected'))}</td><td>{fmt(e.get('credit'))}</td></tr>"
        for f, e in (fu.get("factors") or {}).items()
    )
    return (
        "<h3>Review at the next visit</h3><ul>"
        f"<li>Score for the review: {fmt(fu.get('score'), pct=True)}</li>"
        f"<li>You judged the change {yes_no(sig.get('given'))}; this {verdict} the experts "
        f"({yes_no(sig.get('expected'))}). {esc(fu.get('why', ''))}</li>"
        f"<li>Level after review: yours {_label(fw, 'level', lv.get('given'))}, {lverdict} "
        f"the experts' {_label(fw, 'level', lv.get('expected'))}</li></ul>"
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
    report: Mapping[str, Any],
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
