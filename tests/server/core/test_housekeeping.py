"""The sweeps that config kinds 1, 2, 5 and 6 promise, on a hand-moved clock."""

from __future__ import annotations

import pytest

from camrelay.protocol.errors import NoSuchSession
from camrelay.server.core.accounts import Account
from camrelay.server.core.bus import LocalBus
from camrelay.server.core.clock import ManualClock
from camrelay.server.core.messages import NewMessage
from camrelay.server.core.relay import Relay
from camrelay.server.core.sessions import SessionPolicy, Sessions
from tests.support.identities import admin_of


async def test_records_older_than_kind_1_days_are_purged(
    relay: Relay, clock: ManualClock, owner: Account
) -> None:
    await relay.config.update(owner.id, [(1, 0.5)])
    old = await relay.records.add(owner.id, "cam", "", b"old")
    clock.advance(6 * 3600)
    new = await relay.records.add(owner.id, "cam", "", b"new")
    clock.advance(6 * 3600 + 1)
    await relay.housekeeping.sweep()
    assert [r.rid for r in await relay.records.since(owner.id, None)] == [new.rid]
    assert old.rid != new.rid


async def test_session_expires_after_kind_2_minutes_idle(
    relay: Relay, clock: ManualClock, owner: Account
) -> None:
    await relay.config.update(owner.id, [(2, 3)])
    idle = await relay.sessions.open(admin_of(owner), "idle", "", "127.0.0.1")
    busy = await relay.sessions.open(admin_of(owner), "busy", "", "127.0.0.1")
    for _ in range(4):
        clock.advance(60)
        await relay.sessions.use(busy.shash, "127.0.0.1")
    await relay.housekeeping.sweep()
    assert [s.device for s in await relay.sessions.online(owner.id)] == ["busy"]
    with pytest.raises(NoSuchSession):
        await relay.sessions.use(idle.shash, "127.0.0.1")


async def test_expired_session_answers_6_even_before_a_sweep(
    relay: Relay, clock: ManualClock, owner: Account
) -> None:
    session = await relay.sessions.open(admin_of(owner), "cam", "", "127.0.0.1")
    clock.advance(10 * 60 + 1)
    with pytest.raises(NoSuchSession):
        await relay.sessions.use(session.shash, "127.0.0.1")


async def test_request_caps_of_kinds_3_and_4(
    relay: Relay, clock: ManualClock, owner: Account
) -> None:
    await relay.config.update(owner.id, [(3, 200), (4, 20)])
    session = await relay.sessions.open(admin_of(owner), "cam", "", "127.0.0.1")
    for _ in range(20):
        await relay.sessions.use(session.shash, "127.0.0.1")
    with pytest.raises(NoSuchSession):
        await relay.sessions.use(session.shash, "127.0.0.1")
    total = await relay.sessions.open(admin_of(owner), "cam", "", "127.0.0.1")
    for _minute in range(10):
        clock.advance(60)
        for _ in range(20):
            await relay.sessions.use(total.shash, "127.0.0.1")
    with pytest.raises(NoSuchSession):
        clock.advance(60)
        await relay.sessions.use(total.shash, "127.0.0.1")


async def test_broadcasts_live_kind_5_hours_targeted_kind_6_days(
    relay: Relay, clock: ManualClock, owner: Account
) -> None:
    await relay.config.update(owner.id, [(5, 2), (6, 1)])
    await relay.messages.add(
        owner.id, "cam", [NewMessage("broadcast"), NewMessage("direct", "phone")]
    )
    clock.advance(2 * 3600 + 1)
    await relay.housekeeping.sweep()
    got = await relay.messages.fetch(owner.id, "phone", None)
    assert [m.msg for m in got] == ["direct"]
    clock.advance(22 * 3600)
    await relay.housekeeping.sweep()
    assert await relay.messages.fetch(owner.id, "phone", None) == []


async def test_sessions_deleted_from_outside_end_on_the_next_sweep(
    relay: Relay, owner: Account
) -> None:
    session = await relay.sessions.open(admin_of(owner), "cam", "", "127.0.0.1")
    await relay.users.set_password("owner", "new secret")
    await relay.housekeeping.sweep()
    with pytest.raises(NoSuchSession):
        await relay.sessions.use(session.shash, "127.0.0.1")


async def test_an_idle_device_leaves_the_online_list_before_any_sweep(
    relay: Relay, clock: ManualClock, owner: Account
) -> None:
    await relay.config.update(owner.id, [(2, 3)])
    await relay.sessions.open(admin_of(owner), "idle", "", "127.0.0.1")
    clock.advance(3 * 60 + 1)
    busy = await relay.sessions.open(admin_of(owner), "busy", "", "127.0.0.1")
    assert [s.device for s in await relay.sessions.online(owner.id)] == [busy.device]


async def test_two_processes_flushes_add_up_and_each_takes_the_total(
    relay: Relay, owner: Account
) -> None:
    """Kind 3 across nodes: flushes add deltas (never overwrite) and adopt the stored total."""
    other = Sessions(
        relay.db, relay.config, relay.clock, SessionPolicy(), LocalBus(), relay.streams
    )
    session = await relay.sessions.open(admin_of(owner), "cam", "", "127.0.0.1")
    for _ in range(3):
        await relay.sessions.use(session.shash, "127.0.0.1")
    for _ in range(5):
        await other.use(session.shash, "127.0.0.1")
    await relay.sessions.flush()
    await other.flush()
    await relay.sessions.flush()
    row = await relay.db.fetchone("SELECT requests FROM sessions WHERE shash=?", (session.shash,))
    assert row is not None and row[0] == 8
    assert (await relay.sessions.use(session.shash, "127.0.0.1")).requests == 9
    assert (await other.use(session.shash, "127.0.0.1")).requests == 9
