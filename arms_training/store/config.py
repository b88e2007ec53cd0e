"""Where the store lives: the data directory and the database URL, both movable by environment.

Rule, first match wins:

* ``ARMS_TRAINING_DB_URL``: any SQLAlchemy URL, e.g. ``postgresql+psycopg://user@host/arms``
  (what several Voila servers share); the data directory is then not used by the store.
* ``ARMS_TRAINING_DATA``: a directory; the database is ``<dir>/arms-training.sqlite``.
* Running from a checkout (``pyproject.toml`` next to the package): ``<checkout>/data/``,
  which ``.gitignore`` already excludes.
* Installed from a wheel: ``$XDG_DATA_HOME/arms-training`` (``~/.local/share/arms-training``).

The working directory never matters: every Voila kernel starts in its notebook's folder, and a
database per folder would silently split one training session into several.
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["DATA_ENV", "URL_ENV", "DB_FILENAME", "data_dir", "default_url"]

DATA_ENV = "ARMS_TRAINING_DATA"
URL_ENV = "ARMS_TRAINING_DB_URL"
DB_FILENAME = "arms-training.sqlite"


def data_dir() -> Path:
    """The data directory by the rule above (not created here)."""
    env = os.environ.get(DATA_ENV)
    if env:
        return Path(env).expanduser()
    checkout = Path(__file__).resolve().parents[2]
    if (checkout / "pyproject.toml").is_file():
        return checkout / "data"
    xdg = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(xdg) / "arms-training"


def default_url() -> str:
    """``ARMS_TRAINING_DB_URL`` if set, else the SQLite file in :func:`data_dir`."""
    env = os.environ.get(URL_ENV)
    if env:
        return env
    import sqlalchemy as sa  # here: data_dir() is needed by pages that have no database yet

    return sa.URL.create("sqlite", database=str(data_dir() / DB_FILENAME)).render_as_string()
