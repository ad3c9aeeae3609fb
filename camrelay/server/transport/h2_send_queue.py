"""h2's queue of bytes to send, filled and handed out without copying DATA payloads.

h2 serializes a frame as its header joined to its body (a copy of the payload), appends that to
its bytearray (a second copy) and hands the queue out as bytes (a third): three copies of every
40 KB camera frame for every viewer before the kernel's own, and memmove was 12 % of the
server's CPU at 100 viewers of one camera (perf). Here an unpadded DATA frame's 9-byte header
and its payload go into the queue one after the other (one copy), every other frame as h2
serializes it, without a generator for the usual single frame; the queue is handed out as the
bytearray itself, a new one taking its place, so nothing writes to it again. The bytes on the
wire are h2's own (tests/server/test_h2_send_queue.py).
"""

from __future__ import annotations

import struct

from h2.connection import H2Connection
from hyperframe.frame import DataFrame, Frame

REPLACES = ((H2Connection, "_prepare_for_sending"), (H2Connection, "data_to_send"))
_HEADER = struct.Struct(">HBBBL")  # hyperframe's: length (24 bits), type, flags, stream id
_END_STREAM = 0x01
_original_data_to_send = H2Connection.data_to_send


def _queue(queue: bytearray, frame: Frame) -> None:
    """Append `frame`'s bytes to `queue`."""
    if type(frame) is DataFrame and not frame.pad_length and "PADDED" not in frame.flags:
        data = frame.data
        size = frame.body_len = len(data)
        flags = _END_STREAM if "END_STREAM" in frame.flags else 0
        queue += _HEADER.pack(size >> 8, size & 0xFF, 0x0, flags, frame.stream_id & 0x7FFFFFFF)
        queue += data
    else:
        queue += frame.serialize()


def _prepare_for_sending(self: H2Connection, frames: list[Frame]) -> None:
    """h2's: the frames' bytes queued for the socket."""
    queue = self._data_to_send
    for frame in frames:
        _queue(queue, frame)
    if __debug__:
        for frame in frames:
            assert frame.body_len <= self.max_outbound_frame_size


def data_to_send(self: H2Connection, amount: int | None = None) -> bytes:
    """h2's; everything queued is handed out as it is (a bytearray, never written again)."""
    if amount is not None:
        return _original_data_to_send(self, amount)
    data = self._data_to_send
    self._data_to_send = bytearray()
    return data  # type: ignore[return-value]  # bytes-like; every caller writes it out


def install() -> None:
    """Patch H2Connection's send queue."""
    H2Connection._prepare_for_sending = _prepare_for_sending  # type: ignore[method-assign]
    H2Connection.data_to_send = data_to_send  # type: ignore[method-assign]
