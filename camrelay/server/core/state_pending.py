"""Changes waiting for a slow step (the store, the camera's message queue), per camera.

One task per camera runs the step with everything that waited; what comes meanwhile merges
into the next run (newest value per key), so a slider moved 100 times a second costs a few
runs, memory stays at one dict of keys per camera, and nobody waits for the step."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

Camera = tuple[int, str]  # (account id, device)
Step = Callable[[Camera, dict[str, Any]], Awaitable[None]]
log = logging.getLogger(__name__)


class Pending:
    """Merged changes per camera and the task that hands them to `step`."""

    def __init__(self, step: Step, what: str) -> None:
        self._step = step
        self._what = what
        self._waiting: dict[Camera, dict[str, Any]] = {}
        self._running: dict[Camera, asyncio.Task[None]] = {}
        self.failures = 0

    def add(self, camera: Camera, changes: dict[str, Any]) -> None:
        """Queue changes; never waits."""
        self._waiting.setdefault(camera, {}).update(changes)
        if camera not in self._running:
            self._running[camera] = asyncio.create_task(self._run(camera))

    async def _run(self, camera: Camera) -> None:
        try:
            while changes := self._waiting.pop(camera, None):
                try:
                    await self._step(camera, changes)
                except Exception:  # counted and logged; the next changes still go
                    self.failures += 1
                    log.exception("state: could not %s for %s", self._what, camera[1])
        finally:
            self._running.pop(camera, None)

    async def flush(self) -> None:
        """Wait until everything queued has been handed on (before shutdown, in tests)."""
        while self._running:
            await asyncio.gather(*self._running.values(), return_exceptions=True)
