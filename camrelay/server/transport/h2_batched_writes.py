"""One socket write per HTTP/2 connection per round of ready streams, not one per DATA frame.

Hypercorn's send task takes one stream's chunk, frames it and writes it to the transport at
once: over TLS a record, an encryption call and a send() syscall per stream per chunk. With many
viewers of one camera on a connection, a frame costs a write per viewer: py-spy put 32 % of the
server's samples in those writes at 100 viewers (most of it per byte: encryption and the copy
into the socket; a batch saves the per-call part). Here the send task frames every ready stream's
chunk (in the same priority order) and writes what they make together when no stream has more
to give, or every FLUSH_BYTES so one write never holds more than that. Flow control, priorities,
the end of a stream and the back-pressure of a full transport (drain) are unchanged.
"""

from __future__ import annotations

import h2.exceptions
import priority
from hypercorn.protocol.h2 import H2Protocol

FLUSH_BYTES = 256 << 10
REPLACES = ((H2Protocol, "send_task"), (H2Protocol, "_send_data"))


async def _send_task(self: H2Protocol) -> None:
    pending = 0  # bytes framed since the last write
    while not self.closed:
        try:
            stream_id = next(self.priority)
        except priority.DeadlockError:
            pending = 0
            await self._flush()  # the round's frames, every stream's, in one write
            await self.has_data.wait()
            await self.has_data.clear()
        else:
            pending += await _frame_chunk(self, stream_id)
            if pending >= FLUSH_BYTES:
                pending = 0
                await self._flush()


async def _frame_chunk(self: H2Protocol, stream_id: int) -> int:
    """Hypercorn's _send_data without its writes: frame one chunk of the stream (ending the
    stream once its buffer is complete); returns the bytes framed."""
    buffers = self.stream_buffers
    try:
        chunk_size = min(
            self.connection.local_flow_control_window(stream_id),
            self.connection.max_outbound_frame_size,
        )
        data = await buffers[stream_id].pop(max(0, chunk_size))
        if data:
            self.connection.send_data(stream_id, data)
        else:
            self.priority.block(stream_id)
        if buffers[stream_id].complete:
            self.connection.end_stream(stream_id)
            del buffers[stream_id]
            self.priority.remove_stream(stream_id)
        return len(data)
    except (h2.exceptions.StreamClosedError, KeyError, h2.exceptions.ProtocolError):
        # The stream or the connection closed while the chunk waited: drop the stream.
        buffer = buffers.pop(stream_id, None)
        if buffer is not None:
            await buffer.close()
        try:
            self.priority.remove_stream(stream_id)
        except priority.MissingStreamError:
            pass
        return 0


async def _send_data(self: H2Protocol, stream_id: int) -> None:
    """Hypercorn's one-stream send, for any caller outside the send task: frame and write."""
    await _frame_chunk(self, stream_id)
    await self._flush()


def install() -> None:
    """Patch H2Protocol's send task."""
    H2Protocol.send_task = _send_task  # type: ignore[method-assign]
    H2Protocol._send_data = _send_data  # type: ignore[method-assign]
