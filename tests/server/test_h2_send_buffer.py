"""Hypercorn's per-stream send buffer as h2_backpressure leaves it: chunks handed over as they
were pushed (no copy when a pop takes a whole one), bytes in order across partial pops."""

from __future__ import annotations

from hypercorn.asyncio.worker_context import EventWrapper
from hypercorn.protocol.h2 import StreamBuffer

from camrelay.server.transport import guard


async def test_a_whole_chunk_is_handed_over_and_partial_pops_keep_the_order() -> None:
    guard.install(["h2_backpressure"])
    buffer = StreamBuffer(EventWrapper)
    frame = bytes(range(200)) * 5
    await buffer.push(frame)
    await buffer.push(b"tail")
    assert await buffer.pop(4096) is frame
    buffer.set_complete()
    assert not buffer.complete
    assert [await buffer.pop(3), await buffer.pop(3)] == [b"tai", b"l"]
    assert buffer.complete
    assert await buffer.pop(3) == b""


async def test_a_partial_pop_of_a_large_chunk() -> None:
    guard.install(["h2_backpressure"])
    buffer = StreamBuffer(EventWrapper)
    await buffer.push(b"0123456789")
    assert await buffer.pop(0) == b""
    assert [await buffer.pop(4), await buffer.pop(4), await buffer.pop(4)] == [
        b"0123",
        b"4567",
        b"89",
    ]
    assert not buffer.complete  # not set complete
    await buffer.close()
    assert buffer.complete
