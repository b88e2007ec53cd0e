"""The quality lead's calibration dashboard app."""

from arms_training.ui.calibration.app import CalibrationApp

__all__ = ["CalibrationApp"]
