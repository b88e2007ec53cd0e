"""The Voila application ``arms-training serve`` runs: Voila itself, with a kernel limit on the
page handler (``python -m arms_training.serving.app ROOT --Voila...``).

Every Voila setting works as with ``python -m voila``; three more (``ArmsVoila.max_kernels``,
``ArmsVoila.max_kernels_per_client``, ``ArmsVoila.client_address_header``) bound the kernels the
pages may start (:mod:`arms_training.serving.limits`). Only the handler that renders a notebook
changes: beyond a limit it answers 503 with the "full" page and starts no kernel; otherwise it
is Voila's own, and the kernel its page starts is recorded against the client's address.
"""

from __future__ import annotations

from typing import Any

import tornado.web
from traitlets import Integer, Unicode
from voila.app import Voila
from voila.tornado.handler import TornadoVoilaHandler

from arms_training.serving.limits import RETRY_AFTER_SECONDS, KernelLimiter, full_page

__all__ = ["ArmsVoila", "LimitedVoilaHandler", "main"]

_LIMITER = "arms_kernel_limiter"
_CLIENT_HEADER = "arms_client_address_header"


class _Recording:
    """The kernel manager as one page request sees it: the kernel it starts (or takes from the
    pre-heated pool) is told to the limiter under that request's ticket."""

    def __init__(self, manager: Any, on_kernel: Any) -> None:
        self._manager = manager
        self._on_kernel = on_kernel

    def __getattr__(self, name: str) -> Any:
        return getattr(self._manager, name)

    async def start_kernel(self, *args: Any, **kwargs: Any) -> str:
        result = self._manager.start_kernel(*args, **kwargs)
        kernel_id = await result if hasattr(result, "__await__") else result
        self._on_kernel(kernel_id)
        return kernel_id

    async def get_rendered_notebook(self, *args: Any, **kwargs: Any) -> Any:
        rendered = await self._manager.get_rendered_notebook(*args, **kwargs)
        self._on_kernel(rendered[2])  # (render task, rendered cache, kernel id)
        return rendered


class LimitedVoilaHandler(TornadoVoilaHandler):
    """Voila's notebook page, refused with the "full" page beyond the kernel limits."""

    _ticket: int | None = None

    @property
    def kernel_manager(self) -> Any:
        manager = self.settings["kernel_manager"]
        limiter: KernelLimiter = self.settings[_LIMITER]
        ticket = self._ticket
        if ticket is None:
            return manager
        return _Recording(manager, lambda kernel_id: limiter.started(ticket, kernel_id))

    def client_address(self) -> str:
        """The page's client: the proxy's header when one is configured (nginx sets X-Real-IP
        to the browser's address), else the connection's peer."""
        header = self.settings.get(_CLIENT_HEADER)
        if header:
            # X-Forwarded-For lists every hop; the last is the one our own proxy added.
            value = (self.request.headers.get(header) or "").split(",")[-1].strip()
            if value:
                return value
        return self.request.remote_ip or "unknown"

    @tornado.web.authenticated
    async def get(self, path: str | None = None) -> None:
        limiter: KernelLimiter = self.settings[_LIMITER]
        manager = self.settings["kernel_manager"]
        admitted = limiter.admit(self.client_address(), set(manager.list_kernel_ids()))
        if not isinstance(admitted, int):
            self.log.warning(
                "kernel limit: refused a page for %s (%s limit %d)",
                self.client_address(),
                admitted.reason,
                admitted.limit,
            )
            self.set_status(503)
            self.set_header("Retry-After", str(RETRY_AFTER_SECONDS))
            self.set_header("Content-Type", "text/html; charset=utf-8")
            self.set_header("Cache-Control", "no-store")
            self.finish(full_page(admitted, self.request.uri or "/"))
            return
        self._ticket = admitted
        try:
            await super().get(path)
        finally:
            limiter.release(admitted)
            self._ticket = None


class ArmsVoila(Voila):
    """Voila with limits on the kernels its pages start (0: no limit)."""

    max_kernels = Integer(0, config=True, help="live page kernels this server may hold (0: no limit)")
    max_kernels_per_client = Integer(
        0, config=True, help="live page kernels one client address may hold (0: no limit)"
    )
    client_address_header = Unicode(
        "",
        config=True,
        help="request header holding the client's address, set by a trusted proxy (e.g. X-Real-IP); "
        "empty: the connection's peer address",
    )

    def init_settings(self) -> dict:
        settings = super().init_settings()
        settings[_LIMITER] = KernelLimiter(self.max_kernels, self.max_kernels_per_client)
        settings[_CLIENT_HEADER] = self.client_address_header
        return settings

    def init_handlers(self) -> list:
        return [
            (h[0], LimitedVoilaHandler, *h[2:]) if len(h) > 1 and h[1] is TornadoVoilaHandler else h
            for h in super().init_handlers()
        ]


main = ArmsVoila.launch_instance

if __name__ == "__main__":
    main()
