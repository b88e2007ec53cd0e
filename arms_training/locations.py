"""Where arms-training finds its files: the case library, the notebooks and the framework search
path.

One place, so ``validate``, the apps, ``serve`` and every command look in the same folders, in a
checkout and in an installed wheel alike.

* The **shipped library** (``vignettes/``, ``answer_keys/``) and the **notebooks** sit at the root
  of a checkout; a wheel carries them as package data (``arms_training/library/`` and
  ``arms_training/notebooks/``, mapped by ``pyproject.toml``). The package copy wins when it is
  there, so an installed package never depends on the folder it was built from.
* The **content folder** (``ARMS_TRAINING_CONTENT``, else the shipped library) holds
  ``vignettes/`` and ``answer_keys/``, and may hold ``frameworks/``. ``arms-training init DIR``
  makes one a force can edit.
* **Frameworks** are looked for, first match by file name wins, in each folder named in
  ``ARMS_TRAINING_FRAMEWORKS`` (several separated by ``os.pathsep``, ``:`` on Linux), then in the
  content folder's ``frameworks/``, then in the package's own ``frameworks/``. A force adds its
  own framework file, or replaces a shipped one, without editing the installed package.

The answer keys stay outside both notebook folders, so neither server can serve them.
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
    "LIBRARY_FOLDERS",
    "content_root",
    "shipped_library",
    "notebook_root",
    "framework_dirs",
    "where",
]

CONTENT_ENV = "ARMS_TRAINING_CONTENT"
FRAMEWORKS_ENV = "ARMS_TRAINING_FRAMEWORKS"
PACKAGE_DIR = Path(__file__).resolve().parent
FRAMEWORK_DIR = PACKAGE_DIR / "frameworks"
DATA_DIR = PACKAGE_DIR / "data"
# The folders of a case library, as ``init`` copies them.
LIBRARY_FOLDERS = ("vignettes", "answer_keys")


def shipped_library() -> Path:
    """The case library that came with arms-training: the wheel's package copy, else the
    checkout's root."""
    packaged = PACKAGE_DIR / "library"
    return packaged if (packaged / "vignettes").is_dir() else PACKAGE_DIR.parent


def notebook_root() -> Path:
    """The folder holding ``trainee/`` and ``staff/`` (the two servers' roots)."""
    packaged = PACKAGE_DIR / "notebooks"
    return packaged if (packaged / "trainee").is_dir() else PACKAGE_DIR.parent / "notebooks"


def content_root(environ: Mapping[str, str] | None = None) -> Path:
    """Where vignettes/ and answer_keys/ live: ``ARMS_TRAINING_CONTENT`` or the shipped library."""
    env = (os.environ if environ is None else environ).get(CONTENT_ENV)
    return Path(env).expanduser() if env else shipped_library()


def where(folder: Path, environ: Mapping[str, str] | None = None) -> str:
    """``folder`` and how to move it, for a message that found nothing there: e.g. "in
    /srv/cases/vignettes (the content folder, ARMS_TRAINING_CONTENT=/srv/cases)"."""
    env = (os.environ if environ is None else environ).get(CONTENT_ENV)
    if env:
        return f"in {folder} (the content folder is {CONTENT_ENV}={env})"
    return (
        f"in {folder} (the shipped library; set {CONTENT_ENV} to a folder holding vignettes/ "
        "and answer_keys/, e.g. one made by `arms-training init DIR`)"
    )


def framework_dirs(environ: Mapping[str, str] | None = None) -> tuple[Path, ...]:
    """The framework search path, in the order it is searched (folders that do not exist are
    left out, except the package's own)."""
    env = os.environ if environ is None else environ
    named = [Path(p).expanduser() for p in env.get(FRAMEWORKS_ENV, "").split(os.pathsep) if p.strip()]
    dirs = [*named, content_root(env) / "frameworks"]
    found = [d for d in dirs if d.is_dir() and d.resolve() != FRAMEWORK_DIR]
    return tuple(dict.fromkeys([*found, FRAMEWORK_DIR]))
