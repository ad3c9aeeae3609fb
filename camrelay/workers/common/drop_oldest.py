"""Bounded queues that never make the producer wait: on overflow the oldest item is lost
and the loss is counted (ARCHITECTURE: readers never slow the producer)."""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Generic, TypeVar

T = TypeVar("T")


class QueueClosed(Exception):
    """get() on a closed queue that has nothing left."""


class DropOldestQueue(Generic[T]):
    """An asyncio queue of at most `maxsize` items; put() drops the oldest when full."""

    def __init__(self, maxsize: int = 1) -> None:
        if maxsize < 1:
            raise ValueError(f"maxsize must be at least 1, got {maxsize}")
        self.maxsize = maxsize
        self.dropped = 0
        self.put_count = 0
        self._items: deque[T] = deque()
        self._ready = asyncio.Event()
        self._closed = False

    def __len__(self) -> int:
        return len(self._items)

    @property
    def closed(self) -> bool:
        """Whether close() was called."""
        return self._closed

    def put(self, item: T) -> bool:
        """Add an item at once; False when the oldest had to go to make room."""
        self.put_count += 1
        lost = len(self._items) >= self.maxsize
        if lost:
            self._items.popleft()
            self.dropped += 1
        self._items.append(item)
        self._ready.set()
        return not lost

    async def get(self) -> T:
        """The oldest item still held, waiting for one; QueueClosed once closed and empty."""
        while not self._items:
            if self._closed:
                raise QueueClosed
            self._ready.clear()
            await self._ready.wait()
        return self._items.popleft()

    def get_nowait(self) -> T:
        """The oldest item held, or asyncio.QueueEmpty."""
        if not self._items:
            raise asyncio.QueueEmpty
        return self._items.popleft()

    def close(self) -> None:
        """Refuse nothing already queued, but wake every getter once it is empty."""
        self._closed = True
        self._ready.set()


class Fanout(Generic[T]):
    """One producer, many readers: each subscriber owns a DropOldestQueue of its own."""

    def __init__(self, queue_size: int = 2) -> None:
        self._queue_size = queue_size
        self._queues: set[DropOldestQueue[T]] = set()

    def __len__(self) -> int:
        return len(self._queues)

    @property
    def dropped(self) -> int:
        """Items lost so far by the current subscribers."""
        return sum(queue.dropped for queue in self._queues)

    def publish(self, item: T) -> None:
        """Hand the item to every subscriber without waiting for any of them."""
        for queue in self._queues:
            queue.put(item)

    @contextmanager
    def subscribe(self) -> Iterator[DropOldestQueue[T]]:
        """A queue that receives every item published while the block runs."""
        queue: DropOldestQueue[T] = DropOldestQueue(self._queue_size)
        self._queues.add(queue)
        try:
            yield queue
        finally:
            self._queues.discard(queue)
            queue.close()

    def close(self) -> None:
        """Wake every subscriber with QueueClosed once its queue is drained."""
        for queue in self._queues:
            queue.close()
