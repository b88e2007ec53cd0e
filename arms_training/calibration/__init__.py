"""Many responses -> the tables a quality lead reads (settings, tables, the dashboard model and
synthetic demo data)."""

from arms_training.calibration.result import *  # noqa: F403
from arms_training.calibration.result import __all__ as _result

__all__ = list(_result)
