"""The feedback profile chart: the trainee's ratings against the key, with the panel's spread.

matplotlib is imported inside :func:`profile_png` only, so the trainee kernel does not load it
before the trainee submits. The Agg canvas is used directly: no pyplot, no backend selection,
no global figure state in a long-lived kernel.
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING, Any

from arms_training.framework import INSUFFICIENT, Framework

if TYPE_CHECKING:
    from arms_training.scoring.report import ScoreReport

__all__ = ["profile_png"]


def _y(value: Any, insufficient_y: float) -> float | None:
    if value == INSUFFICIENT:
        return insufficient_y
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    return None


def profile_png(report: ScoreReport, framework: Framework, *, dpi: int = 96) -> bytes:
    """A PNG of the factor profile: trainee, key consensus, and the panel's range per factor."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    factors = report.factors
    ordered = framework.risk_factors + framework.protective_factors
    names = [f.name for f in ordered]
    values = framework.scale_values
    ins_y = min(values) - 1
    fig = Figure(figsize=(9, 4.2), dpi=dpi)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot(1, 1, 1)
    xs = range(len(names))
    for x, f in zip(xs, ordered, strict=True):
        fs = factors.get(f.id)
        panel = [y for y in (_y(v, ins_y) for v in (fs.panel if fs else ())) if y is not None]
        if panel:
            low, high = min(panel), max(panel)
            if low == high:  # a unanimous panel still shows as a short bar
                low, high = low - 0.08, high + 0.08
            ax.vlines(
                x,
                low,
                high,
                color="#bbbbbb",
                linewidth=10,
                alpha=0.6,
                label="panel range" if x == 0 else "_nolegend_",
            )
    # The consensus is a large hollow square so the trainee's dot stays visible inside it.
    styles: tuple[tuple[str, str, dict[str, Any]], ...] = (
        (
            "expected",
            "expert consensus",
            dict(marker="s", markersize=16, color="#2e7d32", markerfacecolor="none", markeredgewidth=2),
        ),
        ("given", "your rating", dict(marker="o", markersize=8, color="#1f5fa8")),
    )
    for key, label, style in styles:
        ys = [_y(getattr(factors[f.id], key) if f.id in factors else None, ins_y) for f in ordered]
        ax.plot(
            [x for x, y in zip(xs, ys, strict=True) if y is not None],
            [y for y in ys if y is not None],
            linestyle="none",
            label=label,
            **style,
        )
    n_risk = len(framework.risk_factors)
    if 0 < n_risk < len(names):
        ax.axvline(n_risk - 0.5, color="#888888", linestyle=":")
        ax.text(n_risk / 2 - 0.5, max(values) + 0.35, "risk", ha="center", color="#555555")
        ax.text(
            (n_risk + len(names)) / 2 - 0.5, max(values) + 0.35, "protective", ha="center", color="#555555"
        )
    ax.set_xticks(list(xs))
    ax.set_xticklabels(names, rotation=35, ha="right", fontsize=8)
    ax.set_yticks([ins_y, *values])
    ax.set_yticklabels(["insufficient", *map(str, values)])
    ax.set_ylim(ins_y - 0.5, max(values) + 0.7)
    ax.set_ylabel("rating")
    ax.grid(axis="y", alpha=0.3)
    ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), fontsize=8, ncols=3, frameon=False)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()
