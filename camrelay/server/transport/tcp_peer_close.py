"""Ends a Hypercorn 0.18 connection's task when its peer closes, not keep_alive_timeout later.

Hypercorn runs each connection in a task group that also holds an idle-timeout task sleeping
`keep_alive_timeout` (camrelay: 300 s). When the peer closes, the reader loop ends but the idle
task is only stopped in `_close()`, after the task group has waited for it: every closed
connection's protocol, TLS object and buffers (about 300 KB) stay in memory for the full
timeout, and a loop of connect-and-close grows the server by gigabytes with no login. Worse, a
stream that ends after the close reports the connection idle again and restarts the timer.
Here the idle task is stopped as soon as reading ends and is never restarted after that, so the
task ends within moments of the peer's close. The live tasks are counted for /metrics.
Closing also lets through only the errors Hypercorn expects: a TLS peer that goes on sending
after the server's close_notify (a client cut off with GOAWAY) raised SSLError out of the task
with a traceback in the log; that connection is simply gone.
"""

from __future__ import annotations

import ssl
from collections.abc import Awaitable, Callable
from typing import Any

from hypercorn.asyncio.tcp_server import TCPServer
from hypercorn.events import Event, Updated

REPLACES = (
    (TCPServer, "run"),
    (TCPServer, "_read_data"),
    (TCPServer, "_close"),
    (TCPServer, "protocol_send"),
)
_live = [0]


def live_connections() -> int:
    """Hypercorn connection tasks running in this process."""
    return _live[0]


def _patch_run(original: Callable[[TCPServer], Awaitable[None]]) -> Any:
    async def run(self: TCPServer) -> None:
        _live[0] += 1
        try:
            await original(self)
        finally:
            _live[0] -= 1

    return run


def _patch_read_data(original: Callable[[TCPServer], Awaitable[None]]) -> Any:
    async def read_data(self: TCPServer) -> None:
        try:
            await original(self)
        finally:
            self._camrelay_read_ended = True  # type: ignore[attr-defined]
            await self.idle_task.stop()

    return read_data


def _patch_protocol_send(original: Callable[[TCPServer, Event], Awaitable[None]]) -> Any:
    async def protocol_send(self: TCPServer, event: Event) -> None:
        if isinstance(event, Updated) and getattr(self, "_camrelay_read_ended", False):
            return  # nothing left to time out: the peer is gone
        await original(self, event)

    return protocol_send


def _patch_close(original: Callable[[TCPServer], Awaitable[None]]) -> Any:
    async def close(self: TCPServer) -> None:
        try:
            await original(self)
        except (ssl.SSLError, OSError):
            pass  # the peer broke the TLS close: nothing left to do with the connection

    return close


def install() -> None:
    """Patch TCPServer."""
    TCPServer.run = _patch_run(TCPServer.run)  # type: ignore[method-assign]
    TCPServer._read_data = _patch_read_data(TCPServer._read_data)  # type: ignore[method-assign]
    TCPServer._close = _patch_close(TCPServer._close)  # type: ignore[method-assign]
    TCPServer.protocol_send = _patch_protocol_send(TCPServer.protocol_send)  # type: ignore[method-assign]
