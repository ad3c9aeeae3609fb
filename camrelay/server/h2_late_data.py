"""Keeps Hypercorn 0.18's HTTP/2 connection alive when a stream's request body goes on after
its response has ended (upstream issue pgjones/hypercorn#329).

Hypercorn forgets a stream once its response is complete; DATA that the client still sends on
it then raises KeyError and the whole connection with every other stream on it is dropped.
That is exactly what happens when camrelay answers an error on an endless `input.raw` upload or
rejects an oversized record before reading it. Here such late DATA is acknowledged for flow
control and the stream is reset with NO_ERROR, as RFC 9113 section 8.1 prescribes for a server
that has answered before the request was complete.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import h2.errors
import h2.events
import h2.exceptions
from hypercorn.protocol.h2 import H2Protocol

_Handle = Callable[[Any, list[h2.events.Event]], Awaitable[None]]
_installed: list[_Handle] = []


_LateEvent = h2.events.DataReceived | h2.events.StreamEnded


def _refuse_late(protocol: H2Protocol, event: _LateEvent) -> None:
    connection = protocol.connection
    if isinstance(event, h2.events.DataReceived):
        connection.acknowledge_received_data(event.flow_controlled_length, event.stream_id)
    try:
        connection.reset_stream(event.stream_id, h2.errors.ErrorCodes.NO_ERROR)
    except (h2.exceptions.StreamClosedError, h2.exceptions.ProtocolError):
        pass  # already closed or reset: nothing more to say on it


def install() -> None:
    """Patch H2Protocol._handle_events once per process."""
    if _installed:
        return
    original: _Handle = H2Protocol._handle_events
    _installed.append(original)

    async def handle_events(self: H2Protocol, events: list[h2.events.Event]) -> None:
        # One event at a time: a stream may close while an earlier event is being handled.
        for event in events:
            if isinstance(event, _LateEvent) and event.stream_id not in self.streams:
                _refuse_late(self, event)
                await self._flush()
            else:
                await original(self, [event])

    H2Protocol._handle_events = handle_events  # type: ignore[method-assign]
