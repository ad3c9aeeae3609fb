"""One socket write per connection per turn of the event loop, not one per HTTP/2 flush.

Hypercorn writes each flush of h2's output at once: an answer's HEADERS, then its DATA, each
its own TLS record and send() call, so a .json answer costs two or three writes and at 100
requests in flight the writes were the largest single cost (18 % of the server's samples on
heartBit, py-spy). Here what the connection's streams flush in one turn of the loop is joined
and written at its end, in order, and before the connection closes. Back-pressure is as before:
past WRITE_NOW bytes waiting the bytes go out at once, and each sender waits on drain().
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from hypercorn.asyncio.tcp_server import TCPServer
from hypercorn.events import Closed, Event, RawData

REPLACES = ((TCPServer, "protocol_send"), (TCPServer, "_close"))
WRITE_NOW = 64 << 10  # asyncio's own high-water mark: no more than that waits for the turn's end
_OUT = "_camrelay_out"


def _write_out(server: TCPServer) -> None:
    """Write what the connection's streams flushed since the last write."""
    pending: list[bytes] | None = server.__dict__.pop(_OUT, None)
    if pending:
        try:
            server.writer.write(pending[0] if len(pending) == 1 else b"".join(pending))
        except (ConnectionError, RuntimeError):
            pass  # the connection is gone; its reader sees that and closes it


def queue_write(server: TCPServer, data: bytes, now: bool = False) -> None:
    """Join `data` to what the connection writes at the end of this turn of the loop (at once
    past WRITE_NOW bytes waiting, or with `now` when nothing waits before it); never waits."""
    pending: list[bytes] | None = server.__dict__.get(_OUT)
    if pending is None and now:
        try:
            server.writer.write(data)
        except (ConnectionError, RuntimeError):
            pass  # the connection is gone; its reader sees that and closes it
        return
    if pending is None:
        pending = server.__dict__[_OUT] = [data]
        asyncio.get_running_loop().call_soon(_write_out, server)
    else:
        pending.append(data)
    if sum(map(len, pending)) > WRITE_NOW:
        _write_out(server)


def _patch_protocol_send(original: Callable[[TCPServer, Event], Awaitable[None]]) -> Any:
    async def protocol_send(self: TCPServer, event: Event) -> None:
        if not isinstance(event, RawData):
            await original(self, event)
            return
        queue_write(self, event.data)
        try:
            await self.writer.drain()
        except (ConnectionError, RuntimeError):
            await self.protocol.handle(Closed())

    return protocol_send


def _patch_close(original: Callable[[TCPServer], Awaitable[None]]) -> Any:
    async def close(self: TCPServer) -> None:
        _write_out(self)  # a GOAWAY or a last answer goes out before the close
        await original(self)

    return close


def install() -> None:
    """Patch TCPServer."""
    TCPServer.protocol_send = _patch_protocol_send(TCPServer.protocol_send)  # type: ignore[method-assign]
    TCPServer._close = _patch_close(TCPServer._close)  # type: ignore[method-assign]
