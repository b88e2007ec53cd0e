"""arms-training: training and calibration for the Active Risk Management System (ARMS)."""

__version__ = "0.1.0"
