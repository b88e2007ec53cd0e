"""Do the apps' error logs stay out of the page (stderr reaches the browser in Voila)?"""

from __future__ import annotations

import subprocess
import sys


def run_in_app(code: str, data_dir) -> tuple[str, str]:
    """Run ``code`` in a fresh interpreter as an app kernel would; (stdout + stderr, apps.log)."""
    env = {"ARMS_TRAINING_DATA": str(data_dir), "PATH": "/usr/bin:/bin"}
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120
    )
    assert result.returncode == 0, result.stderr
    return result.stdout + result.stderr, (data_dir / "logs" / "apps.log").read_text("utf-8")


def test_a_logged_traceback_goes_to_the_log_file_not_stderr(tmp_path):
    shown, logged = run_in_app(
        "from arms_training.ui.base import log\n"
        "try:\n"
        "    raise ValueError('secret-sentinel')\n"
        "except ValueError:\n"
        "    log.exception('callback failed')\n",
        tmp_path,
    )
    assert "secret-sentinel" not in shown and "Traceback" not in shown
    assert "callback failed" in logged and "secret-sentinel" in logged


def test_any_package_logger_goes_to_the_file_once_an_app_is_loaded(tmp_path):
    """The content loader logs a case it cannot offer; in an app that must not reach stderr."""
    shown, logged = run_in_app(
        "import arms_training.ui\n"
        "from arms_training.content import log\n"
        "log.warning('vignette secret-sentinel needs framework arms-1999')\n",
        tmp_path,
    )
    assert "secret-sentinel" not in shown
    assert "secret-sentinel" in logged
