"""Figures for the calibration dashboard and its report, one per view.

Each function takes the view's table (as :class:`arms_training.calibration.dashboard.Dashboard` builds it)
and returns a :class:`~matplotlib.figure.Figure` drawn on the Agg canvas (no pyplot state in the
long-lived staff kernel); :func:`figure_png` makes PNG bytes. An empty table gives a figure that
says so rather than an empty frame. Blue is police and orange probation, as in the session
figures; red marks what a quality lead should look at.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from arms_training.agreement.registry import statistic_for_label
from arms_training.calibration.settings import CalibrationSettings
from arms_training.plots.session import AGENCY_COLOURS, _message_figure, _new_figure, figure_png

__all__ = [
    "assessors_figure",
    "factors_figure",
    "reliability_figure",
    "agencies_figure",
    "drift_figure",
    "plans_figure",
    "assessor_figure",
    "figure_png",
    "FLAG_COLOUR",
]

FLAG_COLOUR = "#c62828"
OK_COLOUR = "#3a76c4"
MUTED = "#9e9e9e"
KIND_COLOURS = {"risk": "#8e3b46", "protective": "#2e7d32"}
# Band shading, worst to best (ColorBrewer RdYlGn, light); the bands are the registry's.
BAND_COLOURS = ("#f4a582", "#fddbc7", "#f7f7f7", "#d9f0d3", "#a6dba0", "#5aae61")


def _tidy(ax) -> None:
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.tick_params(labelsize=8)
    ax.grid(alpha=0.3)


def assessors_figure(
    assessors: pd.DataFrame, settings: CalibrationSettings | None = None, *, dpi: int = 80
) -> Figure:
    """Two scatters, one dot per assessor: bias on risk against bias on protective factors,
    and exact agreement against within-one agreement; flagged assessors in red, the flag
    thresholds as dashed lines."""
    s = settings or CalibrationSettings()
    assessed = assessors[assessors["note"] == ""] if len(assessors) else assessors
    if assessed.empty:
        return _message_figure("No assessor has enough responses to be assessed.", dpi)
    fig = _new_figure(11, 4.3, dpi)
    flagged = assessed["flagged"].to_numpy(dtype=bool)
    size = 14 if len(assessed) < 500 else 5
    panels = (
        (
            "risk_bias",
            "protective_bias",
            "Bias on risk factors (+ over-rates)",
            "Bias on protective factors (- under-credits)",
            [("v", s.risk_bias_max), ("h", s.protective_bias_min)],
        ),
        (
            "exact_agreement",
            "within_one",
            "Exact agreement with the key",
            "Within one point of the key",
            [("v", s.exact_agreement_min), ("h", s.within_one_min)],
        ),
    )
    for i, (x, y, xl, yl, lines) in enumerate(panels):
        ax = fig.add_subplot(1, 2, i + 1)
        ax.scatter(
            assessed[x][~flagged], assessed[y][~flagged], s=size, color=OK_COLOUR, alpha=0.6, linewidths=0
        )
        ax.scatter(
            assessed[x][flagged],
            assessed[y][flagged],
            s=size * 1.6,
            color=FLAG_COLOUR,
            marker="x",
            linewidths=1,
        )
        for direction, value in lines:
            (ax.axvline if direction == "v" else ax.axhline)(
                value, color="#555555", linestyle="--", linewidth=0.9
            )
        ax.set_xlabel(xl, fontsize=9)
        ax.set_ylabel(yl, fontsize=9)
        _tidy(ax)
    handles = [
        Line2D(
            [], [], marker="o", linestyle="", color=OK_COLOUR, label=f"not flagged ({int((~flagged).sum())})"
        ),
        Line2D([], [], marker="x", linestyle="", color=FLAG_COLOUR, label=f"flagged ({int(flagged.sum())})"),
        Line2D([], [], linestyle="--", color="#555555", label="threshold"),
    ]
    fig.legend(handles=handles, loc="upper right", ncols=3, fontsize=8, frameon=False)
    fig.suptitle(f"Assessors against the key (n={len(assessed)} assessed)", fontsize=11, x=0.01, ha="left")
    fig.subplots_adjust(left=0.07, right=0.98, bottom=0.13, top=0.86, wspace=0.25)
    return fig


def factors_figure(summary: pd.DataFrame, *, dpi: int = 80, direction_min: float = 0.10) -> Figure:
    """Per factor, least reliable at the top: the share of ratings matching the key, and the
    mean signed difference (red: rated higher than the key, blue: lower)."""
    if summary.empty:
        return _message_figure("No rating matches these filters.", dpi)
    t = summary.sort_values("share_matching_key", kind="stable").iloc[::-1]
    y = np.arange(len(t))
    height = 0.38 * len(t) + 1.4
    fig = _new_figure(11, height, dpi)
    labels = [textwrap.shorten(n, 34) for n in t["name"]]
    ax = fig.add_subplot(1, 2, 1)
    ax.barh(y, t["share_matching_key"] * 100, color=[KIND_COLOURS.get(k, MUTED) for k in t["kind"]])
    ax.set_yticks(y, labels, fontsize=8)
    ax.set_xlim(0, 100)
    ax.set_xlabel("% of ratings matching the key", fontsize=9)
    _tidy(ax)
    ax2 = fig.add_subplot(1, 2, 2, sharey=ax)
    diff = t["mean_difference"].fillna(0).to_numpy()
    ax2.barh(y, diff, color=np.where(diff > 0, FLAG_COLOUR, OK_COLOUR))
    for v in (-direction_min, direction_min):
        ax2.axvline(v, color="#777777", linestyle=":", linewidth=0.9)
    ax2.axvline(0, color="#333333", linewidth=0.8)
    lim = max(0.3, float(np.abs(diff).max()) * 1.15)
    ax2.set_xlim(-lim, lim)
    ax2.set_xlabel("Mean difference from the key (+ higher, - lower)", fontsize=9)
    ax2.tick_params(labelleft=False)
    _tidy(ax2)
    fig.legend(
        handles=[Line2D([], [], color=c, linewidth=6, label=f"{k} factor") for k, c in KIND_COLOURS.items()],
        loc="upper left",
        ncols=2,
        fontsize=8,
        frameon=False,
    )
    fig.suptitle("Factors rated least reliably first", fontsize=11, x=0.99, ha="right")
    fig.subplots_adjust(left=0.22, right=0.98, bottom=1.0 / height, top=1 - 0.55 / height, wspace=0.08)
    return fig


def reliability_figure(reliability: pd.DataFrame, scope: str = "cohort", *, dpi: int = 80) -> Figure:
    """The statistics of one scope with their confidence intervals, each over its own
    interpretation bands (the registry's: Krippendorff, Koo & Li, Landis & Koch; none for
    percent agreement); statistics that could not be computed are listed with the reason."""
    t = reliability[reliability["scope"] == scope] if len(reliability) else reliability
    if t.empty:
        return _message_figure("No reliability figures for these filters.", dpi)
    height = 0.55 * len(t) + 1.3
    fig = _new_figure(11, height, dpi)
    ax = fig.add_axes((0.25, 0.8 / height, 0.5, 1 - 1.3 / height))
    for i, (_, r) in enumerate(t.iterrows()):
        y = len(t) - 1 - i
        bands = statistic_for_label(r["statistic"]).bands
        spans = bands.spans() if bands is not None else []
        picks = np.linspace(0, len(BAND_COLOURS) - 1, len(spans)).round().astype(int)
        for (lo, hi), colour in zip(spans, [BAND_COLOURS[i] for i in picks], strict=True):
            ax.broken_barh([(lo, hi - lo)], (y - 0.4, 0.8), facecolors=colour, zorder=0)
        value = r["value"]
        if pd.notna(value):
            if pd.notna(r["ci_low"]):
                ax.plot([r["ci_low"], r["ci_high"]], [y, y], color="#222222", linewidth=2, zorder=2)
            ax.plot([value], [y], "o", color="#222222", zorder=3)
            text = f"{value:.3f} {r['interpretation']}"
        else:
            text = textwrap.shorten(f"not computable: {r['note']}", 60)
        ax.text(1.03, y, text, transform=ax.get_yaxis_transform(), fontsize=8, va="center")
    ax.set_yticks(range(len(t)), [str(s) for s in t["statistic"]][::-1], fontsize=8)
    ax.set_xlim(-0.2, 1.0)
    ax.set_ylim(-0.6, len(t) - 0.4)
    ax.axvline(0, color="#555555", linewidth=0.6)
    ax.set_xlabel(
        "value with its confidence interval; shading: the statistic's bands (red poor ... green good)",
        fontsize=8,
    )
    _tidy(ax)
    fig.suptitle(f"Agreement among assessors: {scope}", fontsize=11, x=0.01, ha="left")
    return fig


def agencies_figure(agencies: pd.DataFrame, *, dpi: int = 80) -> Figure:
    """Per factor: police and probation mean difference from the key, and police minus
    probation with its confidence interval."""
    t = (
        agencies.dropna(subset=["police_mean_diff", "probation_mean_diff"], how="all")
        if len(agencies)
        else agencies
    )
    if t.empty:
        return _message_figure("No police or probation assessors in these filters.", dpi)
    y = np.arange(len(t))[::-1]
    height = 0.36 * len(t) + 1.4
    fig = _new_figure(11, height, dpi)
    ax = fig.add_subplot(1, 2, 1)
    for agency in ("police", "probation"):
        ax.plot(t[f"{agency}_mean_diff"], y, "o", color=AGENCY_COLOURS[agency], label=f"{agency}")
    ax.axvline(0, color="#333333", linewidth=0.8)
    ax.set_yticks(y, [textwrap.shorten(str(f).replace("_", " "), 34) for f in t["factor"]], fontsize=8)
    ax.set_xlabel("Mean difference from the key", fontsize=9)
    ax.legend(fontsize=8, frameon=False, loc="lower right")
    _tidy(ax)
    ax2 = fig.add_subplot(1, 2, 2, sharey=ax)
    has_ci = t["ci_low"].notna().to_numpy()
    ax2.hlines(y[has_ci], t["ci_low"][has_ci], t["ci_high"][has_ci], color="#222222")
    ax2.plot(t["difference"], y, "s", color="#222222", markersize=4)
    ax2.axvline(0, color="#333333", linewidth=0.8)
    ax2.set_xlabel("Police minus probation, with its confidence interval", fontsize=9)
    ax2.tick_params(labelleft=False)
    _tidy(ax2)
    fig.suptitle("Police and probation against the key", fontsize=11, x=0.01, ha="left")
    fig.subplots_adjust(left=0.22, right=0.98, bottom=1.0 / height, top=1 - 0.5 / height, wspace=0.08)
    return fig


def drift_figure(drift: pd.DataFrame, *, dpi: int = 80) -> Figure:
    """Month by month: exact agreement (with the number of responses) and bias on risk and
    on protective factors."""
    if drift.empty:
        return _message_figure("No responses in these filters.", dpi)
    fig = _new_figure(11, 5, dpi)
    x = np.arange(len(drift))
    ax = fig.add_subplot(2, 1, 1)
    ax.plot(x, drift["exact_agreement"] * 100, "o-", color=OK_COLOUR, label="exact agreement")
    ax.set_ylabel("% exact", fontsize=9)
    ax.set_ylim(0, 100)
    twin = ax.twinx()
    twin.bar(x, drift["n"], color=MUTED, alpha=0.25, zorder=0)
    twin.set_ylabel("responses", fontsize=8, color="#777777")
    twin.tick_params(labelsize=7, colors="#777777")
    ax.set_zorder(twin.get_zorder() + 1)
    ax.patch.set_visible(False)
    _tidy(ax)
    ax.tick_params(labelbottom=False)
    ax2 = fig.add_subplot(2, 1, 2, sharex=ax)
    ax2.plot(x, drift["risk_bias"], "o-", color=KIND_COLOURS["risk"], label="risk factors")
    ax2.plot(x, drift["protective_bias"], "s-", color=KIND_COLOURS["protective"], label="protective factors")
    ax2.axhline(0, color="#333333", linewidth=0.8)
    ax2.set_ylabel("mean difference", fontsize=9)
    ax2.set_xticks(x, list(drift["month"]), fontsize=8, rotation=45 if len(x) > 12 else 0)
    ax2.legend(fontsize=8, frameon=False, ncols=2)
    _tidy(ax2)
    fig.suptitle("Agreement and bias by month", fontsize=11, x=0.01, ha="left")
    fig.subplots_adjust(left=0.08, right=0.93, bottom=0.14, top=0.9, hspace=0.12)
    return fig


def plans_figure(findings: pd.DataFrame, *, dpi: int = 80) -> Figure:
    """Share of full exercises with each kind of rubric finding, most common at the top."""
    if findings.empty:
        return _message_figure("No rubric findings in these filters (or no full exercises).", dpi)
    t = findings.sort_values("share", kind="stable")
    height = 0.42 * len(t) + 1.2
    fig = _new_figure(11, height, dpi)
    ax = fig.add_axes((0.3, 0.7 / height, 0.62, 1 - 1.2 / height))
    y = np.arange(len(t))
    ax.barh(y, t["share"] * 100, color=FLAG_COLOUR, alpha=0.8)
    for yi, (share, n) in enumerate(zip(t["share"], t["n_responses"], strict=True)):
        ax.text(share * 100 + 0.5, yi, f"{share * 100:.0f}% ({n})", va="center", fontsize=8)
    ax.set_yticks(y, list(t["label"]), fontsize=8)
    ax.set_xlim(0, 100)
    ax.set_xlabel("% of full exercises with the finding", fontsize=9)
    _tidy(ax)
    fig.suptitle("Risk management plans: rubric findings", fontsize=11, x=0.01, ha="left")
    return fig


def assessor_figure(
    responses: pd.DataFrame, trainee_id: str, *, cohort_mean: float | None = None, dpi: int = 80
) -> Figure:
    """One assessor's total score response by response, in time order."""
    if responses.empty:
        return _message_figure(f"No responses from {trainee_id} in these filters.", dpi)
    fig = _new_figure(9, 2.8, dpi)
    ax = fig.add_subplot(1, 1, 1)
    x = np.arange(len(responses))
    ax.plot(x, responses["total"], "o-", color=OK_COLOUR)
    if cohort_mean is not None and np.isfinite(cohort_mean):
        ax.axhline(
            cohort_mean,
            color=MUTED,
            linestyle="--",
            linewidth=0.9,
            label=f"mean of everyone in the filters ({cohort_mean:.0f})",
        )
        ax.legend(fontsize=8, frameon=False, loc="lower left")
    # The date and the vignette's short id ("v05" of "v05-conflicting-accounts") fit a tick.
    labels: Sequence[str] = [
        f"{w[:10]}\n{str(v).split('-')[0]}"
        for w, v in zip(responses["when"], responses["vignette_id"], strict=True)
    ]
    ax.set_xticks(x, labels, fontsize=7, rotation=30 if len(x) > 12 else 0)
    ax.set_ylim(0, 100)
    ax.set_ylabel("total (0-100)", fontsize=9)
    _tidy(ax)
    fig.suptitle(f"{trainee_id}: score by response", fontsize=10, x=0.01, ha="left")
    fig.subplots_adjust(left=0.08, right=0.98, bottom=0.28, top=0.86)
    return fig
