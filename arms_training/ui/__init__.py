"""ipywidgets views for the apps. Import the app you need, e.g.
``from arms_training.ui.exercise.app import ExerciseApp``; nothing heavy is imported here so that a
kernel loads only what its page uses.

The apps' logger writes to a file, never to the kernel's stderr: ipykernel forwards stderr
(even the process's own file descriptor 2) to the page, so a logged traceback would reach the
trainee's browser.
"""

from __future__ import annotations

import logging
from logging.handlers import RotatingFileHandler

# The whole package's logger: the content and store modules log too, and a page must not see it.
LOG_NAME = "arms_training"


def _configure_logging() -> None:
    logger = logging.getLogger(LOG_NAME)
    if any(getattr(h, "_arms", False) for h in logger.handlers):
        return
    logger.propagate = False  # the root logger's handlers may write to stderr
    try:
        from arms_training.store.config import data_dir

        folder = data_dir() / "logs"
        folder.mkdir(parents=True, exist_ok=True)
        handler: logging.Handler = RotatingFileHandler(
            folder / "apps.log", maxBytes=5_000_000, backupCount=3, delay=True, encoding="utf-8"
        )
    except OSError:
        handler = logging.NullHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(process)d %(levelname)s %(message)s"))
    handler._arms = True  # type: ignore[attr-defined]
    logger.addHandler(handler)


_configure_logging()
