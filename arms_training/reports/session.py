"""The joint session as HTML and CSV: fragments for the trainer's live view, the session pack.

Every piece of trainee text (pseudonym, role, comment, override rationale) and of content goes
through :func:`arms_training.reports.markup.esc` before it reaches markup; CSV cells go through
:func:`arms_training.io.spreadsheet.safe_cell` so a pseudonym such as ``=HYPERLINK(...)`` is text
when the file is opened in a spreadsheet. Scores in the CSV come from the shared scoring module.

Key material appears on screen and in the pack only through a revealed
:class:`~arms_training.session.room.Room` (the caller decides, from the session's reveal state). The CSV
always carries the scores: it is the trainer's download, never shown on the projector.

The snapshot (:class:`~arms_training.session.data.SessionData`) and the scores
(:func:`~arms_training.session.data.score_responses`) live in :mod:`arms_training.session.data`;
they are imported here too, so ``arms_training.reports.session`` still offers them.
"""

from __future__ import annotations

import base64
import csv
import io
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any, Literal

from arms_training.framework import Framework
from arms_training.io.spreadsheet import safe_cell
from arms_training.reports.markup import esc
from arms_training.session.data import ScoreResult, SessionData, score_responses
from arms_training.session.room import (
    Attendance,
    ChoiceCount,
    Prompt,
    Room,
    attendance,
    prompts,
    summarise,
)
from arms_training.session.survey import Survey, SurveySummary, summarise_survey
from arms_training.stages import PARTS

__all__ = [
    "SessionData",
    "esc",
    "attendance_html",
    "people_html",
    "prompts_html",
    "choices_html",
    "survey_table_html",
    "comments_html",
    "key_table_html",
    "png_img_html",
    "download_link_html",
    "session_pack_html",
    "responses_csv",
    "csv_rows",
    "score_responses",
    "CSV_COLUMNS",
    "ScoreResult",
]


def _pct(x: float | None) -> str:
    return "-" if x is None else f"{x * 100:.0f}%"


def _rating(fw: Framework, r: Any) -> str:
    return esc(fw.rating_label(r))


# ---------------------------------------------------------------------------- fragments


def attendance_html(att: Attendance) -> str:
    """Counts by agency: joined, working on a draft, submitted."""
    if not att.people:
        return (
            '<p class="arms-session-empty">Nobody has joined yet. Share the code or the QR '
            "code; this view updates by itself.</p>"
        )
    head = "".join(f"<th>{esc(a.capitalize())}</th>" for a in att.agencies)
    rows = ""
    for label, counts in (("Joined", att.joined), ("Working", att.in_progress), ("Submitted", att.submitted)):
        cells = "".join(f"<td>{counts.get(a, 0)}</td>" for a in att.agencies)
        rows += f"<tr><th>{label}</th>{cells}<td><b>{sum(counts.values())}</b></td></tr>"
    return f'<table class="arms-table arms-session-counts"><tr><th></th>{head}<th>All</th></tr>{rows}</table>'


def people_html(att: Attendance) -> str:
    """One chip per person (pseudonym or anonymised name, escaped) with their status."""
    chips = "".join(
        f'<span class="arms-session-person arms-session-person-{p.status.replace(" ", "-")}" '
        f'title="{esc(p.agency)}: {esc(p.status)}">{esc(p.label)}'
        f"{' ✓' if p.status == 'submitted' else ''}</span>"
        for p in att.people
    )
    return f'<div class="arms-session-people">{chips}</div>' if chips else ""


def prompts_html(items: Sequence[Prompt], framework: Framework) -> str:
    """The discussion prompts; the expert rating and rationale only when a prompt has them
    (that is, after reveal)."""
    if not items:
        return (
            '<p class="arms-session-empty">No prompts yet: they appear when at least two '
            "people have rated a case differently.</p>"
        )
    out = []
    for p in items:
        reread = ""
        if p.paragraphs:
            paras = "".join(
                f'<p><span class="arms-para-id">{esc(pid)}</span> {esc(text)}</p>'
                for pid, text in p.paragraphs
            )
            reread = f"<details><summary>Reread: {esc(', '.join(p.reread))}</summary>{paras}</details>"
        elif p.reread:
            reread = f"<p>Reread: {esc(', '.join(p.reread))}</p>"
        expert = ""
        if p.rationale is not None:
            expert = (
                f'<div class="arms-session-expert"><b>Expert panel: '
                f"{_rating(framework, p.expected)}.</b> {esc(p.rationale)}</div>"
            )
        kind = "Split room" if p.kind == "split" else "Police and probation"
        out.append(
            f'<div class="arms-session-prompt arms-session-prompt-{p.kind}">'
            f'<div class="arms-session-prompt-kind">{kind}</div>'
            f"<h4>{esc(p.headline)}</h4><p>{esc(p.detail)}</p>{reread}{expert}</div>"
        )
    return "".join(out)


def _choice_table(
    rows: Sequence[ChoiceCount],
    agencies: Sequence[str],
    title: str,
    *,
    key_column: str | None,
    role: bool = False,
    css: str = "",
) -> str:
    head = "".join(f"<th>{esc(a.capitalize())}</th>" for a in agencies)
    key_head = f"<th>{esc(key_column)}</th>" if key_column else ""
    body = ""
    for c in rows:
        cells = "".join(f"<td>{c.by_agency.get(a, 0)}</td>" for a in agencies)
        mark = ""
        if key_column:
            if role and c.key_role is not None:
                mark = f"<td>{esc(c.key_role)}</td>"
            elif c.in_key is not None:
                mark = f"<td>{'✓' if c.in_key else ''}</td>"
            else:
                mark = "<td></td>"
        klass = ' class="arms-session-in-key"' if c.in_key else ""
        if c.key_role == "contraindicated":
            klass = ' class="arms-session-contraindicated"'
        body += f"<tr{klass}><td>{esc(c.label)}</td>{cells}<td><b>{c.total}</b></td>{mark}</tr>"
    return (
        f'<table class="arms-table {css}"><caption>{esc(title)}</caption><tr><th></th>'
        f"{head}<th>All</th>{key_head}</tr>{body}</table>"
    )


def choices_html(room: Room, framework: Framework, *, top_actions: int = 10) -> str:
    """Priorities, priority for work, level and plan actions the room chose (with the key's
    choices marked once revealed), and any contraindicated actions someone picked."""
    if room.n == 0:
        return '<p class="arms-session-empty">No submissions yet.</p>'
    key = "Key" if room.revealed else None
    ag = room.agencies
    chosen = [c for c in room.priorities if c.total or c.in_key]
    parts = [
        _choice_table(
            chosen, ag, "Factors marked as priorities for work", key_column=key, css="arms-session-priorities"
        ),
        _choice_table(
            room.priority_levels,
            ag,
            "Overall priority for work",
            key_column=key,
            css="arms-session-priority-levels",
        ),
    ]
    if room.n_full:
        parts.append(
            _choice_table(
                room.levels,
                ag,
                f"Level of risk management (full exercises, n={room.n_full})",
                key_column=key,
                css="arms-session-levels",
            )
        )
        parts.append(
            _choice_table(
                room.actions[:top_actions],
                ag,
                "Plan actions most often chosen",
                key_column=key,
                role=True,
                css="arms-session-actions",
            )
        )
    else:
        parts.append("<p><small>Quick exercises: no levels or plans to compare.</small></p>")
    if room.contraindicated:
        items = "".join(
            f"<li><b>{esc(c.label)}</b> chosen by {c.total} "
            f"({esc(_by_agency(c.by_agency))}). {esc(c.why)}</li>"
            for c in room.contraindicated
        )
        parts.append(
            f'<div class="arms-session-contra"><h4>Contraindicated actions someone '
            f"chose</h4><ul>{items}</ul></div>"
        )
    elif room.revealed and room.n_full:
        parts.append(
            '<p class="arms-session-contra">Nobody chose an action the key marks as contraindicated.</p>'
        )
    return "".join(parts)


def key_table_html(room: Room, framework: Framework) -> str:
    """After reveal: per factor the expert consensus, the panel, the share of the room that
    matched, and the rationale. Empty before reveal."""
    if not room.revealed:
        return ""
    rows = ""
    for f in room.factors:
        if f.expected is None:
            continue
        panel = ", ".join("insufficient" if r == "insufficient" else str(r) for r in f.panel)
        evidence = f" <small>Evidence: {esc(', '.join(f.evidence))}</small>" if f.evidence else ""
        rows += (
            f"<tr><td><b>{esc(f.name)}</b></td><td>{_rating(framework, f.expected)}</td>"
            f"<td>{esc(panel)}</td><td>{_pct(f.matched)}</td>"
            f"<td>{esc(f.rationale or '')}{evidence}</td></tr>"
        )
    return (
        '<table class="arms-table arms-session-key-table"><caption>The expert key'
        "</caption><tr><th>Factor</th><th>Consensus</th><th>Panel</th><th>Room on the "
        f"consensus</th><th>Rationale</th></tr>{rows}</table>"
    )


def _by_agency(counts: Mapping[str, int]) -> str:
    return ", ".join(f"{a} {n}" for a, n in counts.items() if n)


def survey_table_html(summary: SurveySummary, survey: Survey) -> str:
    """Agree / neutral / disagree shares per statement and agency (the chart as a table)."""
    if summary.n == 0:
        return '<p class="arms-session-empty">No evaluation answers yet.</p>'
    groups = (*summary.agencies, "all")
    head = "".join(f"<th>{esc(a.capitalize())} agree</th>" for a in groups)
    body = ""
    for s in survey.statements:
        cells = ""
        for a in groups:
            r = summary.result(s.id, a)
            cells += (
                f'<td title="disagree {_pct(r.disagree)}, neutral {_pct(r.neutral)}">'
                f"{_pct(r.agree) if r.n else '-'} <small>(n={r.n})</small></td>"
            )
        body += f"<tr><td>{esc(s.text)}</td>{cells}</tr>"
    return (
        f'<table class="arms-table arms-session-survey-table"><tr><th>Statement</th>{head}</tr>{body}</table>'
    )


def comments_html(summary: SurveySummary, names: Mapping[str, str] | None = None) -> str:
    """Free-text comments, escaped; attributed by ``names`` (trainee id -> shown name) or by
    agency only."""
    if not summary.comments:
        return ""
    items = "".join(
        f"<li><b>{esc((names or {}).get(tid) or agency.capitalize())}:</b> {esc(text)}</li>"
        for tid, agency, text in summary.comments
    )
    return f'<div class="arms-session-comments"><h4>Comments</h4><ul>{items}</ul></div>'


def png_img_html(png: bytes | None, alt: str, css: str = "arms-session-chart") -> str:
    if not png:
        return f"<p>({esc(alt)}: the chart could not be drawn.)</p>"
    data = base64.b64encode(png).decode("ascii")
    return (
        f'<img class="{esc(css)}" alt="{esc(alt)}" style="max-width:100%" src="data:image/png;base64,{data}">'
    )


def download_link_html(
    data: bytes, filename: str, mime: str, label: str, *, css: str = "arms-session-download"
) -> str:
    """A link that saves ``data`` as ``filename`` (carried in a data: URI)."""
    payload = base64.b64encode(data).decode("ascii")
    return (
        f'<a class="{esc(css)}" download="{esc(filename)}" '
        f'href="data:{esc(mime)};base64,{payload}">{esc(label)}</a>'
    )


# ---------------------------------------------------------------------------- CSV

CSV_COLUMNS = (
    "session_code",
    "trainee",
    "agency",
    "role",
    "vignette_id",
    "vignette_version",
    "key_version",
    "mode",
    "started_at",
    "submitted_at",
    "total",
    "score_source",
    "part_ratings",
    "part_priorities",
    "part_level",
    "part_plan",
    "part_follow_up",
    "exact_agreement",
    "within_one",
    "bias_risk",
    "bias_protective",
    "priorities",
    "priority_level",
    "risk_management_level",
    "override_rationale",
    "plan_actions",
    "contraindicated_chosen",
    "response_id",
)


def _iso(value: datetime | None) -> str:
    return "" if value is None else value.isoformat(timespec="seconds")


def _cell_rating(r: Any) -> Any:
    return "" if r is None else r


def csv_rows(
    data: SessionData, *, include_pseudonyms: bool = False, scores: Mapping[str, ScoreResult] | None = None
) -> tuple[list[str], list[list[Any]]]:
    """Header and rows of the responses CSV (not yet guarded; :func:`responses_csv` guards)."""
    scores = scores if scores is not None else score_responses(data)
    names = data.names(anonymise=not include_pseudonyms)
    factor_ids: list[str] = []
    for vid in data.case_ids:
        fw = data.frameworks.get(vid)
        for f in fw.factor_ids if fw else ():
            if f not in factor_ids:
                factor_ids.append(f)
    header = [*CSV_COLUMNS[:-1], *(f"rating_{f}" for f in factor_ids), CSV_COLUMNS[-1]]
    rows: list[list[Any]] = []
    for r in data.responses:
        s = scores.get(str(r.response_id)) or ScoreResult(None, None, "unscored")
        rep = s.report
        parts = rep.parts if rep is not None else {}
        plan = rep.plan if rep is not None else None
        contra = [i for i, _why in plan.contraindicated] if plan is not None else []
        row = {
            "session_code": r.session_code or "",
            "trainee": names.get(r.trainee.id, ""),
            "agency": r.trainee.agency,
            "role": r.trainee.role,
            "vignette_id": r.vignette_id,
            "vignette_version": r.vignette_version,
            "key_version": r.key_version or "",
            "mode": r.mode,
            "started_at": _iso(r.started_at),
            "submitted_at": _iso(r.submitted_at),
            "total": "" if s.total is None else round(float(s.total), 2),
            "score_source": s.source,
            **{f"part_{p}": round(parts[p][0], 4) if p in parts else "" for p in PARTS},
            "exact_agreement": _num(rep.exact_agreement if rep is not None else None),
            "within_one": _num(rep.within_one if rep is not None else None),
            "bias_risk": _num(rep.bias_risk if rep is not None else None),
            "bias_protective": _num(rep.bias_protective if rep is not None else None),
            "priorities": ";".join(r.priorities),
            "priority_level": r.priority_level or "",
            "risk_management_level": r.risk_management_level or "",
            "override_rationale": r.override_rationale or "",
            "plan_actions": ";".join(dict.fromkeys(a.intervention for a in r.plan)),
            "contraindicated_chosen": ";".join(contra),
            "response_id": str(r.response_id),
        }
        row.update({f"rating_{f}": _cell_rating(r.ratings.get(f)) for f in factor_ids})
        rows.append([row[h] for h in header])
    return header, rows


def _num(x: Any) -> Any:
    return round(float(x), 4) if isinstance(x, int | float) and not isinstance(x, bool) else ""


def responses_csv(
    data: SessionData, *, include_pseudonyms: bool = False, scores: Mapping[str, ScoreResult] | None = None
) -> str:
    """The session's submitted responses as CSV, one row per submission, scored with the shared
    scoring module; every text cell guarded against formula injection."""
    header, rows = csv_rows(data, include_pseudonyms=include_pseudonyms, scores=scores)
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow([safe_cell(h) for h in header])
    for row in rows:
        writer.writerow([safe_cell(c) for c in row])
    return buf.getvalue()


# ---------------------------------------------------------------------------- the pack

PACK_CSS = """
body {font-family: system-ui, sans-serif; max-width: 1100px; margin: 1em auto; padding: 0 1em;
  color: #222; line-height: 1.45;}
.arms-table {border-collapse: collapse; margin: 8px 0;}
.arms-table caption {text-align: left; font-weight: bold; padding: 4px 0;}
.arms-table th, .arms-table td {border: 1px solid #ddd; padding: 3px 8px; text-align: left;}
.arms-session-in-key td:first-child {font-weight: bold;}
.arms-session-contraindicated td {background: #fdecea;}
.arms-session-prompt {border-left: 4px solid #3a76c4; padding: 4px 12px; margin: 10px 0;
  background: #f6f9fd;}
.arms-session-prompt-agency {border-color: #d9731a; background: #fdf6ef;}
.arms-session-prompt-kind {font-size: 12px; color: #555; text-transform: uppercase;}
.arms-session-expert {background: #edf7ee; padding: 6px; margin: 6px 0;}
.arms-para-id {font-family: monospace; background: #eee; padding: 0 3px;}
.arms-session-note {font-size: 12px; color: #555; font-style: italic;}
.arms-session-person {display: inline-block; border: 1px solid #ccc; border-radius: 10px;
  padding: 0 8px; margin: 2px;}
"""


def session_pack_html(
    data: SessionData,
    *,
    include_pseudonyms: bool = False,
    reveal: bool | None = None,
    layout: Literal["side_by_side", "stacked"] = "side_by_side",
    survey: Survey | None = None,
    scores: Mapping[str, ScoreResult] | None = None,
    chart: Callable[..., bytes | None] | None = None,
) -> str:
    """One self-contained HTML page: attendance, per case the rating chart, the prompts and
    the room's choices, and the session evaluation.

    ``reveal`` defaults to the session's reveal state: an unrevealed session's pack holds
    nothing of the key. Pseudonyms appear only with ``include_pseudonyms``; otherwise people
    are "Police 1", "Probation 2"... ``chart`` (for tests) replaces the matplotlib renderer.
    """
    from arms_training.plots.session import figure_png, rating_distribution_figure, survey_figure
    from arms_training.session.survey import default_survey

    session = data.session
    reveal = session.revealed if reveal is None else reveal
    survey = survey or default_survey()
    names = data.names(anonymise=not include_pseudonyms)
    att = attendance(data.participants, data.drafts, data.responses, anonymise=not include_pseudonyms)
    if scores is None and reveal:
        scores = score_responses(data)
    totals = {rid: s.total for rid, s in (scores or {}).items() if s.total is not None}

    def render(fig_fn: Callable[..., Any], *args: Any, **kw: Any) -> bytes | None:
        if chart is not None:
            return chart(*args, **kw)
        try:
            return figure_png(fig_fn(*args, **kw))
        except Exception:  # noqa: BLE001 - a chart failure must not lose the pack
            return None

    trainer = f" &middot; trainer {esc(session.trainer)}" if session.trainer else ""
    parts = [
        '<!doctype html><html lang="en"><head><meta charset="utf-8">',
        f"<title>ARMS joint session {esc(session.code)}</title><style>{PACK_CSS}</style>",
        "</head><body>",
        f"<h1>ARMS joint session {esc(session.code)}</h1>",
        f"<p>Created {esc(_iso(session.created_at))}{trainer} &middot; {esc(session.mode)} "
        f"exercise &middot; session {esc(session.status)} &middot; "
        f"{'key revealed' if reveal else 'key not revealed'}</p>",
        '<p class="arms-session-note">The case library and answer keys are illustrative; scale '
        "wording, level matrix and scoring weights are project defaults.</p>",
        "<h2>Who took part</h2>",
        attendance_html(att),
        people_html(att),
    ]
    for vid in data.case_ids:
        v, fw = data.vignettes[vid], data.frameworks[vid]
        key = data.keys.get(vid) if reveal else None
        room = summarise(
            data.responses, fw, vignette_id=vid, key=key, scores=totals if key is not None else None
        )
        png = render(rating_distribution_figure, room, fw, layout=layout) if room.n else None
        parts += [
            f"<h2>Case: {esc(v.title)} <small>({esc(vid)})</small></h2>",
            f"<p>{room.n} submission{'s' if room.n != 1 else ''} ({esc(_by_agency(room.n_by_agency))}).</p>",
        ]
        if key is not None and room.mean_total:
            means = ", ".join(f"{a} {t:.0f}" for a, t in room.mean_total.items() if t is not None)
            parts.append(f"<p>Mean score (0-100): {esc(means)}.</p>")
        if room.n:
            parts += [
                png_img_html(png, f"Ratings for {v.title} by agency"),
                "<h3>Discussion prompts</h3>",
                prompts_html(prompts(room, vignette=v), fw),
                "<h3>What the room chose</h3>",
                choices_html(room, fw),
                key_table_html(room, fw),
            ]
    summary = summarise_survey(data.survey_rows, survey)
    parts.append("<h2>Session evaluation</h2>")
    if summary.n:
        png = render(survey_figure, summary, survey)
        parts += [
            png_img_html(png, "Session evaluation by agency"),
            survey_table_html(summary, survey),
            comments_html(summary, names if include_pseudonyms else None),
        ]
    else:
        parts.append(survey_table_html(summary, survey))
    parts.append("</body></html>")
    return "".join(parts)
