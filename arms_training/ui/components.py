"""Shared widgets for the trainee apps: messages, the case file, the glossary, the stage bar.

The ``*_html`` functions are pure (text in, HTML out) and escape every piece of content they
place in markup; the widget builders only wrap them.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Iterable
from typing import Literal

import ipywidgets as w

from arms_training.content import Section, Vignette
from arms_training.framework import Framework, GlossaryEntry
from arms_training.reports.markup import CSS, esc

__all__ = [
    "CSS",
    "Messages",
    "esc",
    "glossary_pattern",
    "annotate",
    "section_html",
    "case_file_html",
    "glossary_html",
    "defaults_note_html",
    "case_file",
    "stage_bar",
    "mark_stage",
    "css_widget",
    "classed",
    "close_all",
]

Kind = Literal["info", "success", "warning", "error"]


def classed(widget: w.Widget, *classes: str) -> w.Widget:
    for c in classes:
        widget.add_class(c)
    return widget


def close_all(widget: w.Widget) -> None:
    """Close a widget and everything inside it, so replaced views do not linger in the kernel."""
    for child in getattr(widget, "children", ()):
        close_all(child)
    widget.close()


def css_widget() -> w.HTML:
    return w.HTML(CSS)


class Messages:
    """One place on the page for what went wrong or right; text is escaped, never markup."""

    def __init__(self, css_class: str = "arms-message") -> None:
        self.widget = classed(w.HTML(""), css_class)

    def show(self, text: str, kind: Kind = "info", *, items: Iterable[str] = ()) -> None:
        bullet = "".join(f"<li>{esc(i)}</li>" for i in items)
        listing = f"<ul>{bullet}</ul>" if bullet else ""
        self.widget.value = f'<div class="arms-msg arms-msg-{kind}" role="status">{esc(text)}{listing}</div>'

    def clear(self) -> None:
        self.widget.value = ""

    @property
    def text(self) -> str:
        """What the trainee reads (tags dropped, entities decoded)."""
        return html.unescape(re.sub(r"<[^>]+>", " ", self.widget.value)).strip()


# -- glossary ---------------------------------------------------------------------------------
def _variants(entry: GlossaryEntry) -> list[str]:
    return [v.strip() for v in re.split(r"\s+/\s+", entry.term) if len(v.strip()) > 1]


def glossary_pattern(
    glossary: Iterable[GlossaryEntry],
) -> tuple[re.Pattern[str] | None, dict[str, GlossaryEntry]]:
    """One regex over every term variant (longest first), and variant (lower case) -> entry."""
    lookup: dict[str, GlossaryEntry] = {}
    for entry in glossary:
        for v in _variants(entry):
            lookup.setdefault(v.lower(), entry)
    if not lookup:
        return None, lookup
    alternatives = sorted(lookup, key=len, reverse=True)
    body = "|".join(re.escape(html.escape(a)) for a in alternatives)
    return re.compile(rf"(?<![\w/])({body})(?![\w/])", re.IGNORECASE), lookup


def _title(entry: GlossaryEntry) -> str:
    return f"Police: {entry.police} | Probation: {entry.probation} | {entry.meaning}"


def annotate(text: str, glossary: Iterable[GlossaryEntry]) -> str:
    """Escape ``text`` and wrap glossary terms in ``<abbr title=...>`` (shown on hover)."""
    escaped = esc(text)
    pattern, lookup = glossary_pattern(glossary)
    if pattern is None:
        return escaped

    def wrap(match: re.Match[str]) -> str:
        entry = lookup.get(html.unescape(match.group(1)).lower())
        if entry is None:
            return match.group(0)
        return f'<abbr class="arms-term" title="{esc(_title(entry))}">{match.group(1)}</abbr>'

    return pattern.sub(wrap, escaped)


def glossary_html(glossary: Iterable[GlossaryEntry]) -> str:
    rows = "".join(
        f"<tr><td><b>{esc(g.term)}</b></td><td>{esc(g.police)}</td><td>{esc(g.probation)}</td>"
        f"<td>{esc(g.meaning)}</td></tr>"
        for g in glossary
    )
    return (
        '<table class="arms-table arms-glossary-table"><tr><th>Term</th><th>Police</th>'
        f"<th>Probation</th><th>Meaning</th></tr>{rows}</table>"
    )


# -- the case file ----------------------------------------------------------------------------
def section_html(section: Section, glossary: Iterable[GlossaryEntry] = ()) -> str:
    glossary = tuple(glossary)
    when = f" <small>({esc(section.when)})</small>" if section.when else ""
    paras = "".join(
        f'<p class="arms-para" id="arms-para-{esc(p.id)}"><span class="arms-para-id">'
        f"{esc(p.id)}</span>{annotate(p.text, glossary)}</p>"
        for p in section.paragraphs
    )
    return (
        f'<div class="arms-section" id="arms-section-{esc(section.id)}">'
        f"<h4>{esc(section.title)}{when}</h4>{paras}</div>"
    )


def case_file_html(
    vignette: Vignette, glossary: Iterable[GlossaryEntry] = (), *, include_follow_up: bool = False
) -> str:
    glossary = tuple(glossary)
    st = vignette.static_tool
    head = (
        f"<h3>{esc(vignette.title)}</h3><p>{annotate(vignette.summary, glossary)}</p>"
        f"<p><b>Static tool:</b> {esc(st.name)}: {esc(st.category)} &middot; "
        f"<b>MAPPA level:</b> {vignette.mappa_level} &middot; "
        f"<b>Lead agency:</b> {esc(vignette.lead_agency)}</p>"
    )
    body = "".join(section_html(s, glossary) for s in vignette.sections)
    if include_follow_up and vignette.follow_up is not None:
        fu = vignette.follow_up
        when = f" ({esc(fu.when)})" if fu.when else ""
        body += f"<h3>{esc(fu.title)}{when}</h3>"
        body += "".join(section_html(s, glossary) for s in fu.sections)
    return head + body


def defaults_note_html(framework: Framework, *sections: str) -> str:
    notes = [framework.project_defaults[s] for s in sections if s in framework.project_defaults]
    if not notes:
        return ""
    return '<p class="arms-default-note">Project default: ' + " ".join(esc(n) for n in notes) + "</p>"


def case_file(vignette: Vignette, framework: Framework, *, include_follow_up: bool = False) -> w.VBox:
    """The case file in a scrollable box with the glossary (click to open) beneath it."""
    text = classed(
        w.HTML(case_file_html(vignette, framework.glossary, include_follow_up=include_follow_up)),
        "arms-case-file",
    )
    text.layout = w.Layout(max_height="70vh", overflow="auto")
    glossary = w.Accordion(
        children=[classed(w.HTML(glossary_html(framework.glossary)), "arms-glossary")],
        titles=("Glossary: police and probation words",),
    )
    glossary.selected_index = None
    return classed(
        w.VBox([text, glossary], layout=w.Layout(width="48%", min_width="320px")), "arms-case-column"
    )


# -- the stage bar ----------------------------------------------------------------------------
def stage_bar(
    stages: Iterable[str], labels: dict[str, str], on_select: Callable[[str], None]
) -> tuple[w.HBox, dict[str, w.Button]]:
    buttons: dict[str, w.Button] = {}
    for stage in stages:
        b = classed(w.Button(description=labels[stage]), "arms-stage", f"arms-stage-{stage}")
        b.on_click(lambda _b, s=stage: on_select(s))
        buttons[stage] = b
    return classed(w.HBox(list(buttons.values())), "arms-stage-bar"), buttons


def mark_stage(button: w.Button, label: str, *, status: str, current: bool) -> None:
    """Done and incomplete show as a tick or an open circle, and as CSS classes."""
    mark = "✓" if status == "done" else "○"
    button.description = f"{mark} {label}"
    button.tooltip = f"{label}: {'done' if status == 'done' else 'incomplete'}"
    button.button_style = "success" if status == "done" else ""
    for c in ("arms-stage-done", "arms-stage-incomplete", "arms-stage-current"):
        button.remove_class(c)
    button.add_class(f"arms-stage-{status}")
    if current:
        button.add_class("arms-stage-current")
        button.button_style = "primary" if status != "done" else "info"
