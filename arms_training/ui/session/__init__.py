"""The trainer's joint-session app."""

from arms_training.ui.session.app import SessionApp

__all__ = ["SessionApp"]
