"""The Voila command lines as Voila itself reads them: the settings that keep keys from trainees
must arrive intact (a list mangled on the way would silently drop the denylist)."""

from __future__ import annotations

import warnings

import pytest
from jupyter_server.services.kernels.kernelmanager import MappingKernelManager

from arms_training.serving.app import ArmsVoila
from arms_training.serving.limits import DEFAULT_MAX_KERNELS, DEFAULT_MAX_KERNELS_PER_CLIENT
from arms_training.serving.servers import (
    ALLOWED_MESSAGES,
    KEY_DENYLIST,
    TRAINEE_URL_ENV,
    staff_environ,
    staff_server,
    trainee_server,
)


def kernel_setting(config, name: str):
    """A MappingKernelManager setting as its trait reads it (Voila leaves them deferred)."""
    value = config.MappingKernelManager[name]
    trait = MappingKernelManager.class_traits()[name]
    return value.get_value(trait) if hasattr(value, "get_value") else value


def parsed(argv: list[str]):
    """Voila's config from ``argv`` (after ``python -m arms_training.serving.app``), deprecations
    as errors."""
    assert argv[1:3] == ["-m", "arms_training.serving.app"]
    app = ArmsVoila()
    with warnings.catch_warnings():
        warnings.simplefilter("error", DeprecationWarning)
        app.parse_command_line(argv[3:])
    return app.config


@pytest.mark.parametrize("trust", [False, True])
def test_the_trainee_server_gets_every_safety_setting(trust):
    spec = trainee_server(port=9001, pool=3, trust_proxy_user=trust)
    c = parsed(spec.argv())
    assert list(c.VoilaConfiguration.file_denylist) == KEY_DENYLIST
    assert kernel_setting(c, "allowed_message_types") == ALLOWED_MESSAGES
    assert "execute_request" not in ALLOWED_MESSAGES
    assert kernel_setting(c, "allow_tracebacks") is False
    assert kernel_setting(c, "cull_connected") is False
    assert c.VoilaConfiguration.show_tracebacks is False
    assert c.VoilaConfiguration.strip_sources is True
    assert c.VoilaConfiguration.default_pool_size == 3
    assert float(c.VoilaKernelManager.fill_delay) == 30  # a room joining at once goes first
    expected_headers = ["X-Forwarded-User"] if trust else []
    assert list(c.VoilaConfiguration.get("http_header_envs", [])) == expected_headers
    assert c.Voila.token == ""
    assert c.ArmsVoila.max_kernels == DEFAULT_MAX_KERNELS
    assert c.ArmsVoila.max_kernels_per_client == DEFAULT_MAX_KERNELS_PER_CLIENT
    assert "client_address_header" not in c.ArmsVoila  # the peer address unless a proxy is named


def test_the_kernel_limits_and_the_proxy_header_reach_voila():
    spec = trainee_server(
        port=9003, max_kernels=5, max_kernels_per_client=2, client_address_header="X-Real-IP"
    )
    c = parsed(spec.argv())
    assert (c.ArmsVoila.max_kernels, c.ArmsVoila.max_kernels_per_client) == (5, 2)
    assert c.ArmsVoila.client_address_header == "X-Real-IP"


def test_a_url_prefix_reaches_voila_and_the_printed_url():
    spec = trainee_server(port=9004, base_url="services/arms-training")
    assert parsed(spec.argv()).Voila.base_url == "/services/arms-training/"
    assert spec.url == "http://127.0.0.1:9004/services/arms-training/voila/render/exercise.ipynb"


def test_the_staff_server_needs_its_token():
    spec = staff_server(port=9002, token="s3cret-token")
    c = parsed(spec.argv())
    assert c.Voila.token == "s3cret-token"
    assert list(c.VoilaConfiguration.file_denylist) == KEY_DENYLIST
    assert spec.url.endswith("/voila/tree?token=s3cret-token")


def test_the_join_link_follows_the_trainee_server_unless_the_deployment_names_one():
    trainee = trainee_server(port=9100)
    env = staff_environ({"PATH": "/bin"}, trainee)
    assert env[TRAINEE_URL_ENV] == "http://127.0.0.1:9100/voila/render/exercise.ipynb"
    assert env["PATH"] == "/bin"
    public = "https://arms.example.org/voila/render/exercise.ipynb"
    assert staff_environ({TRAINEE_URL_ENV: public}, trainee)[TRAINEE_URL_ENV] == public
    # Listening on every address, the link still names a host a browser can open.
    assert staff_environ({}, trainee_server(ip="0.0.0.0", port=9100))[TRAINEE_URL_ENV].startswith(
        "http://127.0.0.1:9100/"
    )
