"""What every calibration table is built from: the scored frame and :class:`TableInputs`.

The builders (:mod:`~arms_training.calibration.assessors`, :mod:`~arms_training.calibration.factors`,
:mod:`~arms_training.calibration.reliability`, :mod:`~arms_training.calibration.agencies`,
:mod:`~arms_training.calibration.plans`) are vectorised over responses; Python loops run over
vignettes, factors or statistics (tens), never over responses or assessors. Each table is one
record of :mod:`arms_training.calibration.catalogue`, built from one :class:`TableInputs`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pandas as pd

if TYPE_CHECKING:
    from arms_training.calibration.settings import CalibrationSettings
    from arms_training.content import AnswerKey
    from arms_training.framework import Framework
    from arms_training.io.frames import ResponseFrames
    from arms_training.scoring.batch import BatchScores

__all__ = ["TableInputs", "scored_frame", "ratio"]


@dataclass(frozen=True, eq=False)
class TableInputs:
    """Everything a table's builder may read; :func:`~arms_training.calibration.result.tables`
    and :meth:`~arms_training.calibration.dashboard.Dashboard.view` build one each time.

    Attributes
    ----------
    scored : DataFrame
        The scored responses the table covers (:func:`scored_frame`, filtered); its index is
        the row of ``frames`` and of ``batch``.
    frames : ResponseFrames
        Every response scored (ratings, insufficient marks), the filtered-out ones included.
    batch : BatchScores
        The scores of ``frames`` (differences, exact agreement, credit, plan findings).
    keys : mapping of vignette id to AnswerKey
    frameworks : mapping of id to Framework
        The frameworks of the responses in ``scored``.
    settings : CalibrationSettings
        Flag thresholds and the bootstrap's settings.
    all_frameworks : mapping of id to Framework
        Every framework the caller knows (:func:`tables`: those given and those of the filtered
        responses; the dashboard: those of every loaded response). The two summaries read their
        factor and intervention labels from it.
    progress : callable, optional
        ``progress(fraction, label)`` for a slow builder to report through (the dashboard's
        reliability button); ``None`` where nobody watches.
    """

    scored: pd.DataFrame
    frames: ResponseFrames
    batch: BatchScores
    keys: Mapping[str, AnswerKey]
    frameworks: Mapping[str, Framework]
    settings: CalibrationSettings
    all_frameworks: Mapping[str, Framework]
    progress: Callable[[float, str], None] | None = None


def scored_frame(frames: ResponseFrames, batch: BatchScores) -> pd.DataFrame:
    """Metadata joined with scores, scored rows only; the index is the frame row."""
    df = frames.responses.join(batch.scores)
    return df[df["ok"].to_numpy(dtype=bool)]


def ratio(num: pd.Series, den: pd.Series) -> pd.Series:
    """``num / den`` as floats, NaN where ``den`` is 0 (no data, not infinite agreement)."""
    return (num / den.where(den != 0)).astype(float)
