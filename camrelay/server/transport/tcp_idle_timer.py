"""A connection's keep-alive timeout as a timer, not a task made and cancelled per request.

Hypercorn marks a connection busy when a request arrives and idle when its last answer is out,
and each mark stops or restarts the connection's idle task: a task whose `wait_for` makes a
second task and a timer, cancelled and awaited at the next request. At one request at a time
that is four tasks and two cancellations per request (py-spy: 3-5 % of the server's samples on
getMsgs.json). Here idle is a timer handle: restarting it arms `keep_alive_timeout`, stopping it
disarms it. What the task did stays: an idle connection is closed when the timeout passes, or at
once when the server is shutting down (`context.terminated`, watched by one task per server,
not one per connection), and a stop is final once reading has ended (tcp_peer_close).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from hypercorn.asyncio import tcp_server
from hypercorn.asyncio.tcp_server import TCPServer
from hypercorn.asyncio.worker_context import WorkerContext

REPLACES = ((tcp_server, "AsyncioSingleTask"),)
_ARMED = "_camrelay_idle_timers"  # on a server's WorkerContext: its armed timers
_WATCH = "_camrelay_idle_watch"  # on a server's WorkerContext: the task closing them at shutdown


class IdleTimer:
    """TCPServer's `idle_task` (AsyncioSingleTask's interface): the idle timeout as a timer."""

    def __init__(self) -> None:
        self._timer: asyncio.TimerHandle | None = None
        self._server: TCPServer | None = None

    async def restart(self, task_group: Any, action: Callable[[], Any]) -> None:
        """Idle: close the connection after keep_alive_timeout, or at once when shutting down
        (`action` is the server's own `_idle_timeout`, bound to it)."""
        self._disarm()
        server: TCPServer = action.__self__  # type: ignore[attr-defined]
        self._server = server
        if server.context.terminated.is_set():
            self._expire()
            return
        loop = asyncio.get_running_loop()
        self._timer = loop.call_later(server.config.keep_alive_timeout, self._expire)
        _armed(server.context).add(self)

    async def stop(self) -> None:
        """Busy (or gone): no timeout until the next restart."""
        self._disarm()

    def _disarm(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
            if self._server is not None:
                _armed(self._server.context).discard(self)

    def _expire(self) -> None:
        """Close the connection, as Hypercorn's idle task does when its wait ends."""
        self._disarm()
        server = self._server
        if server is not None:
            try:
                server._task_group.spawn(server._initiate_server_close)
            except RuntimeError:
                pass  # its task group has finished: the connection is closed already


def _armed(context: WorkerContext) -> set[IdleTimer]:
    """The idle timers of a server, its shutdown watched from the first one on."""
    timers: set[IdleTimer] | None = context.__dict__.get(_ARMED)
    if timers is None:
        timers = context.__dict__[_ARMED] = set()
        watch = asyncio.get_running_loop().create_task(_close_at_shutdown(context, timers))
        context.__dict__[_WATCH] = watch  # held: the loop keeps only weak references to tasks
    return timers


async def _close_at_shutdown(context: WorkerContext, timers: set[IdleTimer]) -> None:
    """Close every idle connection of the server once it begins shutting down."""
    await context.terminated.wait()
    for timer in list(timers):
        timer._expire()


def install() -> None:
    """Give every new TCPServer an IdleTimer as its idle task."""
    tcp_server.AsyncioSingleTask = IdleTimer  # type: ignore[misc,assignment]
