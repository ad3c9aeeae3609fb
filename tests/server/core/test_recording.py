"""The relay's own recording of a live stream and its snapshots, on the core alone: segments of
segment_s seconds, pause, stop, a stream that ends and starts again, records that decode."""

from __future__ import annotations

from collections.abc import AsyncIterator

import cv2
import numpy as np
import pytest

from camrelay.protocol.errors import NoChannel
from camrelay.protocol.framing import encode_frame
from camrelay.server.core.accounts import Account
from camrelay.server.core.bus import LocalBus
from camrelay.server.core.clock import ManualClock
from camrelay.server.core.recording import OFF, ON, PAUSE, Recorder
from camrelay.server.core.relay import Relay
from camrelay.server.core.streams import Producer
from tests.support.mjpeg import split_mjpeg
from tests.support.until import until

SEGMENT_S = 5.0


def jpeg(level: int) -> bytes:
    """A small real JPEG of one grey level."""
    ok, data = cv2.imencode(".jpg", np.full((24, 32, 3), level, np.uint8))
    assert ok
    return data.tobytes()


@pytest.fixture
async def recorder(relay: Relay, clock: ManualClock) -> AsyncIterator[Recorder]:
    rec = Recorder(relay.streams, relay.records, clock, SEGMENT_S, max_segment_bytes=1 << 20)
    yield rec
    await rec.close()


def camera(relay: Relay, owner: Account) -> Producer:
    """Start the device's upload as input.raw does."""
    return relay.streams.start(owner.id, "cam", "RAW_JPEG", 0, "session", lambda: None)


async def stored(relay: Relay, owner: Account, count: int) -> list[tuple[str, list[int]]]:
    """Wait for `count` records and return each one's meta and the grey levels of its frames."""

    async def listed() -> list[int]:
        entries = await relay.records.since(owner.id, "")
        return [e.rid for e in entries] if len(entries) >= count else []

    rids = await until(listed, what=f"{count} records")
    out = []
    for rid in rids:
        data = await relay.records.data(owner.id, rid, "test")
        assert data.stream is None
        levels = [int(round(float(im.mean()))) for im in split_mjpeg(data.whole)]
        out.append((data.meta, levels))
    return out


async def push(producer: Producer, clock: ManualClock, *grey: int) -> None:
    """One frame per second of the clock, each taken by the readers before the clock moves."""
    readers = producer.channel.readers
    for level in grey:
        producer.publish(encode_frame(jpeg(level)))
        await until(lambda: not any(r.queue for r in readers), what="frame taken")
        clock.advance(1.0)


async def test_segments_split_every_segment_s_of_stream(
    relay: Relay, owner: Account, clock: ManualClock, recorder: Recorder
) -> None:
    producer = camera(relay, owner)
    await recorder.start(owner.id, "cam")
    assert recorder.state(owner.id, "cam") == ON
    await push(producer, clock, *range(10, 130, 10))  # 12 frames, 12 s
    assert await stored(relay, owner, 2) == [
        ("MJPEG", [10, 20, 30, 40, 50]),
        ("MJPEG", [60, 70, 80, 90, 100]),
    ]
    await recorder.stop(owner.id, "cam")
    assert recorder.state(owner.id, "cam") == OFF
    assert [r[1] for r in await stored(relay, owner, 3)][2] == [110, 120]  # the tail
    assert recorder.counters.segments == 3
    producer.publish(encode_frame(jpeg(200)))  # after stop: not recorded
    await recorder.close()
    assert len(await relay.records.since(owner.id, "")) == 3


async def test_pause_stores_the_open_segment_and_holds_until_started_again(
    relay: Relay, owner: Account, clock: ManualClock, recorder: Recorder
) -> None:
    producer = camera(relay, owner)
    await recorder.start(owner.id, "cam")
    await push(producer, clock, 10, 20)
    await recorder.pause(owner.id, "cam")
    assert recorder.state(owner.id, "cam") == PAUSE
    assert not recorder.attached(owner.id, "cam")  # nothing held while paused
    await push(producer, clock, 30, 40, 50, 60, 70, 80)  # while paused: none kept
    await recorder.start(owner.id, "cam")  # pause_release
    await push(producer, clock, 90)
    await recorder.stop(owner.id, "cam")
    assert await stored(relay, owner, 2) == [("MJPEG", [10, 20]), ("MJPEG", [90])]


async def test_a_segment_over_max_bytes_is_stored_early(
    relay: Relay, owner: Account, clock: ManualClock
) -> None:
    frame = jpeg(100)
    rec = Recorder(relay.streams, relay.records, clock, SEGMENT_S, max_segment_bytes=3 * len(frame))
    producer = camera(relay, owner)
    await rec.start(owner.id, "cam")
    for _ in range(7):
        producer.publish(encode_frame(frame))  # no time passes: only the size splits
    await rec.close()
    assert [len(r[1]) for r in await stored(relay, owner, 3)] == [3, 3, 1]


async def test_recording_waits_for_the_stream_and_survives_its_restart(
    relay: Relay, owner: Account, clock: ManualClock, recorder: Recorder
) -> None:
    await recorder.start(owner.id, "cam")  # not streaming yet: waits
    assert not recorder.attached(owner.id, "cam")
    first = camera(relay, owner)
    await until(lambda: recorder.attached(owner.id, "cam"), what="recorder attached")
    await push(first, clock, 10, 20)
    first.finish()  # the camera goes away: the tail is stored
    assert await stored(relay, owner, 1) == [("MJPEG", [10, 20])]
    second = camera(relay, owner)  # and comes back
    await until(lambda: recorder.attached(owner.id, "cam"), what="recorder attached again")
    await push(second, clock, 30, 40)
    await recorder.stop(owner.id, "cam")
    assert await stored(relay, owner, 2) == [("MJPEG", [10, 20]), ("MJPEG", [30, 40])]


async def test_stop_while_waiting_for_the_stream_ends_cleanly(
    relay: Relay, owner: Account, recorder: Recorder
) -> None:
    await recorder.start(owner.id, "cam")
    bus = relay.bus
    assert isinstance(bus, LocalBus)
    await until(lambda: bus.subscribers, what="recorder waits on the bus")
    await recorder.stop(owner.id, "cam")
    assert (recorder.state(owner.id, "cam"), bus.subscribers) == (OFF, 0)
    assert await relay.records.since(owner.id, "") == []


async def test_snap_stores_the_newest_frame_as_a_jpeg(
    relay: Relay, owner: Account, clock: ManualClock, recorder: Recorder
) -> None:
    with pytest.raises(NoChannel) as refused:
        await recorder.snap(owner.id, "cam")
    assert refused.value.code == 13
    producer = camera(relay, owner)
    with pytest.raises(NoChannel):  # streaming, but no frame yet
        await recorder.snap(owner.id, "cam")
    await push(producer, clock, 10, 200)
    rid = await recorder.snap(owner.id, "cam")
    data = await relay.records.data(owner.id, rid, "test")
    image = cv2.imdecode(np.frombuffer(data.whole, np.uint8), cv2.IMREAD_GRAYSCALE)
    assert (data.meta, int(round(float(image.mean())))) == ("JPEG", 200)
    producer.finish()
    with pytest.raises(NoChannel):
        await recorder.snap(owner.id, "cam")


async def test_frames_beyond_the_readers_queue_are_dropped_and_counted(
    relay: Relay, owner: Account, clock: ManualClock
) -> None:
    frame = encode_frame(jpeg(100))
    relay.streams.reader_capacity = 4 * len(frame)  # the recorder's reader holds four frames
    rec = Recorder(relay.streams, relay.records, clock, SEGMENT_S)
    producer = camera(relay, owner)
    await rec.start(owner.id, "cam")
    for _ in range(10):  # all at once, before the recorder reads any
        producer.publish(frame)
    await rec.close()
    assert [len(r[1]) for r in await stored(relay, owner, 1)] == [4]
    assert rec.counters.dropped == 6 == relay.streams.totals.dropped
