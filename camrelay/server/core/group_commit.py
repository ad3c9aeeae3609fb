"""Group commit: writes that arrive while a transaction runs are stored together in the next one.

Every write through the single writer connection costs a few thread hops, and under load each
hop waits for the busy event loop; one transaction per record capped addRecord near 450/s.
A batch pays those hops once. Each caller still returns only after its batch has committed.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

T = TypeVar("T")
R = TypeVar("R")


class GroupCommit(Generic[T, R]):
    """Collects items and hands them to `flush` in batches of at most `max_batch`."""

    def __init__(
        self, flush: Callable[[list[T]], Awaitable[list[R]]], max_batch: int = 128
    ) -> None:
        self._flush = flush
        self._max_batch = max_batch
        self._pending: list[tuple[T, asyncio.Future[R]]] = []
        self._draining = False

    async def submit(self, item: T) -> R:
        """Store `item` with the next batch; its result once that batch is committed."""
        future: asyncio.Future[R] = asyncio.get_running_loop().create_future()
        self._pending.append((item, future))
        if not self._draining:
            self._draining = True
            asyncio.get_running_loop().create_task(self._drain())
        return await future

    async def _drain(self) -> None:
        batch: list[tuple[T, asyncio.Future[R]]] = []
        try:
            while self._pending:
                batch = self._pending[: self._max_batch]
                del self._pending[: self._max_batch]
                await self._commit(batch)
        except BaseException as exc:  # cancelled (shutdown): no caller may wait forever
            for _, future in batch + self._pending:
                if not future.done():
                    future.set_exception(exc if isinstance(exc, Exception) else RuntimeError(exc))
            self._pending.clear()
            raise
        finally:
            self._draining = False

    async def _commit(self, batch: list[tuple[T, asyncio.Future[R]]]) -> None:
        try:
            results = await self._flush([item for item, _ in batch])
        except Exception as exc:
            if len(batch) > 1:  # one bad item (say, of an account just deleted) fails alone
                for single in batch:
                    await self._commit([single])
                return
            _, future = batch[0]
            if not future.done():
                future.set_exception(exc)
            return
        for (_, future), result in zip(batch, results, strict=True):
            if not future.done():
                future.set_result(result)
