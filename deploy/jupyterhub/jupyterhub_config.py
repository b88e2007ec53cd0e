# arms-training as JupyterHub services, for a force that already runs JupyterHub.
#
# JupyterHub starts and watches both Voila servers (managed services) and its proxy routes
#   https://HUB/services/arms-training/voila/render/exercise.ipynb   -> the trainee server
#   https://HUB/services/arms-training-staff/voila/tree?token=...     -> the staff server
# The command lines are the ones `arms-training serve` runs (arms_training.serving.servers), so
# the safety settings, kernel limits and the answer keys' place outside the served folders are
# the same. Voila does not take the hub's login: trainees are not authenticated by the hub here
# (as with `serve`), and the staff server keeps its own token. Every server shares the store
# named by ARMS_TRAINING_DB_URL (PostgreSQL).
#
# Merge the lines below into your jupyterhub_config.py (or load this file with
# `jupyterhub -f`); the arms-training package must be installed in the hub's Python.
# tests/deploy/test_jupyterhub.py loads this file and checks the services it defines.
import os

from arms_training.serving.servers import staff_server, trainee_server

c = get_config()  # noqa: F821 - provided by JupyterHub's config loader

ARMS_ENV = {
    name: os.environ[name]
    for name in ("ARMS_TRAINING_DB_URL", "ARMS_TRAINING_CONTENT", "ARMS_TRAINING_DATA")
    if name in os.environ
}
PUBLIC = os.environ.get("ARMS_TRAINING_PUBLIC_HUB", "https://hub.example.org")

trainee = trainee_server(
    port=10101,
    base_url="/services/arms-training/",
    # The hub's proxy adds the browser's address to X-Forwarded-For (last hop first read).
    client_address_header="X-Forwarded-For",
)
staff = staff_server(
    port=10102,
    base_url="/services/arms-training-staff/",
    token=os.environ.get("ARMS_TRAINING_STAFF_TOKEN"),
)

c.JupyterHub.services = [
    {
        "name": "arms-training",
        "url": f"http://127.0.0.1:{trainee.port}",
        "command": trainee.argv(),
        "environment": ARMS_ENV,
        "display": True,
    },
    {
        "name": "arms-training-staff",
        "url": f"http://127.0.0.1:{staff.port}",
        "command": staff.argv(),
        "environment": {
            **ARMS_ENV,
            "ARMS_TRAINING_TRAINEE_URL": f"{PUBLIC}/services/arms-training/voila/render/exercise.ipynb",
        },
        "display": False,
    },
]
