"""The bus across nodes, in one process on a real NATS server: events keep their fields and
kind on the way, reach the other node's subscribers once (never echoed back), whose reach
chooses whose events they get; a session ended on another node ends here, announced once."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest

from camrelay.protocol.errors import NoSuchSession
from camrelay.server.core.accounts import Account
from camrelay.server.core.bus import (
    ConfigChanged,
    Event,
    LocalBus,
    LogWritten,
    Reach,
    RecordsDeleted,
    SessionEnded,
    StateChanged,
    StreamReady,
)
from camrelay.server.core.nats_bus import EVENTS_SUBJECT, NatsBus, decode_event, encode_event
from camrelay.server.core.relay import Relay
from camrelay.server.core.sessions import public_id
from camrelay.server.core.stream_link import ANNOUNCE_SUBJECT, StreamLink
from camrelay.server.core.streams import StreamHub
from camrelay.server.faces.admin_sio.log_stream import LogStream
from camrelay.server.faces.admin_sio.shared_logs import take_shared
from tests.support.bus_events import queued
from tests.support.identities import admin_of
from tests.support.nats import NatsServer, nats_server  # noqa: F401 (the fixture)
from tests.support.relay_server import free_port
from tests.support.until import until

ADDRESS = "10.0.0.1"
SAMPLES: list[Event] = [
    StreamReady(1, "cam", "RAW_JPEG", 40),
    StateChanged(1, "cam", (("brightness", 75), ("record", "on"), ("snap", True)), "socket"),
    ConfigChanged(2, ((3, 1500.0), (4, 50.0))),
    RecordsDeleted(3, (1, 2, 3), "quota"),
]


@pytest.mark.parametrize("event", SAMPLES, ids=lambda e: type(e).__name__)
def test_an_event_arrives_as_it_left_with_its_node(event: Event) -> None:
    assert decode_event(encode_event(event, "node-a")) == ("node-a", event)


async def test_a_subscribers_reach_chooses_whose_events_it_gets() -> None:
    bus = LocalBus()
    here, everywhere = bus.subscribe(), bus.subscribe(reach=Reach.EVERYWHERE)
    elsewhere = bus.subscribe(reach=Reach.ELSEWHERE)
    mine, theirs = StreamReady(1, "mine", "", 0), StreamReady(1, "theirs", "", 0)
    bus.publish(mine)
    bus.deliver_remote(theirs)
    assert await queued(here) == [mine]
    assert await queued(everywhere) == [mine, theirs]
    assert await queued(elsewhere) == [theirs]


@pytest.fixture
async def two_buses(nats_server: NatsServer) -> AsyncIterator[tuple[NatsBus, NatsBus]]:  # noqa: F811
    buses = NatsBus(nats_server.url, "node-a"), NatsBus(nats_server.url, "node-b")
    tasks = [asyncio.create_task(bus.run()) for bus in buses]
    await until(lambda: all(bus.client is not None for bus in buses), what="both joined")
    yield buses
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


async def test_an_event_reaches_the_other_node_once_and_never_comes_back(
    two_buses: tuple[NatsBus, NatsBus],
) -> None:
    a, b = two_buses
    heard: list[tuple[str, Event]] = []
    b.listen(lambda node, event: heard.append((node, event)))
    on_a = a.subscribe(reach=Reach.EVERYWHERE)
    on_b = b.subscribe(reach=Reach.EVERYWHERE)
    here_b = b.subscribe()
    events = [StreamReady(1, f"cam{i}", "", i) for i in range(50)]
    for event in events:
        a.publish(event)
    await until(lambda: len(on_b) == 50, what="B has the 50 events")
    await until(lambda: a.counters.events_sent == 50)
    assert await queued(on_b) == events  # in order, once each
    assert heard == [("node-a", event) for event in events]
    assert await queued(on_a) == events  # A's own, not echoed back through NATS
    assert await queued(here_b) == []
    assert (b.counters.events_received, a.counters.events_received) == (50, 0)


async def test_a_session_ended_on_another_node_ends_here_without_a_second_announcement(
    relay: Relay, owner: Account
) -> None:
    session = await relay.sessions.open(admin_of(owner), "phone", "", ADDRESS)
    ended = relay.bus.subscribe(SessionEnded)
    gone = SessionEnded(owner.id, "phone", ADDRESS, public_id(session.shash), "expired")
    relay.sessions.on_remote("node-b", gone)
    with pytest.raises(NoSuchSession):
        await relay.sessions.use(session.shash, ADDRESS)  # nor is it loaded again from the store
    assert await queued(ended) == []


HOSTILE = [
    b"[]",  # not an object
    b'"text"',
    b'{"origin":"x","event":"LogWritten","account_id":1,"line":5}',  # a field of the wrong type
    b'{"origin":"x","event":"LogWritten","account_id":"1","line":"{}"}',
    b'{"origin":"x","event":"LogWritten","account_id":true,"line":"{}"}',
    b'{"origin":"x","event":"SessionEnded","account_id":1,"device":[],"address":"",'
    b'"session":"s","reason":"removed"}',
    b'{"origin":"x","event":"ConfigChanged","account_id":1,"changes":[["a",1]]}',
    b'{"origin":"x","event":"LogWritten","account_id":1,"line":"5"}',  # JSON, not a log line
]


async def test_a_hostile_event_on_nats_is_skipped_and_the_next_one_arrives(
    two_buses: tuple[NatsBus, NatsBus],
) -> None:
    a, b = two_buses
    heard: list[Event] = []
    b.listen(lambda node, event: heard.append(event))
    logs = LogStream(capacity=100)
    sharing = asyncio.create_task(take_shared(b, logs))
    on_b = b.subscribe(reach=Reach.ELSEWHERE)
    await asyncio.sleep(0)  # take_shared subscribed
    assert a.client is not None
    for payload in HOSTILE:
        await a.client.publish(EVENTS_SUBJECT, payload)
    good = LogWritten(1, '{"message":"after"}')
    a.publish(good)
    await until(lambda: good in heard, what="the good event after the hostile ones")
    try:
        # Only the well-formed ones pass; a line that is not a log line stops at take_shared.
        assert heard == [LogWritten(1, "5"), good]
        assert await queued(on_b) == [LogWritten(1, "5"), good]
        await until(lambda: logs.recent(None) != [], what="the good line kept")
        assert logs.recent(None) == [{"message": "after"}]
        assert not sharing.done()
    finally:
        sharing.cancel()


async def test_an_announcement_with_a_broken_entry_still_mirrors_the_good_ones(
    nats_server: NatsServer,  # noqa: F811
) -> None:
    bus = NatsBus(nats_server.url, "node-b")
    hub = StreamHub(bus, reader_capacity=8)
    StreamLink(bus, hub, max_frame_bytes=1 << 20)
    running = asyncio.create_task(bus.run())
    try:
        await until(lambda: bus.client is not None, what="joined")
        assert bus.client is not None
        broken = [[1, "short"], [1, "x", "RAW", "forty", 0], None, [1, "cam", "RAW_JPEG", 40, 1.0]]
        body = {"node": "node-a", "streams": broken}
        await bus.client.publish(ANNOUNCE_SUBJECT, json.dumps(body).encode())
        await until(lambda: hub.streaming(1, "cam"), what="the good entry mirrored")
        assert [(c.device, c.subproto, c.delta) for c in hub.channels()] == [
            ("cam", "RAW_JPEG", 40)
        ]
    finally:
        running.cancel()
        await asyncio.gather(running, return_exceptions=True)


async def test_the_bus_never_logs_the_credentials_in_its_url(
    nats_server: NatsServer,  # noqa: F811
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="camrelay.bus")
    port = nats_server.url.rsplit(":", 1)[1]
    away = NatsBus(f"nats://relay:s3cret@127.0.0.1:{free_port()}", "node-x")
    there = NatsBus(f"nats://relay:s3cret@127.0.0.1:{port}", "node-y")
    tasks = [asyncio.create_task(bus.run()) for bus in (away, there)]
    try:
        await until(lambda: there.client is not None, what="joined")
        await until(lambda: "does not answer" in caplog.text, what="the unreachable one said so")
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    assert "joined nats://relay:***@127.0.0.1" in caplog.text
    assert "s3cret" not in caplog.text


async def test_many_session_ends_elsewhere_do_not_freeze_a_node_holding_many_sessions(
    relay: Relay, owner: Account
) -> None:
    """A node holds every session of the cluster (it adopts the others' as they open); another
    node's housekeeping may end a thousand at once: each end must not cost a pass hashing every
    session held here (20,000 × 1,000 hashes froze the loop for half a minute)."""
    held, ended = 20_000, 1_000
    (user_id,) = await relay.db.fetchone("SELECT id FROM users WHERE name='owner'")
    now = relay.clock.now()
    rows = [(f"{n:064x}", owner.id, f"cam{n}", "", ADDRESS, now, now, user_id) for n in range(held)]

    async def insert(conn: Any) -> None:
        await conn.executemany(
            "INSERT INTO sessions(shash, account_id, device, meta, address, created, last_seen, "
            "user_id) VALUES(?,?,?,?,?,?,?,?)",
            rows,
        )

    await relay.db.write(insert)
    await relay.sessions.load()
    gone = [
        SessionEnded(owner.id, f"cam{n}", ADDRESS, public_id(f"{n:064x}"), "expired")
        for n in range(ended)
    ]
    started = time.monotonic()
    for event in gone:
        relay.sessions.on_remote("node-b", event)
    took = time.monotonic() - started
    assert took < 1.0  # generous: it took 30 s here before
    with pytest.raises(NoSuchSession):
        await relay.sessions.use(f"{0:064x}", ADDRESS)
    assert (await relay.sessions.use(f"{held - 1:064x}", ADDRESS)).device == f"cam{held - 1}"
