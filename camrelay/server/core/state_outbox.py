"""One state socket's messages waiting to be sent, in order and bounded.

Changes (broadcasts) never wait: when more than `capacity` messages wait, the two oldest
adjacent changes become one with the newest value per key, so a socket that stops reading
costs a bounded amount of memory and still converges to the current state once it reads again.
Replies to the socket's own requests are never merged; the socket's reader waits for room when
`capacity // 4` of them wait, so a client that does not read its answers slows only itself.
Merging only adjacent changes keeps every reply in its place among the changes.
"""

from __future__ import annotations

import asyncio
from collections import deque
from typing import Any

Message = dict[str, Any]


class OutboxClosed(Exception):
    """The outbox was closed (the server stops, or the socket went away)."""


class Outbox:
    """A bounded, merging queue of outgoing JSON objects."""

    def __init__(self, capacity: int) -> None:
        if capacity < 8:
            raise ValueError("an outbox holds at least 8 messages")
        self.capacity = capacity
        self.reply_room = capacity // 4  # below capacity / 2: an adjacent pair always exists
        self._items: deque[tuple[bool, Message]] = deque()  # (is a change, message)
        self._replies = 0
        self._ready = asyncio.Event()
        self._room = asyncio.Event()
        self.merged = 0  # changes folded into a newer one because the socket fell behind
        self.closed = False

    def __len__(self) -> int:
        return len(self._items)

    def change(self, values: Message) -> None:
        """Queue a broadcast; never waits."""
        if self.closed:
            return
        self._items.append((True, values))
        if len(self._items) > self.capacity:
            self._merge_oldest()
        self._ready.set()

    def has_room(self) -> bool:
        """Whether a reply may be queued now."""
        return self._replies < self.reply_room

    async def room(self) -> None:
        """Wait until a reply may be queued; OutboxClosed once closed."""
        while self._replies >= self.reply_room and not self.closed:
            self._room.clear()
            await self._room.wait()
        if self.closed:
            raise OutboxClosed

    def reply_now(self, message: Message) -> None:
        """Queue an answer at once, after `room()` (a write's confirmation must take its place
        among the changes at the moment the write is applied)."""
        if self.closed:
            return
        self._replies += 1
        self._items.append((False, message))
        self._ready.set()

    async def reply(self, message: Message) -> None:
        """Queue an answer to the socket's own request, after waiting for room."""
        await self.room()
        self.reply_now(message)

    async def next(self) -> Message:
        """The oldest message; OutboxClosed once closed."""
        while not self._items:
            if self.closed:
                raise OutboxClosed
            self._ready.clear()
            await self._ready.wait()
        is_change, message = self._items.popleft()
        if not is_change:
            self._replies -= 1
            self._room.set()
        return message

    def close(self) -> None:
        """Stop: waiting senders and readers end with OutboxClosed."""
        self.closed = True
        self._items.clear()
        self._ready.set()
        self._room.set()

    def _merge_oldest(self) -> None:
        items = self._items
        for index in range(len(items) - 1):
            (first_change, older), (second_change, newer) = items[index], items[index + 1]
            if first_change and second_change:
                items[index + 1] = (True, {**older, **newer})
                del items[index]
                self.merged += 1
                return
