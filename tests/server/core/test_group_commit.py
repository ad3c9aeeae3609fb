"""Group commit: batches, a bad item failing alone, and no caller left waiting."""

from __future__ import annotations

import asyncio

import pytest

from camrelay.server.core.group_commit import GroupCommit


async def test_concurrent_items_share_batches_and_a_bad_one_fails_alone() -> None:
    batches: list[list[int]] = []

    async def flush(items: list[int]) -> list[int]:
        batches.append(items)
        await asyncio.sleep(0.01)
        if 13 in items:
            raise ValueError("13 is refused")
        return [item * 10 for item in items]

    group = GroupCommit(flush, max_batch=8)
    results = await asyncio.gather(*(group.submit(i) for i in range(20)), return_exceptions=True)
    assert results[:13] == [i * 10 for i in range(13)] and results[14:] == [
        i * 10 for i in range(14, 20)
    ]
    assert isinstance(results[13], ValueError)
    # 20 items submitted at once: batches of 8; the batch holding 13 is retried item by item
    assert batches[:3] == [list(range(8)), list(range(8, 16)), [8]]
    assert [13] in batches and list(range(16, 20)) in batches


async def test_a_cancelled_drain_fails_its_waiters_instead_of_hanging() -> None:
    started = asyncio.Event()

    async def flush(items: list[int]) -> list[int]:
        started.set()
        await asyncio.sleep(3600)
        return items

    group = GroupCommit(flush)
    waiter = asyncio.create_task(group.submit(1))
    await started.wait()
    for task in asyncio.all_tasks():
        if task.get_coro().__qualname__.startswith("GroupCommit._drain"):  # type: ignore[union-attr]
            task.cancel()
    with pytest.raises(RuntimeError):
        await asyncio.wait_for(waiter, 5)
