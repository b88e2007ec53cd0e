"""Debounced autosave: save at once if the last save is old enough, else once a moment later."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

__all__ = ["Autosaver"]


class Autosaver:
    """Calls ``save()`` at most every ``interval`` seconds while changes keep coming.

    Inside a kernel the trailing save is scheduled on the running event loop; in plain Python
    (tests, scripts) there is no loop and the pending change is saved by the next :meth:`flush`
    (the app flushes at every stage change and before submitting).
    """

    def __init__(
        self, save: Callable[[], bool], *, interval: float = 3.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._save = save
        self.interval = interval
        self.clock = clock
        self.dirty = False
        self.last = float("-inf")
        self._timer: asyncio.TimerHandle | None = None

    def changed(self) -> None:
        self.dirty = True
        wait = self.interval - (self.clock() - self.last)
        if wait <= 0:
            self.flush()
            return
        if self._timer is not None:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return
        self._timer = loop.call_later(wait, self._fire)

    def _fire(self) -> None:
        self._timer = None
        if self.dirty:
            self.flush()

    def flush(self) -> bool:
        """Save now; a failed save leaves the change pending for the next try."""
        if self._save():
            self.dirty = False
            self.last = self.clock()
            return True
        return False

    def cancel(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self.dirty = False
