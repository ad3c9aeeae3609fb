"""Two gaps of Hypercorn 0.18 around streams a client resets (the HTTP/2 rapid-reset attack).

- A stream the client resets before its response has begun keeps its send buffer and its node
  in the priority tree for the life of the connection: nothing ever completes the buffer. Here
  the buffer is closed at the reset, so the send task drops both on its next turn.
- Past 1,000 streams in the priority tree (a client opening and resetting streams faster than
  they are answered), the priority library raises TooManyStreamsError out of Hypercorn: the
  connection dies with a 30-line traceback in the log, one per attacking connection. And
  every reset stream has already cost a request's work. Here a client that resets more than
  RESETS_PER_S streams a second (a burst of as many allowed), or reaches that limit anyway, is
  treated as the protocol abuse it is: GOAWAY(ENHANCE_YOUR_CALM), the connection closed, the
  rest of what it sent ignored, and one warning line at most every 10 s.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

import h2.errors
import h2.events
import priority
from hypercorn.events import Closed
from hypercorn.protocol.h2 import H2Protocol

from ..core.frame_rate import FrameRate
from ..throttled_log import ThrottledLog

RESETS_PER_S = 100

_flood_log = ThrottledLog(logging.getLogger("camrelay.h2"))
REPLACES = ((H2Protocol, "_handle_events"), (H2Protocol, "_create_stream"))


async def _drop_send_buffer(protocol: H2Protocol, stream_id: int) -> None:
    buffer = protocol.stream_buffers.get(stream_id)
    if buffer is None:
        return
    await buffer.close()  # complete and empty: the send task forgets the stream
    try:
        protocol.priority.unblock(stream_id)
    except priority.MissingStreamError:
        return
    await protocol.has_data.set()


def _resets(protocol: H2Protocol) -> FrameRate:
    """The connection's budget of client resets."""
    budget = getattr(protocol, "_camrelay_resets", None)
    if budget is None:
        budget = FrameRate(RESETS_PER_S)
        protocol._camrelay_resets = budget  # type: ignore[attr-defined]
    return budget


async def _go_away(protocol: H2Protocol, why: str) -> None:
    """GOAWAY(ENHANCE_YOUR_CALM), close, ignore the rest; one warning line per 10 s."""
    protocol._camrelay_flooded = True  # type: ignore[attr-defined]
    _flood_log.warning(
        "HTTP/2 client %s %s (rapid reset?): GOAWAY and closed",
        (protocol.client or ("?",))[0],
        why,
    )
    protocol.connection.close_connection(h2.errors.ErrorCodes.ENHANCE_YOUR_CALM)
    await protocol._flush()
    await protocol.send(Closed())


def _patch_handle_events(original: Callable[[Any, list[Any]], Awaitable[None]]) -> Any:
    async def handle_events(self: H2Protocol, events: list[h2.events.Event]) -> None:
        for event in events:
            if getattr(self, "_camrelay_flooded", False):
                return  # after our GOAWAY: the rest of the flood is ignored
            await original(self, [event])
            if isinstance(event, h2.events.StreamReset) and event.remote_reset:
                await _drop_send_buffer(self, event.stream_id)
                if not _resets(self).take():
                    await _go_away(self, f"reset over {RESETS_PER_S} streams a second")

    return handle_events


def _patch_create_stream(original: Callable[[Any, Any], Awaitable[None]]) -> Any:
    async def create_stream(self: H2Protocol, request: h2.events.RequestReceived) -> None:
        try:
            await original(self, request)
        except priority.TooManyStreamsError:
            self.streams.pop(request.stream_id, None)
            self.stream_buffers.pop(request.stream_id, None)
            await _go_away(self, "opened over 1000 streams at once")

    return create_stream


def install() -> None:
    """Patch H2Protocol (after h2_late_data, whose per-event loop it wraps)."""
    H2Protocol._handle_events = _patch_handle_events(H2Protocol._handle_events)  # type: ignore[method-assign]
    H2Protocol._create_stream = _patch_create_stream(H2Protocol._create_stream)  # type: ignore[method-assign]
