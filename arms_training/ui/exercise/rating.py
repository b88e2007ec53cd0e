"""The 'Rate factors' stage: a rating, supporting paragraphs and a note for each factor."""

from __future__ import annotations

from collections.abc import Callable

import ipywidgets as w

from arms_training.content import Vignette
from arms_training.exercise.state import Exercise, rating_options
from arms_training.framework import Factor
from arms_training.responses import MAX_TEXT
from arms_training.stages import stage
from arms_training.ui.base import StageView
from arms_training.ui.components import Messages, classed, defaults_note_html, esc

__all__ = ["RatingView", "FactorRating"]


def _factor_html(factor: Factor) -> str:
    indicators = "".join(f"<li>{esc(i)}</li>" for i in factor.indicators)
    details = f"<details><summary>Indicators</summary><ul>{indicators}</ul></details>" if indicators else ""
    return f"<h4>{esc(factor.name)}</h4><div>{esc(factor.description)}</div>{details}"


def _paragraph_options(vignette: Vignette) -> list[tuple[str, str]]:
    out = []
    for _, p in vignette.iter_paragraphs():
        text = p.text if len(p.text) <= 60 else p.text[:57] + "..."
        out.append((f"{p.id}: {text}", p.id))
    return out


class FactorRating:
    """The widgets for one factor; values in, state changes out through the view."""

    def __init__(self, view: RatingView, factor: Factor) -> None:
        ex = view.ex
        r = ex.response
        fid = factor.id
        self.messages = Messages()
        self.messages.widget.add_class(f"arms-factor-message-{fid}")
        scale = ex.framework.rating_scale
        tooltips = [lv.description for lv in scale.levels] + [scale.insufficient.description]
        self.rating = classed(
            w.ToggleButtons(
                options=rating_options(ex.framework),
                value=r.ratings.get(fid),
                tooltips=tooltips,
                style={"button_width": "auto"},
                disabled=ex.locked,
            ),
            "arms-rating",
            f"arms-rating-{fid}",
        )
        self.evidence = classed(
            w.SelectMultiple(
                options=_paragraph_options(ex.vignette),
                value=tuple(r.evidence.get(fid, ())),
                rows=5,
                description="Evidence",
                disabled=ex.locked,
                layout=w.Layout(width="98%"),
            ),
            "arms-evidence",
            f"arms-evidence-{fid}",
        )
        self.note = classed(
            w.Textarea(
                value=r.notes.get(fid, ""),
                placeholder=f"Note (up to {MAX_TEXT:,} characters)",
                continuous_update=False,
                disabled=ex.locked,
                layout=w.Layout(width="98%"),
            ),
            "arms-note",
            f"arms-note-{fid}",
        )
        view.observe(self.rating, lambda v: view.apply(ex.set_rating, fid, v, messages=self.messages))
        view.observe(
            self.evidence, lambda v: view.apply(ex.set_evidence, fid, list(v), messages=self.messages)
        )
        view.observe(self.note, lambda v: view.apply(ex.set_note, fid, v, messages=self.messages))
        self.widget = classed(
            w.VBox(
                [
                    w.HTML(_factor_html(factor)),
                    self.rating,
                    self.evidence,
                    w.HTML("<small>Ctrl- or Cmd-click to choose several paragraphs.</small>"),
                    self.note,
                    self.messages.widget,
                ],
                layout=w.Layout(border="1px solid #ddd", padding="4px 8px", margin="4px 0"),
            ),
            "arms-factor",
            f"arms-factor-{fid}",
        )


class RatingView(StageView):
    stage = "rate"

    def __init__(self, ex: Exercise, on_change: Callable[[], None]) -> None:
        super().__init__(ex, on_change)
        fw = ex.framework
        self.factors = {f.id: FactorRating(self, f) for f in fw.factors}
        scale = "".join(
            f"<li><b>{lv.value} {esc(lv.label)}</b>: {esc(lv.description)}</li>"
            for lv in fw.rating_scale.levels
        )
        ins = fw.rating_scale.insufficient
        scale += f"<li><b>{esc(ins.label)}</b>: {esc(ins.description)}</li>"
        head = w.HTML(
            f"<h3>{esc(stage('rate').label)}</h3><ul>{scale}</ul>"
            + defaults_note_html(fw, "rating_scale", "factors")
        )
        locked = (
            [
                w.HTML(
                    "<p><i>Your first ratings are fixed now that you have read the next "
                    "visit; re-rate in the Review stage.</i></p>"
                )
            ]
            if ex.locked
            else []
        )
        children: list[w.Widget] = [head, *locked, self.messages.widget]
        for kind, title in (("risk", "Risk factors"), ("protective", "Protective factors")):
            children.append(classed(w.HTML(f"<h3>{title}</h3>"), f"arms-group-{kind}"))
            children += [self.factors[f.id].widget for f in fw.factors if f.kind == kind]
        self.widget.children = children
