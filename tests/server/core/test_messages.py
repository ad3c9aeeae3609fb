"""Message delivery and sync semantics of CONTRACT.md §1, on the core alone."""

from __future__ import annotations

from camrelay.server.core.accounts import Account
from camrelay.server.core.messages import NewMessage
from camrelay.server.core.relay import Relay


async def test_a_device_never_receives_its_own_messages(relay: Relay, owner: Account) -> None:
    await relay.messages.add(owner.id, "cam", [NewMessage("mine"), NewMessage("self", "cam")])
    assert await relay.messages.fetch(owner.id, "cam", None) == []
    assert [m.msg for m in await relay.messages.fetch(owner.id, "phone", None)] == ["mine"]


async def test_sync_never_deletes_what_was_not_given(relay: Relay, owner: Account) -> None:
    await relay.messages.add(owner.id, "cam", [NewMessage("one", "phone")])
    given = await relay.messages.fetch(owner.id, "phone", None)
    await relay.messages.add(owner.id, "cam", [NewMessage("two", "phone")])
    await relay.messages.sync(owner.id, "phone")
    after = await relay.messages.fetch(owner.id, "phone", None)
    assert [m.msg for m in given] == ["one"]
    assert [m.msg for m in after] == ["two"]
    assert await relay.messages.fetch(owner.id, "phone", "2000-01-01 00:00:00.000000") == after


async def test_pages_of_32_walk_by_stamp(relay: Relay, owner: Account) -> None:
    await relay.messages.add(owner.id, "cam", [NewMessage(f"m{i}") for i in range(70)])
    first = await relay.messages.fetch(owner.id, "phone", None)
    second = await relay.messages.fetch(owner.id, "phone", first[-1].stamp)
    third = await relay.messages.fetch(owner.id, "phone", second[-1].stamp)
    assert [len(first), len(second), len(third)] == [32, 32, 6]
    names = [m.msg for m in first + second + third]
    assert names == [f"m{i}" for i in range(70)]


async def test_fetch_and_sync_pages_through_everything_once(relay: Relay, owner: Account) -> None:
    await relay.messages.add(owner.id, "cam", [NewMessage(f"m{i}", "phone") for i in range(40)])
    seen = []
    while page := await relay.messages.fetch(owner.id, "phone", None, sync=True):
        seen += [m.msg for m in page]
    assert seen == [f"m{i}" for i in range(40)]
    rows = await relay.db.fetchall("SELECT COUNT(*) FROM messages")
    assert rows[0][0] == 0


async def test_broadcasts_stay_for_other_devices_after_one_syncs(
    relay: Relay, owner: Account
) -> None:
    await relay.messages.add(owner.id, "cam", [NewMessage("hello")])
    await relay.messages.fetch(owner.id, "phone", None, sync=True)
    assert await relay.messages.fetch(owner.id, "phone", None) == []
    assert [m.msg for m in await relay.messages.fetch(owner.id, "tablet", None)] == ["hello"]


async def test_a_batch_with_sync_stores_the_rest_and_acknowledges(
    relay: Relay, owner: Account
) -> None:
    await relay.messages.add(owner.id, "cam", [NewMessage("for phone", "phone")])
    await relay.messages.fetch(owner.id, "phone", None)
    await relay.messages.add(owner.id, "phone", [NewMessage("reply", "cam"), NewMessage("sync")])
    assert await relay.messages.fetch(owner.id, "phone", None) == []
    assert [m.msg for m in await relay.messages.fetch(owner.id, "cam", None)] == ["reply"]


async def test_a_sync_after_a_late_stamp_keeps_what_was_skipped(
    relay: Relay, owner: Account
) -> None:
    """Issue 9 item 7: a sync deleted every targeted message up to the newest stamp handed
    out, so messages skipped by a fetch from a later stamp were lost undelivered."""
    await relay.messages.add(owner.id, "cam", [NewMessage(f"early{i}", "phone") for i in range(5)])
    await relay.messages.add(owner.id, "cam", [NewMessage("mark")])  # a broadcast to stamp from
    mark = (await relay.messages.fetch(owner.id, "tablet", None))[-1].stamp
    await relay.messages.add(owner.id, "cam", [NewMessage("late", "phone")])
    late = await relay.messages.fetch(owner.id, "phone", mark, sync=True)
    plain = await relay.messages.fetch(owner.id, "phone", None)
    early = await relay.messages.fetch(owner.id, "phone", "2000-01-01 00:00:00")
    again = await relay.messages.fetch(owner.id, "phone", None, sync=True)
    assert [m.msg for m in late] == ["late"]
    assert [m.msg for m in plain] == [f"early{i}" for i in range(5)]
    assert [m.msg for m in early] == [f"early{i}" for i in range(5)] + ["mark"]
    assert again == plain  # given but not acknowledged: a plain poll hands them out again
    assert await relay.messages.fetch(owner.id, "phone", None) == []
    rows = await relay.db.fetchall("SELECT msg FROM messages ORDER BY stamp")
    assert [row[0] for row in rows] == ["mark"]  # the broadcast lives on for kind 5 hours
