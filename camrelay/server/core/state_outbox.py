"""One state socket's messages waiting to be sent, in order and bounded.

Changes (broadcasts) never wait: when more than `capacity` messages wait, the two oldest
adjacent changes become one with the newest value per key, so a socket that stops reading
costs a bounded amount of memory and still converges to the current state once it reads again.
Replies to the socket's own requests are never merged; the socket's reader waits for room when
`capacity // 4` of them wait, so a client that does not read its answers slows only itself.
Merging only adjacent changes keeps every reply in its place among the changes.

A socket may give its outbox a `direct` writer (the connection's own, see
transport/ws_direct_send): while nothing waits in the outbox, a message goes to the wire at
once, encoded once per broadcast by the caller, instead of waking the socket's sender.
"""

from __future__ import annotations

import asyncio
import json
from collections import deque
from collections.abc import Callable
from typing import Any

Message = dict[str, Any]
Direct = Callable[[str], bool]  # writes one text message now, or answers False


def encoded(message: Message) -> str:
    """A message as the socket sends it: compact JSON."""
    return json.dumps(message, separators=(",", ":"))


class OutboxClosed(Exception):
    """The outbox was closed (the server stops, or the socket went away)."""


class Outbox:
    """A bounded, merging queue of outgoing JSON objects."""

    def __init__(self, capacity: int) -> None:
        if capacity < 8:
            raise ValueError("an outbox holds at least 8 messages")
        self.capacity = capacity
        self.reply_room = capacity // 4  # below capacity / 2: an adjacent pair always exists
        # (is a change, message, its JSON if already encoded)
        self._items: deque[tuple[bool, Message, str | None]] = deque()
        self._replies = 0
        self._ready = asyncio.Event()
        self._room = asyncio.Event()
        self.merged = 0  # changes folded into a newer one because the socket fell behind
        self.closed = False
        self.direct: Direct | None = None
        self.sent_direct = 0  # messages that went to the wire without the sender (metrics)

    def __len__(self) -> int:
        return len(self._items)

    def change(self, values: Message, text: str | None = None) -> None:
        """Queue a broadcast (`text`: its JSON, when the caller encoded it); never waits."""
        if self.closed or self._sent(values, text):
            return
        self._items.append((True, values, text))
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
        if self.closed or self._sent(message, None):
            return
        self._replies += 1
        self._items.append((False, message, None))
        self._ready.set()

    async def reply(self, message: Message) -> None:
        """Queue an answer to the socket's own request, after waiting for room."""
        await self.room()
        self.reply_now(message)

    async def next(self) -> Message:
        """The oldest message; OutboxClosed once closed."""
        return (await self._take())[0]

    async def next_text(self) -> str:
        """The oldest message as JSON text; OutboxClosed once closed."""
        message, text = await self._take()
        return encoded(message) if text is None else text

    def _sent(self, message: Message, text: str | None) -> bool:
        """Written at once by the direct writer: only when nothing waits before it."""
        if self.direct is None or self._items:
            return False
        if not self.direct(encoded(message) if text is None else text):
            return False
        self.sent_direct += 1
        return True

    async def _take(self) -> tuple[Message, str | None]:
        while not self._items:
            if self.closed:
                raise OutboxClosed
            self._ready.clear()
            await self._ready.wait()
        is_change, message, text = self._items.popleft()
        if not is_change:
            self._replies -= 1
            self._room.set()
        return message, text

    def close(self) -> None:
        """Stop: waiting senders and readers end with OutboxClosed."""
        self.closed = True
        self._items.clear()
        self._ready.set()
        self._room.set()

    def _merge_oldest(self) -> None:
        items = self._items
        for index in range(len(items) - 1):
            (first_change, older, _), (second_change, newer, _) = items[index], items[index + 1]
            if first_change and second_change:
                items[index + 1] = (True, {**older, **newer}, None)
                del items[index]
                self.merged += 1
                return
