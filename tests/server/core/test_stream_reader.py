"""A viewer's queue hands frames straight to its connection only while nothing of it waits
before them, so frames never overtake each other whichever way they leave."""

from __future__ import annotations

from camrelay.server.core.stream_reader import Counters, Reader


class Connection:
    """A stand-in for PUSH_BODY: takes frames while `open`."""

    def __init__(self) -> None:
        self.open = True
        self.taken: list[bytes] = []

    def push(self, frame: bytes) -> bool:
        if self.open:
            self.taken.append(frame)
        return self.open


def reader_on(connection: Connection, capacity: int = 1000) -> Reader:
    return Reader(capacity, Counters(), direct=connection.push)


async def test_a_frame_goes_straight_out_when_nothing_waits() -> None:
    connection = Connection()
    reader = reader_on(connection)
    reader.offer(b"one")
    reader.offer(b"two")
    assert connection.taken == [b"one", b"two"]
    assert not reader.queue
    assert (reader.frames_out, reader.bytes_out, reader.totals.direct) == (2, 6, 2)


async def test_once_a_frame_is_queued_the_next_ones_queue_behind_it() -> None:
    connection = Connection()
    reader = reader_on(connection)
    connection.open = False  # the stream's buffer is full
    reader.offer(b"one")
    connection.open = True
    reader.offer(b"two")  # the connection would take it, but "one" waits
    assert connection.taken == []
    batches = reader.batches()
    assert await anext(batches) == b"onetwo"
    assert reader.totals.direct == 0


async def test_no_frame_goes_straight_out_while_a_batch_is_on_its_way() -> None:
    connection = Connection()
    reader = reader_on(connection)
    connection.open = False
    reader.offer(b"one")
    connection.open = True
    batches = reader.batches()
    assert await anext(batches) == b"one"  # taken, not yet sent: the task's send is pending
    reader.offer(b"two")
    assert connection.taken == []
    reader.end()
    assert [batch async for batch in batches] == [b"two"]


async def test_queued_frames_still_lose_the_oldest_when_full() -> None:
    connection = Connection()
    reader = reader_on(connection, capacity=6)
    connection.open = False  # a viewer whose window is closed
    for frame in (b"aaa", b"bbb", b"ccc"):
        reader.offer(frame)
    assert list(reader.queue) == [b"bbb", b"ccc"]
    assert (reader.dropped, reader.totals.dropped) == (1, 1)


async def test_an_ended_reader_hands_nothing_straight_out() -> None:
    connection = Connection()
    reader = reader_on(connection)
    reader.end()
    reader.offer(b"late")
    assert connection.taken == []
