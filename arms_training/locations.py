"""Where arms-training finds its files: the case library and the framework search path.

One place, so ``validate``, the apps and every command look in the same folders.

* The **content folder** (``ARMS_TRAINING_CONTENT``, else the checkout) holds ``vignettes/`` and
  ``answer_keys/``, and may hold ``frameworks/``.
* **Frameworks** are looked for, first match by file name wins, in each folder named in
  ``ARMS_TRAINING_FRAMEWORKS`` (several separated by ``os.pathsep``, ``:`` on Linux), then in the
  content folder's ``frameworks/``, then in the package's own ``frameworks/``. A force adds its
  own framework file, or replaces a shipped one, without editing the installed package.

The store's data directory is the store's business (:mod:`arms_training.store.config`).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

__all__ = [
    "CONTENT_ENV",
    "FRAMEWORKS_ENV",
    "PACKAGE_DIR",
    "FRAMEWORK_DIR",
    "DATA_DIR",
    "content_root",
    "framework_dirs",
]

CONTENT_ENV = "ARMS_TRAINING_CONTENT"
FRAMEWORKS_ENV = "ARMS_TRAINING_FRAMEWORKS"
PACKAGE_DIR = Path(__file__).resolve().parent
FRAMEWORK_DIR = PACKAGE_DIR / "frameworks"
DATA_DIR = PACKAGE_DIR / "data"


def content_root(environ: Mapping[str, str] | None = None) -> Path:
    """Where vignettes/ and answer_keys/ live: ``ARMS_TRAINING_CONTENT`` or the checkout."""
    env = (os.environ if environ is None else environ).get(CONTENT_ENV)
    return Path(env).expanduser() if env else PACKAGE_DIR.parent


def framework_dirs(environ: Mapping[str, str] | None = None) -> tuple[Path, ...]:
    """The framework search path, in the order it is searched (folders that do not exist are
    left out, except the package's own)."""
    env = os.environ if environ is None else environ
    named = [Path(p).expanduser() for p in env.get(FRAMEWORKS_ENV, "").split(os.pathsep) if p.strip()]
    dirs = [*named, content_root(env) / "frameworks"]
    found = [d for d in dirs if d.is_dir() and d.resolve() != FRAMEWORK_DIR]
    return tuple(dict.fromkeys([*found, FRAMEWORK_DIR]))
