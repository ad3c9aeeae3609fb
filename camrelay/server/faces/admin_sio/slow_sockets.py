"""Sockets that stop reading: engineio queues each socket's packets without bound, so a sweep
ends a socket whose unsent packets pass a cap, and counts it; the others never wait for it."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

SWEEP_EVERY_S = 1.0


class SlowSockets:
    """Ends sockets holding more than `cap` unsent packets; `ended` counts them."""

    def __init__(self, cap: int) -> None:
        self.cap = cap
        self.ended = 0

    def sweep(self, eio: Any) -> list[Any]:
        """The engineio sockets over the cap, closed (their clients may connect again)."""
        slow = [sock for sock in list(eio.sockets.values()) if sock.queue.qsize() > self.cap]
        self.ended += len(slow)
        return slow

    async def run(self, eio: Any) -> None:
        """Sweep every second until cancelled."""
        while True:
            await asyncio.sleep(SWEEP_EVERY_S)
            for sock in self.sweep(eio):
                with contextlib.suppress(Exception):
                    await sock.close(wait=False, abort=True)
