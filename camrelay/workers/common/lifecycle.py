"""The life of a worker: background tasks, a failure in any of them ends the worker; and the
worker served with the apps the composition root built on it, started and stopped together."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine, Sequence
from typing import Any, Generic, TypeVar

from camrelay.workers.common.feed_server import FeedServer

log = logging.getLogger("camrelay.worker")


class WorkerLifecycle:
    """Base of the workers: subclasses implement start() (spawning their jobs), stop() (ending
    the jobs and the feeds) and close() (what the apps' handlers use, once they are gone)."""

    def __init__(self) -> None:
        self._tasks: list[asyncio.Task[None]] = []
        self._stop = asyncio.Event()
        # What ended the worker on its own (say, a wrong password), re-raised by ServedWorker.run().
        self.failure: BaseException | None = None

    async def start(self) -> None:
        """Start the jobs."""
        raise NotImplementedError

    async def stop(self) -> None:
        """Cancel the jobs and end the feeds, so no handler of the apps waits on them."""
        raise NotImplementedError

    async def close(self) -> None:
        """Release what the apps' handlers may use, once their servers have stopped."""

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

    async def stopping(self) -> None:
        """Return once asked to stop or a task failed."""
        await self._stop.wait()

    def request_stop(self) -> None:
        """Make stopping() return."""
        self._stop.set()


W = TypeVar("W", bound=WorkerLifecycle)


class ServedWorker(Generic[W]):
    """A worker and the servers of the apps built on it: the servers listen once it has
    started, and stop after its jobs and feeds end but before it lets go of its resources."""

    def __init__(self, worker: W, servers: Sequence[FeedServer]) -> None:
        self.worker = worker
        self._servers = list(servers)

    async def start(self) -> None:
        """Start the worker (what the handlers read is ready), then listen on every port; a
        port that cannot be bound stops what was started."""
        await self.worker.start()
        try:
            for server in self._servers:
                await server.start()
        except BaseException:
            await self.stop()
            raise

    async def stop(self) -> None:
        """End the jobs and feeds, stop the servers, then close the worker."""
        await self.worker.stop()
        for server in self._servers:
            await server.stop()
        await self.worker.close()

    def request_stop(self) -> None:
        """Make run() return (a signal)."""
        self.worker.request_stop()

    async def run(self, on_ready: Callable[[Any], None] | None = None) -> None:
        """Start, call on_ready(self), serve until asked to stop or a task fails, stop."""
        await self.start()
        if on_ready is not None:
            on_ready(self)
        try:
            await self.worker.stopping()
        finally:
            await self.stop()
        if self.worker.failure is not None:
            raise self.worker.failure
