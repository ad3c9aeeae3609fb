"""The drop-oldest queue and fan-out that stand between producers and slow readers."""

from __future__ import annotations

import asyncio

import pytest

from camrelay.workers.common.drop_oldest import DropOldestQueue, Fanout, QueueClosed


async def test_a_full_queue_loses_its_oldest_and_counts_it() -> None:
    queue: DropOldestQueue[int] = DropOldestQueue(3)
    assert [queue.put(n) for n in range(5)] == [True, True, True, False, False]
    assert (len(queue), queue.dropped, queue.put_count) == (3, 2, 5)
    assert [await queue.get() for _ in range(3)] == [2, 3, 4]
    with pytest.raises(asyncio.QueueEmpty):
        queue.get_nowait()


async def test_one_slot_keeps_only_the_latest() -> None:
    queue: DropOldestQueue[str] = DropOldestQueue()
    for item in "abcdef":
        queue.put(item)
    assert (queue.get_nowait(), queue.dropped) == ("f", 5)


async def test_a_waiting_getter_wakes_on_put_and_on_close() -> None:
    queue: DropOldestQueue[int] = DropOldestQueue(1)
    getter = asyncio.create_task(queue.get())
    await asyncio.sleep(0)
    queue.put(7)
    assert await asyncio.wait_for(getter, 1) == 7
    getter = asyncio.create_task(queue.get())
    await asyncio.sleep(0)
    queue.close()
    with pytest.raises(QueueClosed):
        await asyncio.wait_for(getter, 1)


async def test_items_queued_before_close_are_still_given() -> None:
    queue: DropOldestQueue[int] = DropOldestQueue(2)
    queue.put(1)
    queue.close()
    assert await queue.get() == 1
    with pytest.raises(QueueClosed):
        await queue.get()


def test_a_queue_needs_room_for_one() -> None:
    with pytest.raises(ValueError, match="^maxsize must be at least 1, got 0$"):
        DropOldestQueue(0)


async def test_a_slow_subscriber_never_costs_a_fast_one_anything() -> None:
    fanout: Fanout[int] = Fanout(queue_size=2)
    with fanout.subscribe() as fast, fanout.subscribe() as slow:
        got = []
        for n in range(10):
            fanout.publish(n)
            got.append(await fast.get())
        assert got == list(range(10))
        assert (fast.dropped, slow.dropped, fanout.dropped) == (0, 8, 8)
        assert [slow.get_nowait(), slow.get_nowait()] == [8, 9]
    assert len(fanout) == 0
    fanout.publish(11)  # nobody left: nothing to do, nothing kept
