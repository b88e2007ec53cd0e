"""How many trainee kernels a server and one client address may hold, and the page a trainee
gets beyond that.

Every GET of the exercise page starts a kernel (about 80 MB) that lives until the page goes or
the idle cull takes it, so without a limit a script can exhaust a server's memory in a minute
(Voila has no such setting: voila-dashboards/voila#617 asks for one and suggests a 503 from
``/voila/render``). The limiter counts, for each client address, the kernels its pages started
that are still alive, and the page requests still starting one (counted from the moment they
are admitted, so a burst of requests cannot slip past while kernels start). Beyond a limit the
request gets :func:`full_page` with status 503 and no kernel.

Pure bookkeeping: :mod:`arms_training.serving.app` calls it from Voila's page handler, which runs
on one event loop, so nothing here needs a lock.
"""

from __future__ import annotations

import html
import itertools
from collections import Counter
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Literal

__all__ = [
    "DEFAULT_MAX_KERNELS",
    "DEFAULT_MAX_KERNELS_PER_CLIENT",
    "RETRY_AFTER_SECONDS",
    "KernelLimiter",
    "Refusal",
    "full_page",
]

# A room of thirty trainees, each with a page open and a reload or a second tab in hand.
DEFAULT_MAX_KERNELS = 40
# Enough for one trainee's tabs; a room that reaches the server through one address (a force's
# NAT or proxy without X-Real-IP) counts as one client and needs this raised to the room's size.
DEFAULT_MAX_KERNELS_PER_CLIENT = 8
RETRY_AFTER_SECONDS = 60


@dataclass(frozen=True)
class Refusal:
    """Why a page was refused: the whole server is full, or this address holds its share."""

    reason: Literal["server", "client"]
    limit: int


@dataclass
class KernelLimiter:
    """Admit page requests while the server holds fewer than ``max_kernels`` page kernels and
    the client fewer than ``max_per_client`` (0: no limit)."""

    max_kernels: int = DEFAULT_MAX_KERNELS
    max_per_client: int = DEFAULT_MAX_KERNELS_PER_CLIENT
    _owners: dict[str, str] = field(default_factory=dict)  # kernel id -> client address
    _pending: dict[int, str] = field(default_factory=dict)  # admitted request -> client address
    _tickets: itertools.count = field(default_factory=itertools.count)

    def admit(self, client: str, live: Collection[str]) -> int | Refusal:
        """A ticket for a request from ``client``, or the :class:`Refusal`. ``live`` is the
        server's running kernel ids: kernels that have gone (shut down, culled) stop counting."""
        self._owners = {k: c for k, c in self._owners.items() if k in live}
        total = len(self._owners) + len(self._pending)
        if self.max_kernels and total >= self.max_kernels:
            return Refusal("server", self.max_kernels)
        if self.max_per_client and self.held_by(client) >= self.max_per_client:
            return Refusal("client", self.max_per_client)
        ticket = next(self._tickets)
        self._pending[ticket] = client
        return ticket

    def started(self, ticket: int, kernel_id: str) -> None:
        """The admitted request's page now has ``kernel_id``; it counts until that kernel goes."""
        client = self._pending.pop(ticket, None)
        if client is not None:
            self._owners[kernel_id] = client

    def release(self, ticket: int) -> None:
        """The request is over; if it started no kernel, it stops counting."""
        self._pending.pop(ticket, None)

    def held_by(self, client: str) -> int:
        counts = Counter(self._owners.values()) + Counter(self._pending.values())
        return counts[client]

    @property
    def held(self) -> int:
        return len(self._owners) + len(self._pending)


_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} - ARMS training</title>
<style>
  body {{ font-family: Arial, Helvetica, sans-serif; color: #0b0c0c; background: #fff;
         margin: 0; font-size: 19px; line-height: 1.4; }}
  main {{ max-width: 40em; margin: 0 auto; padding: 40px 20px; }}
  h1 {{ font-size: 36px; line-height: 1.1; margin: 0 0 30px; }}
  p {{ margin: 0 0 20px; }}
  a {{ color: #1d70b8; }}
  a:visited {{ color: #4c2c92; }}
  a:hover {{ color: #003078; }}
  a:focus {{ outline: 3px solid transparent; color: #0b0c0c; background-color: #fd0;
            box-shadow: 0 -2px #fd0, 0 4px #0b0c0c; text-decoration: none; }}
</style>
</head>
<body>
<main id="main-content">
<h1>{title}</h1>
{paragraphs}
<p><a href="{again}">Try again</a></p>
</main>
</body>
</html>
"""


def full_page(refusal: Refusal, again: str) -> str:
    """The "full, try again in a minute" page (no script, no kernel); ``again`` is the URL of
    the page that was asked for, escaped here."""
    if refusal.reason == "server":
        title = "The server is full"
        lines = [
            "Too many people are using the exercise on this server right now.",
            "Try again in a minute. Your saved work is kept.",
        ]
    else:
        title = "Too many exercise pages are open"
        lines = [
            f"This computer's address already has {refusal.limit} exercise pages open on this "
            "server. Close pages you no longer need, then try again in a minute.",
            "If a whole room shares one address, ask the trainer to raise the per-address limit.",
        ]
    return _PAGE.format(
        title=title,
        paragraphs="\n".join(f"<p>{html.escape(line)}</p>" for line in lines),
        again=html.escape(again, quote=True),
    )
