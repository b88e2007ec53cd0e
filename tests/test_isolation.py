"""Do the tests run in a sandbox: the data directory, the home folder and Jupyter's folders
under one temporary folder, never the checkout's data/ or the user's home?"""

from __future__ import annotations

import os
from pathlib import Path

from arms_training.store import data_dir, default_url
from tests.conftest import REAL_HOME, SANDBOX
from tests.factories import REPO


def test_every_folder_a_test_could_write_is_in_the_sandbox():
    for name in ("HOME", "XDG_DATA_HOME", "JUPYTER_RUNTIME_DIR", "IPYTHONDIR", "MPLCONFIGDIR"):
        assert Path(os.environ[name]).is_relative_to(SANDBOX), name
    assert Path.home().is_relative_to(SANDBOX) and Path.home() != REAL_HOME
    assert data_dir().is_relative_to(SANDBOX)
    assert not data_dir().is_relative_to(REPO)
    assert str(SANDBOX) in default_url()


def test_the_apps_error_log_is_in_the_sandbox():
    import logging

    import arms_training.ui  # noqa: F401  installs the file handler

    files = [
        Path(h.baseFilename)
        for h in logging.getLogger("arms_training").handlers
        if isinstance(h, logging.FileHandler) and getattr(h, "_arms", False)
    ]
    assert files and all(f.is_relative_to(SANDBOX) for f in files)
