"""Does the shipped JupyterHub service configuration load, and does it run the same Voila
command lines as ``arms-training serve`` under the hub's service prefixes?"""

from __future__ import annotations

import warnings

from traitlets.config.loader import PyFileConfigLoader

from arms_training.serving.app import ArmsVoila
from arms_training.serving.servers import KEY_DENYLIST
from tests.factories import REPO

CONFIG = REPO / "deploy" / "jupyterhub" / "jupyterhub_config.py"


def test_the_service_configuration_loads_and_runs_the_hardened_servers(monkeypatch):
    monkeypatch.setenv("ARMS_TRAINING_DB_URL", "postgresql+psycopg://arms@db/arms")
    monkeypatch.setenv("ARMS_TRAINING_STAFF_TOKEN", "hub-staff-token")
    config = PyFileConfigLoader(CONFIG.name, path=str(CONFIG.parent)).load_config()
    services = {s["name"]: s for s in config.JupyterHub.services}
    assert set(services) == {"arms-training", "arms-training-staff"}
    for name, prefix in (
        ("arms-training", "/services/arms-training/"),
        ("arms-training-staff", "/services/arms-training-staff/"),
    ):
        service = services[name]
        assert service["environment"]["ARMS_TRAINING_DB_URL"] == "postgresql+psycopg://arms@db/arms"
        command = service["command"]
        assert command[1:3] == ["-m", "arms_training.serving.app"]
        app = ArmsVoila()
        with warnings.catch_warnings():
            warnings.simplefilter("error", DeprecationWarning)
            app.parse_command_line(command[3:])
        assert app.config.Voila.base_url == prefix
        assert list(app.config.VoilaConfiguration.file_denylist) == KEY_DENYLIST
        assert f"--port={service['url'].rsplit(':', 1)[1]}" in command  # the hub proxies to it
    staff = services["arms-training-staff"]
    assert "--Voila.token=hub-staff-token" in staff["command"]
    assert staff["environment"]["ARMS_TRAINING_TRAINEE_URL"].endswith(
        "/services/arms-training/voila/render/exercise.ipynb"
    )
    trainee = services["arms-training"]["command"]
    assert "--ArmsVoila.client_address_header=X-Forwarded-For" in trainee
    assert "--Voila.token=" in trainee  # trainees need no token
