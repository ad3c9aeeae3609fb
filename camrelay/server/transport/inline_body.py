"""The body of a request answered by h2_inline_answers: its DATA as it arrives, pulled by the
handler, at most `room` chunks waiting (as Hypercorn's app queue of max_app_queue_size)."""

from __future__ import annotations

import asyncio
from collections import deque

ENDED = "ended"  # the client ended the stream: the body is whole
GONE = "gone"  # the client reset the stream or the connection closed


class InlineBody:
    """Chunks in arrival order; the receiving side waits while `room` chunks are unread, so the
    connection's flow-control credit, not memory, holds back a client faster than its handler."""

    def __init__(self, room: int, state: str | None = None) -> None:
        self._chunks: deque[bytes] = deque()
        self._room = max(1, room)
        self._changed = asyncio.Event()  # a chunk, the end or the client gone: for the reader
        self._taken = asyncio.Event()  # a chunk read, or no reader any more: for the writer
        self.state = state

    async def put(self, chunk: bytes) -> None:
        """Queue a chunk, first waiting while the queue is full (nothing once the body is gone)."""
        while len(self._chunks) >= self._room and self.state is None:
            self._taken.clear()
            await self._taken.wait()
        if self.state is None:
            self._chunks.append(chunk)
            self._changed.set()

    def finish(self, state: str) -> None:
        """The body ended (ENDED) or will never end (GONE: what is queued is dropped)."""
        if self.state is not None:
            return
        self.state = state
        if state == GONE:
            self._chunks.clear()
        self._changed.set()
        self._taken.set()

    @property
    def arrived(self) -> bool:
        """The whole body is queued: reading it never waits for the client."""
        return self.state == ENDED

    def __aiter__(self) -> InlineBody:
        return self

    async def __anext__(self) -> bytes:
        while True:
            if self._chunks:
                self._taken.set()
                return self._chunks.popleft()
            if self.state == ENDED:
                raise StopAsyncIteration
            if self.state == GONE:
                # As the ASGI fast path does on http.disconnect: the handler ends here.
                raise asyncio.CancelledError("the client is gone")
            self._changed.clear()
            await self._changed.wait()
