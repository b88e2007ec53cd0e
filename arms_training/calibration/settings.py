"""What a calibration is asked for: the thresholds that flag an assessor and the filters that pick
the responses. Plain frozen dataclasses; a bad value raises SettingsError naming it."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Literal

import numpy as np
import pandas as pd

from arms_training.errors import SettingsError

__all__ = ["CalibrationSettings", "Filters"]


@dataclass(frozen=True)
class CalibrationSettings:
    """Thresholds and options for :func:`tables`. Defaults are project defaults.

    Attributes
    ----------
    min_responses : int, default 5
        Fewer scored responses than this and an assessor is listed but not assessed (``note``).
    exact_agreement_min : float, default 0.60
        Flag below this share of ratings equal to the key. Landis & Koch read kappa 0.41-0.60 as
        only moderate; with three scale points, 60 % exact is where chance still matters.
    within_one_min : float, default 0.85
        Flag below this share of ratings within one step of the key.
    risk_bias_max : float, default 0.30
        Flag above this mean signed difference on risk factors (over-rating risk): almost a
        third of a scale step on every risk factor, every time.
    protective_bias_min : float, default -0.30
        Flag below this mean signed difference on protective factors (under-crediting
        strengths, the weakness inspections found in police practice).
    plan_score_min : float, default 0.50
        Flag a mean plan score (0-1) below this.
    reliability_level : {"nominal", "ordinal", "interval", "ratio"}, default "ordinal"
        Level of measurement for Krippendorff's alpha; the ARMS scale is ordered.
    n_boot : int, default 500
        Bootstrap replicates for confidence intervals (units resampled).
    confidence : float, default 0.95
    seed : int, default 0
        Bootstrap seed: the same data give the same intervals.
    """

    min_responses: int = 5
    exact_agreement_min: float = 0.60
    within_one_min: float = 0.85
    risk_bias_max: float = 0.30
    protective_bias_min: float = -0.30
    plan_score_min: float = 0.50
    reliability_level: Literal["nominal", "ordinal", "interval", "ratio"] = "ordinal"
    n_boot: int = 500
    confidence: float = 0.95
    seed: int = 0

    def __post_init__(self) -> None:
        if self.protective_bias_min > 0:
            raise SettingsError(
                f"protective_bias_min={self.protective_bias_min!r} is not valid; "
                "allowed: a number <= 0 (it bounds under-crediting)"
            )
        if self.risk_bias_max < 0:
            raise SettingsError(f"risk_bias_max={self.risk_bias_max!r} is not valid; allowed: a number >= 0")
        if self.min_responses < 1:
            raise SettingsError(f"min_responses={self.min_responses!r} is not valid; allowed: >= 1")


def _as_set(value: str | Collection[str] | None) -> set[str] | None:
    if value is None:
        return None
    return {value} if isinstance(value, str) else set(value)


def _as_time(value: datetime | date | str | None, name: str, *, end: bool) -> pd.Timestamp | None:
    if value is None:
        return None
    try:
        ts = pd.Timestamp(value)
    except ValueError:
        raise SettingsError(
            f"{name}={value!r} is not valid; allowed: an ISO date or time such as 2025-01-31"
        ) from None
    if ts.tzinfo is None:
        ts = ts.tz_localize(UTC)
    # A bare date as ``until`` means up to the end of that day.
    if end and isinstance(value, date | str) and not isinstance(value, datetime) and ts == ts.normalize():
        ts = ts + pd.Timedelta(days=1) - pd.Timedelta(microseconds=1)
    return ts


@dataclass(frozen=True)
class Filters:
    """Which responses a calibration covers; ``None`` means no restriction.

    ``since``/``until`` bound the submission time (inclusive; a date ``until`` covers that whole
    day; naive times are UTC). ``agency``, ``area``, ``vignette`` (vignette id), ``session``
    (session code) and ``cohort`` (trainee ids) each take one value or a collection.
    """

    since: datetime | date | str | None = None
    until: datetime | date | str | None = None
    agency: str | Collection[str] | None = None
    area: str | Collection[str] | None = None
    vignette: str | Collection[str] | None = None
    session: str | Collection[str] | None = None
    cohort: Collection[str] | None = None

    def mask(self, responses: pd.DataFrame) -> np.ndarray:
        keep = np.ones(len(responses), dtype=bool)
        since, until = _as_time(self.since, "since", end=False), _as_time(self.until, "until", end=True)
        if since is not None:
            keep &= (responses["when"] >= since).to_numpy()
        if until is not None:
            keep &= (responses["when"] <= until).to_numpy()
        for column, value in (
            ("agency", self.agency),
            ("area", self.area),
            ("vignette_id", self.vignette),
            ("session_code", self.session),
            ("trainee_id", self.cohort),
        ):
            allowed = _as_set(value)
            if allowed is not None:
                keep &= responses[column].isin(allowed).to_numpy()
        return keep
