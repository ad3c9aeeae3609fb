"""A response body chunk put straight into its HTTP/2 stream's send buffer, for live fan-out.

Each chunk of a streamed response goes through the app's ASGI send, Hypercorn's HTTPStream and
H2Protocol.stream_send, and since a 40 KB camera frame is above the buffer's high-water mark,
the viewer's task then waits until the connection's send task has taken it: two task wake-ups
and the whole ASGI path per viewer per frame, the largest part of the server's CPU at 100
viewers of one camera once the writes were batched (py-spy). After the response headers of an
HTTP/2 stream the scope's extensions carry PUSH_BODY, a plain function that appends one chunk
to the stream's buffer and wakes the connection's send task, when the stream is open and less
than DIRECT_MAX bytes wait in its buffer; it answers False otherwise and the caller takes the
ordinary path (which waits for the buffer to drain). Flow control, priorities and the end of
the stream are the send task's, as before. HTTP/1.1 responses get none. The buffer is the one
h2_backpressure keeps (installed before this fix). The function holds its stream weakly: the
stream holds the scope that holds the function, and that cycle would leave every JSON answer's
stream, its app queue and task state to the garbage collector (py-spy and gc callbacks: gen-0
collections freeing ~20 streams each, and streams promoted under load then freed by 45 ms full
collections that stalled every request in flight).
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Awaitable, Callable
from typing import Any

import priority
from hypercorn.asyncio.worker_context import EventWrapper
from hypercorn.protocol.h2 import H2Protocol, StreamBuffer
from hypercorn.protocol.http_stream import ASGIHTTPState, HTTPStream
from hypercorn.utils import suppress_body

from .h2_backpressure import append

REPLACES = ((HTTPStream, "app_send"),)
PUSH_BODY = "camrelay.h2.push_body"  # the scope extension: (chunk) -> bool
# Unsent bytes in a stream's buffer past which a chunk takes the ordinary path: a viewer whose
# window is closed holds at most this much here (its own queue, bounded, takes the rest).
DIRECT_MAX = 64 << 10


def _raw(event: object) -> asyncio.Event:
    """The asyncio.Event inside Hypercorn's EventWrapper (its set and clear are coroutines)."""
    inner = getattr(event, "_event", None)
    if not isinstance(inner, asyncio.Event):
        raise TypeError(f"not an asyncio EventWrapper: {event!r}")
    return inner


def _pusher(stream: HTTPStream, protocol: H2Protocol) -> Callable[[bytes], bool]:
    stream_id = stream.stream_id
    has_data = _raw(protocol.has_data)
    stream_ref = weakref.ref(stream)
    del stream

    def push_body(chunk: bytes) -> bool:
        """Queue `chunk` on the stream without waiting; False if it must take the ASGI send."""
        stream = stream_ref()
        if (
            stream is None
            or stream.closed
            or protocol.closed
            or stream.state != ASGIHTTPState.RESPONSE
        ):
            return False
        buffer: StreamBuffer | None = protocol.stream_buffers.get(stream_id)
        if buffer is None or buffer._complete or buffer._size >= DIRECT_MAX:  # type: ignore[attr-defined]
            return False
        try:
            protocol.priority.unblock(stream_id)
        except priority.MissingStreamError:
            return False
        append(buffer, chunk)
        _raw(buffer._is_empty).clear()  # type: ignore[attr-defined]
        has_data.set()
        return True

    return push_body


def _patch_app_send(original: Callable[[HTTPStream, Any], Awaitable[None]]) -> Any:
    async def app_send(self: HTTPStream, message: Any) -> None:
        await original(self, message)
        if (
            message is not None
            and message["type"] == "http.response.start"
            and self.state == ASGIHTTPState.RESPONSE
            and not suppress_body(self.scope["method"], int(self.response["status"]))
        ):
            protocol = getattr(self.send, "__self__", None)
            if isinstance(protocol, H2Protocol) and isinstance(protocol.has_data, EventWrapper):
                self.scope["extensions"][PUSH_BODY] = _pusher(self, protocol)  # type: ignore[index, assignment]

    return app_send


def install() -> None:
    """Patch HTTPStream."""
    HTTPStream.app_send = _patch_app_send(HTTPStream.app_send)  # type: ignore[method-assign]
