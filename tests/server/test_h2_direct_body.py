"""PUSH_BODY (h2_direct_body): once an HTTP/2 response's headers are out, a chunk goes into
the stream's send buffer and wakes the send task without waiting; refused when the stream is
not open or DIRECT_MAX bytes already wait (the caller then takes the ASGI send)."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Callable

import pytest
from hypercorn.asyncio.worker_context import WorkerContext
from hypercorn.config import Config
from hypercorn.protocol.h2 import H2Protocol
from hypercorn.protocol.http_stream import HTTPStream

from camrelay.server.transport import guard
from camrelay.server.transport.h2_direct_body import DIRECT_MAX, PUSH_BODY
from tests.server.test_h2_batched_writes import STREAMS, Wire, one_round, protocol_with_streams

START = {"type": "http.response.start", "status": 200, "headers": []}


@pytest.fixture(autouse=True)
def installed() -> None:
    """PUSH_BODY fills the send buffer as h2_backpressure keeps it."""
    guard.install(["h2_backpressure", "h2_batched_writes", "h2_direct_body"])


async def answered(proto: H2Protocol, stream_id: int, method: str = "GET") -> HTTPStream:
    """The stream's HTTPStream after its app sent the response headers."""
    stream = HTTPStream(
        None,  # type: ignore[arg-type]
        Config(),
        WorkerContext(None),
        None,  # type: ignore[arg-type]
        True,
        None,
        None,
        proto.stream_send,
        stream_id,
    )
    stream.scope = {"method": method, "extensions": {}}  # type: ignore[typeddict-item]
    proto.streams[stream_id] = stream  # as Hypercorn holds a stream it serves
    await stream.app_send(START)  # type: ignore[arg-type]
    return stream


def push_of(stream: HTTPStream) -> Callable[[bytes], bool]:
    return stream.scope["extensions"][PUSH_BODY]  # type: ignore[return-value]


async def test_pushed_chunks_leave_in_the_send_tasks_next_write_in_order() -> None:
    wire = Wire()
    proto = await protocol_with_streams(wire, answered=False)
    pushes = [push_of(await answered(proto, stream_id)) for stream_id in STREAMS]
    wire.events(b"".join(wire.writes))  # the response headers
    wire.writes.clear()
    for push, stream_id in zip(pushes, STREAMS, strict=True):
        assert push(b"a%d" % stream_id) and push(b"b%d" % stream_id)
    assert proto.has_data.is_set()
    await one_round(proto, wire)
    assert len(wire.writes) == 1
    got: dict[int, list[bytes]] = {stream_id: [] for stream_id in STREAMS}
    for event in wire.events(wire.writes[0]):
        got[event.stream_id].append(event.data)
    assert got == {s: [b"a%d" % s, b"b%d" % s] for s in STREAMS}


async def test_refused_when_enough_waits_or_the_stream_is_done() -> None:
    wire = Wire()
    proto = await protocol_with_streams(wire, answered=False)
    full, closed, complete = [await answered(proto, stream_id) for stream_id in STREAMS]
    assert push_of(full)(bytes(DIRECT_MAX))  # under the mark: taken, however large
    assert not push_of(full)(b"x")  # a window that stays closed holds no more than that
    closed.closed = True
    assert not push_of(closed)(b"x")
    proto.stream_buffers[complete.stream_id].set_complete()
    assert not push_of(complete)(b"x")


async def test_no_push_body_for_a_head_answer() -> None:
    proto = await protocol_with_streams(Wire(), answered=False)
    stream = await answered(proto, STREAMS[0], method="HEAD")
    assert PUSH_BODY not in stream.scope["extensions"]


async def test_the_pusher_does_not_keep_its_stream_alive() -> None:
    """The stream holds the scope that holds the pusher: a strong reference back would be a
    cycle, leaving every answered stream to the garbage collector."""
    proto = await protocol_with_streams(Wire(), answered=False)
    stream = await answered(proto, STREAMS[0])
    push, gone = push_of(stream), weakref.ref(stream)
    gc.disable()
    try:
        del stream, proto.streams[STREAMS[0]]
        assert gone() is None  # freed by its reference count, no collection
    finally:
        gc.enable()
    assert not push(b"late")
