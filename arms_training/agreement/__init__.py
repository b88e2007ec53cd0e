"""Inter-rater agreement: the statistics, their bootstrap intervals and the registry the
calibration tables, the dashboard and the plots read."""

from arms_training.agreement.statistics import *  # noqa: F403
from arms_training.agreement.statistics import __all__ as _statistics

__all__ = list(_statistics)
