"""The send task writes every ready stream's DATA in one write per round (h2_batched_writes),
in priority order, and still ends a complete stream and stops at a closed window."""

from __future__ import annotations

import asyncio

import h2.config
import h2.connection
import h2.events
from hypercorn.asyncio.worker_context import EventWrapper, WorkerContext
from hypercorn.config import Config
from hypercorn.events import Event, RawData
from hypercorn.protocol.h2 import H2Protocol, StreamBuffer

from camrelay.server.transport import h2_batched_writes

STREAMS = (1, 3, 5)


class Wire:
    """The protocol's writes, read back by an h2 client."""

    def __init__(self) -> None:
        self.writes: list[bytes] = []
        self.client = h2.connection.H2Connection(
            h2.config.H2Configuration(client_side=True, header_encoding=None)
        )
        self.client.initiate_connection()

    async def send(self, event: Event) -> None:
        if isinstance(event, RawData):
            self.writes.append(event.data)

    def events(self, data: bytes) -> list[h2.events.Event]:
        return self.client.receive_data(data)


async def protocol_with_streams(wire: Wire, answered: bool = True) -> H2Protocol:
    """A server protocol whose client opened STREAMS (each a GET), their send buffers empty
    (and their response headers sent, if `answered`)."""
    proto = H2Protocol(
        None,
        Config(),
        WorkerContext(None),
        None,
        None,
        True,
        None,
        None,
        wire.send,  # type: ignore[arg-type]
    )
    proto.connection.initiate_connection()
    for stream_id in STREAMS:
        wire.client.send_headers(
            stream_id,
            [(":method", "GET"), (":path", "/"), (":scheme", "https"), (":authority", "x")],
            end_stream=True,
        )
    proto.connection.receive_data(wire.client.data_to_send())
    for stream_id in STREAMS:
        if answered:
            proto.connection.send_headers(stream_id, [(":status", "200")])
        proto.stream_buffers[stream_id] = StreamBuffer(EventWrapper)
        proto.priority.insert_stream(stream_id)
        proto.priority.block(stream_id)
    wire.events(proto.connection.data_to_send())
    return proto


async def hand_over(proto: H2Protocol, stream_id: int, data: bytes, last: bool = False) -> None:
    """What Hypercorn's stream_send does with a response body chunk."""
    proto.priority.unblock(stream_id)
    await proto.stream_buffers[stream_id].push(data)
    if last:
        proto.stream_buffers[stream_id].set_complete()
    await proto.has_data.set()


async def one_round(proto: H2Protocol, wire: Wire) -> None:
    """Run the send task until it wrote and waits for more data, then stop it."""
    task = asyncio.create_task(h2_batched_writes._send_task(proto))
    async with asyncio.timeout(5):
        while not wire.writes or proto.has_data.is_set():
            await asyncio.sleep(0)
    proto.closed = True
    await proto.has_data.set()
    await task


async def test_ready_streams_leave_in_one_write_in_priority_order() -> None:
    wire = Wire()
    proto = await protocol_with_streams(wire)
    for stream_id in STREAMS:
        await hand_over(proto, stream_id, b"frame-%d" % stream_id, last=stream_id == 5)
    await one_round(proto, wire)
    assert len(wire.writes) == 1
    seen = [
        (type(e).__name__, e.stream_id, getattr(e, "data", b""))
        for e in wire.events(wire.writes[0])
    ]
    assert seen == [
        ("DataReceived", 1, b"frame-1"),
        ("DataReceived", 3, b"frame-3"),
        ("DataReceived", 5, b"frame-5"),
        ("DataReceived", 5, b""),  # h2 ends a stream with an empty DATA frame
        ("StreamEnded", 5, b""),
    ]
    assert 5 not in proto.stream_buffers  # the complete stream is forgotten
