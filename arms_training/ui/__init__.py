"""ipywidgets views for the apps. Import the app you need, e.g.
``from arms_training.ui.exercise import ExerciseApp``; nothing is imported here so that a
kernel loads only what its page uses."""
