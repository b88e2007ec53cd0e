"""Inter-rater agreement: the statistics, their bootstrap intervals and the registry the
calibration tables, the dashboard and the plots read.

Modules by the maths: :mod:`~arms_training.agreement.kappa` (Cohen, Fleiss, Gwet's AC),
:mod:`~arms_training.agreement.alpha` (Krippendorff), :mod:`~arms_training.agreement.icc`,
:mod:`~arms_training.agreement.raw` (not corrected for chance), on the shared array helpers of
:mod:`~arms_training.agreement.ratings`; :mod:`~arms_training.agreement.bootstrap` (percentile
intervals) and :mod:`~arms_training.agreement.registry` (one record per statistic of the
reliability table: label, bands, point and interval function).
"""

from arms_training.agreement.alpha import AlphaLevel, krippendorff_alpha
from arms_training.agreement.bootstrap import bootstrap_ci, percentile_interval
from arms_training.agreement.icc import ICCForm, icc
from arms_training.agreement.kappa import cohen_kappa, fleiss_kappa, gwet_ac
from arms_training.agreement.ratings import WeightScheme
from arms_training.agreement.raw import percent_agreement, within_one
from arms_training.agreement.registry import (
    REGISTRY,
    Band,
    Bands,
    Options,
    Sample,
    Statistic,
    band_note,
    band_notes,
    interpret,
    interpret_interval,
    register,
    statistic,
    statistic_for_label,
    statistics,
    unregister,
)
from arms_training.errors import AgreementError

__all__ = [
    "AgreementError",
    "WeightScheme",
    "AlphaLevel",
    "ICCForm",
    "cohen_kappa",
    "fleiss_kappa",
    "krippendorff_alpha",
    "icc",
    "gwet_ac",
    "percent_agreement",
    "within_one",
    "bootstrap_ci",
    "percentile_interval",
    "interpret",
    "interpret_interval",
    "band_note",
    "band_notes",
    "Band",
    "Bands",
    "Options",
    "Sample",
    "Statistic",
    "REGISTRY",
    "register",
    "unregister",
    "statistic",
    "statistics",
    "statistic_for_label",
]
