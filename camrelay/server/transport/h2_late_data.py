"""Keeps Hypercorn 0.18's HTTP/2 connection alive when a stream's request body goes on after
its response has ended (upstream issue pgjones/hypercorn#329), and resets such a stream.

Hypercorn forgets a stream once its response is complete; DATA that the client still sends on
it then raises KeyError and the whole connection, with every other stream on it, is dropped.
That is exactly what happens when camrelay answers an error on an endless `input.raw` upload or
rejects a record before reading it. Here such late DATA is acknowledged for flow control, and
a stream whose response ended while the client could still send is reset with NO_ERROR, as
RFC 9113 section 8.1 prescribes for a server that answered before the request was complete:
the client stops uploading, and the stream no longer counts against the connection's limit.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import h2.errors
import h2.events
import h2.exceptions
from h2.stream import StreamState
from hypercorn.protocol.events import StreamClosed
from hypercorn.protocol.h2 import H2Protocol

_LateEvent = h2.events.DataReceived | h2.events.StreamEnded
REPLACES = ((H2Protocol, "_handle_events"), (H2Protocol, "stream_send"))


def end_early_answer(protocol: H2Protocol, stream_id: int) -> None:
    """If the client may still send on a stream whose response is complete: END_STREAM
    (unless sent already), then RST_STREAM(NO_ERROR). Streams the client ended are left alone."""
    stream = protocol.connection.streams.get(stream_id)
    if stream is None or stream.closed:
        return
    state = stream.state_machine.state
    if state is StreamState.HALF_CLOSED_REMOTE:
        return  # an ordinary request: Hypercorn's send task ends the stream
    try:
        if state is StreamState.OPEN:
            protocol.connection.end_stream(stream_id)  # all data is queued: the answer is whole
        protocol.connection.reset_stream(stream_id, h2.errors.ErrorCodes.NO_ERROR)
    except (h2.exceptions.StreamClosedError, h2.exceptions.ProtocolError):
        pass  # closed meanwhile: nothing more to say on it


def _patch_handle_events(original: Callable[[Any, list[Any]], Awaitable[None]]) -> Any:
    async def handle_events(self: H2Protocol, events: list[h2.events.Event]) -> None:
        # One event at a time: a stream may close while an earlier event is being handled.
        for event in events:
            if isinstance(event, _LateEvent) and event.stream_id not in self.streams:
                if isinstance(event, h2.events.DataReceived):
                    self.connection.acknowledge_received_data(
                        event.flow_controlled_length, event.stream_id
                    )
                end_early_answer(self, event.stream_id)
                await self._flush()
            else:
                await original(self, [event])

    return handle_events


def _patch_stream_send(original: Callable[[Any, Any], Awaitable[None]]) -> Any:
    async def stream_send(self: H2Protocol, event: Any) -> None:
        await original(self, event)
        if isinstance(event, StreamClosed) and not self.closed:
            end_early_answer(self, event.stream_id)
            await self._flush()

    return stream_send


def install() -> None:
    """Patch H2Protocol (once per process: see transport.guard)."""
    H2Protocol._handle_events = _patch_handle_events(H2Protocol._handle_events)  # type: ignore[method-assign]
    H2Protocol.stream_send = _patch_stream_send(H2Protocol.stream_send)  # type: ignore[method-assign]
