"""The life of a worker: background tasks, a failure in any of them ends the worker, and
run() serves from start() to stop()."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from typing import Any

log = logging.getLogger("camrelay.worker")


class WorkerLifecycle:
    """Base of the workers: subclasses implement start() (spawning their jobs) and stop()."""

    def __init__(self) -> None:
        self._tasks: list[asyncio.Task[None]] = []
        self._stop = asyncio.Event()
        # What ended the worker on its own (say, a wrong password), re-raised by run().
        self.failure: BaseException | None = None

    async def start(self) -> None:
        """Listen and start the jobs."""
        raise NotImplementedError

    async def stop(self) -> None:
        """Cancel the jobs and close what start() opened."""
        raise NotImplementedError

    def _spawn(self, job: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(job)
        task.add_done_callback(self._task_done)
        self._tasks.append(task)

    def _task_done(self, task: asyncio.Task[None]) -> None:
        """A task that fails ends the worker: it must not go on half alive, or in silence."""
        if task.cancelled() or task.exception() is None:
            return
        self.failure = task.exception()
        log.error("worker task failed: %r", self.failure)
        self._stop.set()

    async def run(self, on_ready: Callable[[Any], None] | None = None) -> None:
        """Start, call on_ready(self), serve until asked to stop or a task fails, stop."""
        await self.start()
        if on_ready is not None:
            on_ready(self)
        try:
            await self._stop.wait()
        finally:
            await self.stop()
        if self.failure is not None:
            raise self.failure

    def request_stop(self) -> None:
        """Make run() return."""
        self._stop.set()
