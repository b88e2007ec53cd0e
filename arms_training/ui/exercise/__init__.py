"""The trainee exercise app."""

from arms_training.ui.exercise.app import ExerciseApp

__all__ = ["ExerciseApp"]
