"""THE shared scoring: the rules, the report type and the vectorised batch twin."""

from arms_training.scoring.rules import *  # noqa: F403
from arms_training.scoring.rules import __all__ as _rules

__all__ = list(_rules)
