"""The event bus: order per publisher, slow subscribers lose only their own oldest events,
cancelled subscribers leave nothing behind, and every core service publishes what happened."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass

import pytest

from camrelay.protocol.errors import NoChannel, NoSuchSession
from camrelay.server.core.accounts import Account
from camrelay.server.core.bus import (
    ConfigChanged,
    Event,
    LocalBus,
    MessageAdded,
    RecordAdded,
    RecordsDeleted,
    SessionEnded,
    SessionOpened,
    StreamGone,
    StreamReady,
    ViewerAsked,
    ViewerAttached,
    ViewerLeft,
)
from camrelay.server.core.clock import ManualClock
from camrelay.server.core.messages import NewMessage
from camrelay.server.core.relay import Relay
from camrelay.server.core.sessions import public_id
from camrelay.server.core.streams import SESSION_ENDED
from tests.support.bus_events import queued
from tests.support.identities import admin_of
from tests.support.until import until

ADDRESS = "127.0.0.1"


@dataclass(frozen=True, slots=True)
class Tick(Event):
    source: str
    n: int


@pytest.fixture
def bus(relay: Relay) -> LocalBus:
    assert isinstance(relay.bus, LocalBus)
    return relay.bus


async def test_each_publishers_order_is_kept() -> None:
    bus = LocalBus()
    subscription = bus.subscribe()

    async def publisher(source: str) -> None:
        for n in range(200):
            bus.publish(Tick(source, n))
            await asyncio.sleep(0)

    await asyncio.gather(publisher("a"), publisher("b"), publisher("c"))
    events = [e for e in await queued(subscription) if isinstance(e, Tick)]
    for source in "abc":
        assert [e.n for e in events if e.source == source] == list(range(200))
    assert len({e.source for e in events[:3]}) > 1  # the publishers did interleave


async def test_a_slow_subscriber_loses_its_own_oldest_and_delays_nobody() -> None:
    bus = LocalBus()
    slow = bus.subscribe(capacity=10)
    fast = bus.subscribe(capacity=10)
    received: list[int] = []

    async def keep_up() -> None:
        async for event in fast:
            assert isinstance(event, Tick)
            received.append(event.n)

    reader = asyncio.create_task(keep_up())
    for n in range(100):
        bus.publish(Tick("a", n))
        await until(lambda n=n: received[-1:] == [n])  # the fast one got it; slow never read
    reader.cancel()
    assert [e.n for e in await queued(slow) if isinstance(e, Tick)] == list(range(90, 100))
    assert (slow.dropped, fast.dropped) == (90, 0)
    assert bus.dropped_total == 90 and bus.published_total == 100


async def test_a_subscriber_gets_only_the_kinds_it_asked_for() -> None:
    bus = LocalBus()
    ends = bus.subscribe(SessionEnded)
    bus.publish(Tick("a", 1))
    bus.publish(SessionEnded(1, "cam", ADDRESS, "id", "expired"))
    assert await queued(ends) == [SessionEnded(1, "cam", ADDRESS, "id", "expired")]


async def test_a_cancelled_subscriber_leaves_no_queue_behind() -> None:
    bus = LocalBus()
    waiting_started = asyncio.Event()

    async def waits() -> None:
        subscription = bus.subscribe()
        waiting_started.set()
        async for _ in subscription:
            pass

    async def busy_inside() -> None:
        async with bus.subscribe() as subscription:
            async for _ in subscription:
                await asyncio.Event().wait()  # stuck handling an event

    tasks = [asyncio.create_task(waits()), asyncio.create_task(busy_inside())]
    await waiting_started.wait()
    await until(lambda: bus.subscribers == 2)
    bus.publish(Tick("a", 1))
    await asyncio.sleep(0)
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    assert bus.subscribers == 0
    bus.publish(Tick("a", 2))  # nobody left to queue it for


async def test_dropped_total_never_goes_down_when_a_subscriber_leaves() -> None:
    bus = LocalBus()
    subscription = bus.subscribe(capacity=1)
    bus.publish(Tick("a", 1))
    bus.publish(Tick("a", 2))
    subscription.close()
    assert (bus.dropped_total, bus.subscribers) == (1, 0)
    assert [e async for e in subscription] == []  # a closed subscription ends its iteration


async def test_sessions_publish_opened_and_every_way_they_end(
    relay: Relay, bus: LocalBus, clock: ManualClock, owner: Account
) -> None:
    events = bus.subscribe(SessionOpened, SessionEnded)
    await relay.config.update(owner.id, [(4, 20)])
    idle = await relay.sessions.open(admin_of(owner), "idle", "meta", ADDRESS)
    capped = await relay.sessions.open(admin_of(owner), "capped", "", "10.0.0.2")
    removed = await relay.sessions.open(admin_of(owner), "removed", "", ADDRESS)
    await relay.db.write(
        lambda conn: conn.execute("DELETE FROM sessions WHERE shash=?", (removed.shash,))
    )
    await relay.housekeeping.sweep()
    with pytest.raises(NoSuchSession):
        for _ in range(21):
            await relay.sessions.use(capped.shash, "10.0.0.2")
    clock.advance(10 * 60 + 1)
    await relay.housekeeping.sweep()
    ids = {s.device: public_id(s.shash) for s in (idle, capped, removed)}
    published = await queued(events)
    assert published == [
        SessionOpened(owner.id, "idle", ADDRESS, ids["idle"]),
        SessionOpened(owner.id, "capped", "10.0.0.2", ids["capped"]),
        SessionOpened(owner.id, "removed", ADDRESS, ids["removed"]),
        SessionEnded(owner.id, "removed", ADDRESS, ids["removed"], "removed"),
        SessionEnded(owner.id, "capped", "10.0.0.2", ids["capped"], "request cap"),
        SessionEnded(owner.id, "idle", ADDRESS, ids["idle"], "expired"),
    ]
    text = json.dumps([e.as_dict() for e in published])
    assert not any(s.shash in text for s in (idle, capped, removed))  # events never carry one


async def test_a_sessions_end_stops_its_upload_and_viewers_at_once(
    relay: Relay, clock: ManualClock, owner: Account
) -> None:
    cam = await relay.sessions.open(admin_of(owner), "cam", "", ADDRESS)
    viewer = await relay.sessions.open(admin_of(owner), "viewer", "", ADDRESS)
    stops: list[str] = []
    producer = relay.streams.start(owner.id, "cam", "", 0, cam.shash, lambda: stops.append("x"))
    reader = relay.streams.attach(owner.id, "cam", viewer.shash, "viewer")
    clock.advance(5 * 60)
    await relay.sessions.use(cam.shash, ADDRESS)  # only the viewer goes idle
    clock.advance(5 * 60 + 1)
    await relay.sessions.expire()
    assert reader.ended and not producer.stopped  # the viewer's session ended, not the camera's
    clock.advance(10 * 60 + 1)
    await relay.sessions.expire()
    assert (producer.stopped, stops) == (SESSION_ENDED, ["x"])


async def test_the_stream_hub_publishes_streams_and_viewers_never_frames(
    relay: Relay, bus: LocalBus, owner: Account
) -> None:
    events = bus.subscribe()
    hub = relay.streams
    hub.reader_capacity = 10
    with pytest.raises(NoChannel):
        hub.attach(owner.id, "cam", "s2", "phone")
    producer = hub.start(owner.id, "cam", "mjpeg", 40, "s1", lambda: None)
    reader = hub.attach(owner.id, "cam", "s2", "phone")
    for _ in range(3):
        producer.publish(b"123456")
    assert await anext(reader.batches()) == b"123456"
    hub.detach(owner.id, "cam", reader)
    hub.detach(owner.id, "cam", reader)  # twice, left once
    producer.finish()
    assert await queued(events) == [
        ViewerAsked(owner.id, "cam", "phone"),
        StreamReady(owner.id, "cam", "mjpeg", 40),
        ViewerAsked(owner.id, "cam", "phone"),
        ViewerAttached(owner.id, "cam", "phone"),
        ViewerLeft(owner.id, "cam", "phone", frames=1, dropped=2),
        StreamGone(owner.id, "cam"),
    ]


async def test_viewer_left_counts_the_viewers_remaining(
    relay: Relay, bus: LocalBus, owner: Account
) -> None:
    """Only the last viewer to leave says 0 (the admin API's camera:unDemand), also when the
    stream ended under viewers that were still draining their queues."""
    events = bus.subscribe(ViewerLeft)
    hub = relay.streams
    producer = hub.start(owner.id, "cam", "mjpeg", 40, "s1", lambda: None)
    first, second = (hub.attach(owner.id, "cam", f"s{i}", f"v{i}") for i in (2, 3))
    hub.detach(owner.id, "cam", first)
    third = hub.attach(owner.id, "cam", "s4", "v4")
    producer.finish()  # the stream ends; its readers leave afterwards
    hub.detach(owner.id, "cam", second)
    hub.detach(owner.id, "cam", third)
    assert [(e.viewer, e.remaining) for e in await queued(events)] == [  # type: ignore[attr-defined]
        ("v2", 1),
        ("v3", 1),
        ("v4", 0),
    ]


async def test_records_publish_added_and_deleted_with_the_reason(
    relay: Relay, bus: LocalBus, clock: ManualClock, owner: Account
) -> None:
    events = bus.subscribe(RecordAdded, RecordsDeleted)
    await relay.config.update(owner.id, [(7, 1), (8, 1), (1, 0.5)])
    big = b"x" * (400 << 10)
    first, second, third = [await relay.records.add(owner.id, "cam", "", big) for _ in range(3)]
    assert await relay.records.delete(owner.id, [third.rid, -1]) == 2
    kept = await relay.records.add(owner.id, "cam", "", b"small")
    clock.advance(13 * 3600)
    await relay.housekeeping.sweep()
    added = [RecordAdded(owner.id, "cam", r.rid, r.stamp) for r in (first, second, third, kept)]
    assert await queued(events) == [
        added[0],
        added[1],
        RecordsDeleted(owner.id, (first.rid,), "quota"),
        added[2],
        RecordsDeleted(owner.id, (second.rid, third.rid), "request"),
        added[3],
        RecordsDeleted(owner.id, (kept.rid,), "retention"),
    ]


async def test_messages_and_config_publish_what_was_stored(
    relay: Relay, bus: LocalBus, owner: Account
) -> None:
    events = bus.subscribe(MessageAdded, ConfigChanged)
    await relay.messages.add(
        owner.id,
        "cam",
        [NewMessage("hello"), NewMessage("sync"), NewMessage("ping", "phone", '{"a":1}')],
    )
    await relay.config.update(owner.id, [(2, 3), (8, 1)])
    stamps = [m.stamp for m in await relay.messages.fetch(owner.id, "phone", None)]
    published = await queued(events)
    assert published == [
        MessageAdded(owner.id, "cam", "", "hello", stamps[0]),
        MessageAdded(owner.id, "cam", "phone", "ping", stamps[1]),
        ConfigChanged(owner.id, ((2, 3.0), (8, 1.0))),
    ]
    assert json.loads(json.dumps([e.as_dict() for e in published]))[2] == {
        "event": "ConfigChanged",
        "account_id": owner.id,
        "changes": [[2, 3.0], [8, 1.0]],
    }
