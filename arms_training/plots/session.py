"""Figures for the joint session: the room's ratings by agency, and the session evaluation.

matplotlib is used through the Agg canvas directly (no pyplot, no global figure state in a
long-lived kernel). Functions return a :class:`~matplotlib.figure.Figure`; :func:`figure_png`
turns one into PNG bytes for a widget or a report.

Before the key is revealed the :class:`~arms_training.session.room.Room` holds nothing of it, so the
distribution figure cannot show it; after reveal it overlays the expert consensus and the
panel's spread.
"""

from __future__ import annotations

import io
import textwrap
from typing import Literal

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from matplotlib.ticker import MaxNLocator

from arms_training.framework import INSUFFICIENT, Framework
from arms_training.session.room import FactorRoom, Room
from arms_training.session.survey import Survey, SurveySummary

__all__ = [
    "AGENCY_COLOURS",
    "LIKERT_COLOURS",
    "rating_distribution_figure",
    "survey_figure",
    "figure_png",
    "new_figure",
    "message_figure",
    "Layout",
]

Layout = Literal["side_by_side", "stacked"]
# Blue and orange stay distinct for the common colour-vision deficiencies.
AGENCY_COLOURS = {"police": "#1f4e9c", "probation": "#d9731a", "other": "#7a7a7a"}
KEY_COLOUR = "#1b7f3b"
PANEL_COLOUR = "#cfe8d5"
# Diverging: disagreement red, agreement blue, neutral grey (as the evaluation's figures).
LIKERT_COLOURS = {1: "#b2182b", 2: "#ef8a62", 3: "#d4d4d4", 4: "#67a9cf", 5: "#2166ac"}


def figure_png(fig: Figure, *, dpi: int | None = None) -> bytes:
    """PNG bytes of a figure made by this module."""
    if fig.canvas is None or not isinstance(fig.canvas, FigureCanvasAgg):
        FigureCanvasAgg(fig)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi or fig.dpi)
    return buf.getvalue()


def new_figure(width: float, height: float, dpi: int) -> Figure:
    """An empty figure on its own Agg canvas (no pyplot state)."""
    fig = Figure(figsize=(width, height), dpi=dpi)
    FigureCanvasAgg(fig)
    return fig


def message_figure(text: str, dpi: int) -> Figure:
    """A small figure that only says ``text`` (for "no data yet")."""
    fig = new_figure(8, 1.6, dpi)
    fig.text(0.5, 0.5, text, ha="center", va="center", fontsize=14, color="#555555")
    return fig


# Older names, imported by plots/calibration.py.
_new_figure, _message_figure = new_figure, message_figure


def _tick(rating) -> str:
    return "insuff." if rating == INSUFFICIENT else str(rating)


def _rows(room: Room) -> list[tuple[str, list[FactorRoom]]]:
    """Risk factors on one row and protective on the next; a long row is wrapped at 6."""
    rows: list[tuple[str, list[FactorRoom]]] = []
    for kind in ("risk", "protective"):
        group = [f for f in room.factors if f.kind == kind]
        size = len(group) if len(group) <= 7 else 6
        for i in range(0, len(group), size or 1):
            rows.append((f"{kind} factors", group[i : i + size]))
    return rows


def _bar_height(f: FactorRoom, layout: Layout) -> int:
    if layout == "stacked":
        return max(f.total.values(), default=0)
    return max((max(v.values(), default=0) for v in f.counts.values()), default=0)


# One Axes per row of factors, not one per factor: matplotlib's tick machinery is most of the
# drawing cost, and the live view redraws this figure whenever a submission arrives.
_BLOCK = 5  # x units per factor: 4 categories and a gap


def _draw_row(ax, factors: list[FactorRoom], agencies: tuple[str, ...], layout: Layout, top: float) -> None:
    # Batched: one bar() call per agency for the whole row, one collection for the key lines
    # and one for the panel bands; each matplotlib call has a fixed cost worth avoiding here.
    k = max(1, len(agencies))
    width = 0.8 / k if layout == "side_by_side" else 0.7
    ymax = max(1, top) * 1.1
    blended = ax.get_xaxis_transform()
    bars: dict[str, tuple[list[float], list[int], list[int]]] = {a: ([], [], []) for a in agencies}
    bands: list[tuple[float, float]] = []
    keys: list[float] = []
    for i, f in enumerate(factors):
        x0 = i * _BLOCK
        if f.expected is not None:
            positions = [f.categories.index(r) for r in f.panel if r in f.categories]
            if positions:
                bands.append((x0 + min(positions) - 0.45, max(positions) - min(positions) + 0.9))
            if f.expected in f.categories:
                keys.append(x0 + f.categories.index(f.expected))
        for j, c in enumerate(f.categories):
            bottom = 0
            for a, agency in enumerate(agencies):
                h = f.counts.get(agency, {}).get(c, 0)
                if h:
                    xs, hs, bs = bars[agency]
                    xs.append(x0 + j - 0.4 + width * (a + 0.5) if layout == "side_by_side" else x0 + j)
                    hs.append(h)
                    bs.append(bottom if layout == "stacked" else 0)
                bottom += h
            ax.text(x0 + j, -0.03, _tick(c), transform=blended, ha="center", va="top", fontsize=8)
        ax.text(
            x0 + (len(f.categories) - 1) / 2,
            1.03,
            textwrap.fill(f.name, 20),
            transform=blended,
            ha="center",
            va="bottom",
            fontsize=9,
        )
    if bands:
        ax.broken_barh(bands, (0, ymax), facecolors=PANEL_COLOUR, zorder=0, linewidth=0)
    for agency, (xs, hs, bs) in bars.items():
        if xs:
            ax.bar(xs, hs, width=width, bottom=bs, color=AGENCY_COLOURS.get(agency, "#444444"), zorder=2)
    if keys:
        ax.vlines(keys, 0, ymax, colors=KEY_COLOUR, linewidth=2.2, linestyles="--", zorder=3)
    if len(factors) > 1:
        ax.vlines(
            [i * _BLOCK - 1 for i in range(1, len(factors))],
            0,
            ymax,
            colors="#dddddd",
            linewidth=0.8,
            zorder=1,
        )
    ax.set_xlim(-0.7, _BLOCK * max(len(factors), 1) - 1.3)
    ax.set_ylim(0, ymax)
    ax.set_xticks([])
    ax.yaxis.set_major_locator(MaxNLocator(integer=True, nbins=5))
    ax.tick_params(axis="y", labelsize=8)
    ax.grid(axis="y", alpha=0.3, zorder=1)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)


def rating_distribution_figure(
    room: Room,
    framework: Framework,
    *,
    layout: Layout = "side_by_side",
    dpi: int = 80,
    title: str | None = None,
) -> Figure:
    """Per factor, how many in the room chose each rating, by agency.

    Risk factors on the top row, protective below. ``layout="side_by_side"`` puts the
    agencies' bars next to each other; ``"stacked"`` stacks them. After reveal
    (``room.revealed``) a dashed green line marks the expert consensus and a green band the
    panel's range.
    """
    if layout not in ("side_by_side", "stacked"):
        raise ValueError(f"layout={layout!r} is not valid; allowed: 'side_by_side', 'stacked'")
    if room.n == 0:
        return message_figure("No submissions yet for this case.", dpi)
    rows = _rows(room)
    ncols = max(len(r) for _, r in rows)
    # Inches: a heading strip, then per row the factor names, the bars and the rating labels.
    row_h, head, names, labels, left = 2.5, 0.45, 0.45, 0.3, 0.9
    height = row_h * len(rows) + head
    width = 2.0 * ncols + left
    fig = new_figure(width, height, dpi)
    top = max((_bar_height(f, layout) for f in room.factors), default=1)
    for i, (label, factors) in enumerate(rows):
        bottom = height - head - row_h * (i + 1) + labels
        ax = fig.add_axes(
            (
                left / width,
                bottom / height,
                (2.0 * len(factors) - 0.1) / width,
                (row_h - names - labels) / height,
            )
        )
        _draw_row(ax, factors, room.agencies, layout, top)
        ax.set_ylabel(f"{label}\n(trainees)", fontsize=8)
    handles = [
        Patch(
            color=AGENCY_COLOURS.get(a, "#444444"), label=f"{a.capitalize()} (n={room.n_by_agency.get(a, 0)})"
        )
        for a in room.agencies
    ]
    if room.revealed:
        handles += [
            Patch(facecolor="white", edgecolor=KEY_COLOUR, linestyle="--", label="expert consensus"),
            Patch(color=PANEL_COLOUR, label="panel range"),
        ]
    fig.legend(
        handles=handles,
        loc="upper right",
        bbox_to_anchor=(1, 1),
        fontsize=9,
        ncols=len(handles),
        frameon=False,
        borderaxespad=0.2,
    )
    heading = title or f"Ratings in the room (n={room.n})"
    fig.suptitle(
        heading + (" with the expert key" if room.revealed else ""),
        fontsize=11,
        x=0.01,
        y=1 - 0.08 / height,
        ha="left",
        va="top",
    )
    return fig


def survey_figure(summary: SurveySummary, survey: Survey, *, dpi: int = 80) -> Figure:
    """Diverging stacked bars: one bar per statement and agency, disagreement to the left of
    zero and agreement to the right, the neutral share split across the middle."""
    agencies = summary.agencies or ("all",)
    if summary.n == 0:
        return message_figure("No evaluation answers yet.", dpi)
    rows: list[tuple[str, str]] = []  # (statement id, agency), top to bottom
    for s in survey.statements:
        rows += [(s.id, a) for a in agencies]
    gap = 1.3  # space above each statement group for its text
    y_positions: list[float] = []
    headers: list[tuple[float, str]] = []
    y = 0.0
    for s in survey.statements:
        y += gap
        headers.append((y - 0.72, s.text))
        for _ in agencies:
            y_positions.append(y)
            y += 1
    height = 0.32 * y + 1.2
    fig = new_figure(10, height, dpi)
    ax = fig.add_axes((0.16, 0.9 / height, 0.82, 1 - 1.7 / height))
    for (sid, agency), ypos in zip(rows, y_positions, strict=True):
        r = summary.result(sid, agency)
        if r.n == 0:
            ax.text(0, ypos, "no answers", ha="center", va="center", fontsize=8, color="#777777")
            continue
        share = {v: 100 * c / r.n for v, c in r.counts.items()}
        left = -(share[1] + share[2] + share[3] / 2)
        for v in range(1, 6):
            if share[v]:
                ax.barh(ypos, share[v], left=left, height=0.75, color=LIKERT_COLOURS[v])
            left += share[v]
    ax.set_yticks(y_positions)
    ax.set_yticklabels([f"{a.capitalize()} (n={summary.result(s, a).n})" for s, a in rows], fontsize=8)
    for ypos, text in headers:
        ax.text(
            -100, ypos, textwrap.shorten(text, 120), fontsize=8.5, fontweight="bold", va="center", ha="left"
        )
    ax.set_ylim(y + 0.2, 0.2)
    ax.set_xlim(-100, 100)
    ax.axvline(0, color="#333333", linewidth=0.8)
    ax.set_xticks(range(-100, 101, 25))
    ax.set_xticklabels([f"{abs(t)}%" for t in range(-100, 101, 25)], fontsize=8)
    for side in ("top", "right", "left"):
        ax.spines[side].set_visible(False)
    ax.tick_params(axis="y", length=0)
    handles = [Patch(color=LIKERT_COLOURS[lv.value], label=lv.label) for lv in survey.scale]
    fig.legend(handles=handles, loc="lower center", ncols=5, fontsize=8, frameon=False)
    fig.suptitle(f"{survey.title} (n={summary.n})", fontsize=11, x=0.02, ha="left")
    return fig
