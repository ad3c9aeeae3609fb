"""A WebSocket text message written straight to its connection, for broadcasts to many sockets.

Hypercorn sends each message through the app's ASGI send, wsproto and its protocol layers: at
100 state-sync sockets that path was the largest cost of a broadcast (py-spy: a fifth of the
server's samples, more than the socket writes themselves), and every socket's sender task had
to wake for it. After the accept of an HTTP/1.1 WebSocket the scope's extensions carry
SEND_TEXT, a plain function that frames one text message and queues it on the connection's
batched write (tcp_write_batch), in order with everything Hypercorn writes, when the socket is
open and its connection not backed up; it answers False otherwise and the caller takes the
ordinary path (which waits for the connection to drain). Over HTTP/2 (RFC 8441) there is none.
The function holds its stream and server weakly, so the scope that holds it makes no reference
cycle: a closed socket's objects are freed at once, not by the garbage collector.
"""

from __future__ import annotations

import weakref
from collections.abc import Awaitable, Callable
from typing import Any

from hypercorn.asyncio.tcp_server import TCPServer
from hypercorn.protocol.h11 import H11Protocol
from hypercorn.protocol.ws_stream import ASGIWebsocketState, WSStream
from wsproto.connection import ConnectionState

from .tcp_write_batch import WRITE_NOW, queue_write

REPLACES = ((WSStream, "_accept"),)
SEND_TEXT = "camrelay.websocket.send_text"  # the scope extension: (*texts) -> bool
TEXT_FIN = 0x81  # FIN + opcode 1; a server's frames are not masked (RFC 6455 §5.1)
_sent = [0]  # messages written directly, since start
_last: list[Any] = [(), b""]  # the last texts written and their frames


def sent_direct() -> int:
    """WebSocket messages written straight to their connection since start (metrics)."""
    return _sent[0]


def frame(payload: bytes) -> bytes:
    """One unfragmented, unmasked text frame (RFC 6455 §5.2)."""
    size = len(payload)
    if size < 126:
        return bytes((TEXT_FIN, size)) + payload
    if size < 1 << 16:
        return bytes((TEXT_FIN, 126)) + size.to_bytes(2, "big") + payload
    return bytes((TEXT_FIN, 127)) + size.to_bytes(8, "big") + payload


def _sender(stream: WSStream, server: TCPServer) -> Callable[[str], bool]:
    stream_ref, server_ref = weakref.ref(stream), weakref.ref(server)
    del stream, server

    def send_text(*texts: str) -> bool:
        """Write `texts` as one write of one frame each, all or none."""
        stream, server = stream_ref(), server_ref()
        if (
            stream is None
            or server is None
            or stream.closed
            or stream.state != ASGIWebsocketState.CONNECTED
            or stream.connection.state != ConnectionState.OPEN
        ):
            return False
        transport = server.writer.transport
        if transport.is_closing() or transport.get_write_buffer_size() > WRITE_NOW:
            return False
        if texts != _last[0]:  # one broadcast hands the same texts to many sockets
            _last[:] = [texts, b"".join(frame(text.encode()) for text in texts)]
        # A broadcast's frames go out as they are made: a write now per socket, not a callback
        # per socket at the end of the turn (nothing else of this connection waits before it).
        queue_write(server, _last[1], now=True)
        _sent[0] += len(texts)
        return True

    return send_text


def _patch_accept(original: Callable[[WSStream, Any], Awaitable[None]]) -> Any:
    async def _accept(self: WSStream, message: Any) -> None:
        await original(self, message)
        protocol = getattr(self.send, "__self__", None)
        server = getattr(getattr(protocol, "send", None), "__self__", None)
        if isinstance(protocol, H11Protocol) and isinstance(server, TCPServer):
            self.scope["extensions"][SEND_TEXT] = _sender(self, server)  # type: ignore[index, assignment]

    return _accept


def install() -> None:
    """Patch WSStream."""
    WSStream._accept = _patch_accept(WSStream._accept)  # type: ignore[method-assign]
