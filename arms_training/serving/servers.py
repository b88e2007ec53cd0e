"""Voila command lines for the trainee and staff servers, with the safe settings in one place.

The trainee server sees only ``notebooks/trainee``; the staff server sees ``notebooks/staff``,
listens on another port and needs a token. Answer keys live outside both roots and are read by
the kernel through the package, never served.
"""

from __future__ import annotations

import secrets
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from arms_training.locations import notebook_root
from arms_training.serving.limits import DEFAULT_MAX_KERNELS, DEFAULT_MAX_KERNELS_PER_CLIENT

__all__ = [
    "ServerSpec",
    "trainee_server",
    "staff_server",
    "KEY_DENYLIST",
    "ALLOWED_MESSAGES",
    "NOTEBOOK_ROOT",
    "TRAINEE_URL_ENV",
    "staff_environ",
    "VOILA_MODULE",
]

NOTEBOOK_ROOT = notebook_root()
# The trainee page URL the staff session app shows as the join link and QR code.
TRAINEE_URL_ENV = "ARMS_TRAINING_TRAINEE_URL"
# What a page may send its kernel: widget messages only. Without this a trainee could send an
# execute_request down the page's websocket and read the answer keys from the kernel.
ALLOWED_MESSAGES = ["comm_open", "comm_msg", "comm_close", "comm_info_request", "kernel_info_request"]
# Added to Voila's default denylist (notebooks and .py): anything that looks like key material,
# in any case, wherever it sits, in case a trainer drops one into a served folder by mistake.
KEY_DENYLIST = [
    r".*\.(ipynb|py)",
    r"(?i).*(answer|key|expert|panel).*",
    r"(?i).*\.(ya?ml|json|csv|sqlite.*|db)",
]


@dataclass
class ServerSpec:
    name: str
    root: Path
    ip: str
    port: int
    token: str = ""
    pool: int = 0
    # Seconds before Voila refills the pool after a kernel is taken. Its default (1 s) starts a
    # new kernel per page at once, and when a room of 30 joins together those 30 starts take the
    # CPU the pages need: measured, all 30 pages' HTML after 15 s with 1 s, 4 s with a delay.
    pool_refill_delay: int = 30
    cull_idle_seconds: int = 1800
    header_envs: list[str] = field(default_factory=list)
    # Kernel limits (serving/limits.py; 0: none) and the trusted proxy's client-address header.
    max_kernels: int = 0
    max_kernels_per_client: int = 0
    client_address_header: str = ""
    # The URL prefix (JupyterHub services are served under /services/<name>/).
    base_url: str = "/"

    @property
    def url(self) -> str:
        host = "127.0.0.1" if self.ip in ("0.0.0.0", "") else self.ip
        base = f"http://{host}:{self.port}{self.base_url}"
        if self.name == "trainee":
            base += "voila/render/exercise.ipynb"
        else:
            base += "voila/tree"
        return base + (f"?token={self.token}" if self.token else "")

    def argv(self) -> list[str]:
        args = [
            sys.executable,
            "-m",
            VOILA_MODULE,
            str(self.root),
            "--no-browser",
            f"--port={self.port}",
            f"--Voila.ip={self.ip}",
            "--Voila.port_retries=0",
            "--VoilaConfiguration.strip_sources=True",
            "--VoilaConfiguration.show_tracebacks=False",
            "--MappingKernelManager.allow_tracebacks=False",
            f"--MappingKernelManager.kernel_manager_class={__name__}.TracebackSafeKernelManager",
            "--VoilaConfiguration.allow_template_override=NO",
            "--VoilaConfiguration.allow_theme_override=NO",
            f"--MappingKernelManager.cull_idle_timeout={self.cull_idle_seconds}",
            "--MappingKernelManager.cull_interval=60",
            "--MappingKernelManager.cull_connected=False",
        ]
        # List settings go item by item (traitlets 5 deprecates a Python list literal).
        args += _items("MappingKernelManager.allowed_message_types", ALLOWED_MESSAGES)
        args += _items("VoilaConfiguration.file_denylist", KEY_DENYLIST)
        args += _items("VoilaConfiguration.http_header_envs", self.header_envs)
        if self.pool > 0:
            args += [
                "--VoilaConfiguration.preheat_kernel=True",
                f"--VoilaConfiguration.default_pool_size={self.pool}",
                f"--VoilaKernelManager.fill_delay={self.pool_refill_delay}",
            ]
        args += _limit_args(self)
        args.append(f"--Voila.token={self.token}" if self.token else "--Voila.token=")
        return args


# Voila with the kernel limits on its page handler (serving/app.py).
VOILA_MODULE = "arms_training.serving.app"


def _limit_args(spec: ServerSpec) -> list[str]:
    """The kernel limits, the client-address header and the URL prefix (serve's lifecycle and
    limits; kept apart from the safety settings above)."""
    args = [
        f"--ArmsVoila.max_kernels={spec.max_kernels}",
        f"--ArmsVoila.max_kernels_per_client={spec.max_kernels_per_client}",
    ]
    if spec.client_address_header:
        args.append(f"--ArmsVoila.client_address_header={spec.client_address_header}")
    if spec.base_url != "/":
        args.append(f"--Voila.base_url={spec.base_url}")
    return args


def _items(name: str, values: list[str]) -> list[str]:
    return [f"--{name}={v}" for v in values]


def trainee_server(
    *,
    ip: str = "127.0.0.1",
    port: int = 8866,
    pool: int = 0,
    trust_proxy_user: bool = False,
    root: Path | None = None,
    max_kernels: int = DEFAULT_MAX_KERNELS,
    max_kernels_per_client: int = DEFAULT_MAX_KERNELS_PER_CLIENT,
    client_address_header: str = "",
    base_url: str = "/",
) -> ServerSpec:
    # X-Forwarded-User is honoured only behind an authenticating proxy that sets it; a trainee
    # could otherwise send it themselves and write under someone else's name.
    return ServerSpec(
        "trainee",
        root or NOTEBOOK_ROOT / "trainee",
        ip,
        port,
        pool=pool,
        header_envs=["X-Forwarded-User"] if trust_proxy_user else [],
        max_kernels=max_kernels,
        max_kernels_per_client=max_kernels_per_client,
        client_address_header=client_address_header,
        base_url=_prefix(base_url),
    )


def _prefix(base_url: str) -> str:
    """``/services/arms/`` from ``services/arms``: one leading and one trailing slash."""
    inner = base_url.strip("/")
    return f"/{inner}/" if inner else "/"


def staff_server(
    *,
    ip: str = "127.0.0.1",
    port: int = 8867,
    token: str | None = None,
    root: Path | None = None,
    base_url: str = "/",
) -> ServerSpec:
    return ServerSpec(
        "staff",
        root or NOTEBOOK_ROOT / "staff",
        ip,
        port,
        token=token or secrets.token_urlsafe(18),
        base_url=_prefix(base_url),
    )


def staff_environ(environ: Mapping[str, str], trainee: ServerSpec) -> dict[str, str]:
    """The staff server's environment: the session app's join link points at ``trainee`` (whose
    port may not be the default) unless the deployment names a public URL itself."""
    env = dict(environ)
    env.setdefault(TRAINEE_URL_ENV, trainee.url)
    return env


def __getattr__(name: str) -> type:
    # PEP 562: the kernel manager class is built when the Voila process imports it, so that
    # importing this module (``arms-training serve``) does not pull in jupyter_server.
    if name != "TracebackSafeKernelManager":
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from jupyter_server.services.kernels.kernelmanager import ServerKernelManager

    class TracebackSafeKernelManager(ServerKernelManager):
        """With ``allow_tracebacks=False``, jupyter_server (2.x, up to at least 2.21) reads
        ``traceback_replacement_message`` from the per-kernel manager, which does not define it;
        the AttributeError stops the page's message stream, so after any uncaught callback error
        every widget on the trainee's page freezes. Take the message from the mapping manager."""

        @property
        def traceback_replacement_message(self) -> str:
            return getattr(self.parent, "traceback_replacement_message", "An error occurred.")

    globals()[name] = TracebackSafeKernelManager
    return TracebackSafeKernelManager
