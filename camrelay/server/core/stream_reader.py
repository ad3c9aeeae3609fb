"""One viewer's side of the stream hub: a queue bounded in bytes that loses its own oldest
frames when full (counted), so a slow viewer never delays the producer or the others."""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

MAX_BATCH_BYTES = 256 << 10


@dataclass
class Counters:
    """Frames and bytes through the hub since the server started."""

    frames_in: int = 0
    bytes_in: int = 0
    frames_out: int = 0
    bytes_out: int = 0
    dropped: int = 0


@dataclass(eq=False)
class Reader:
    """One viewer's queue of frames."""

    capacity: int
    totals: Counters
    shash: str = ""
    viewer: str = ""  # the viewing device
    here_only: bool = False  # reads uploads to this node only (the recorder in a cluster)
    queue: deque[bytes] = field(default_factory=deque)
    queued_bytes: int = 0
    frames_out: int = 0
    bytes_out: int = 0
    dropped: int = 0
    ended: bool = False
    left: bool = False
    _wakeup: asyncio.Event = field(default_factory=asyncio.Event)

    def offer(self, frame: bytes) -> None:
        """Queue a frame, dropping the oldest ones beyond the capacity (never the new one)."""
        self.queue.append(frame)
        self.queued_bytes += len(frame)
        while self.queued_bytes > self.capacity and len(self.queue) > 1:
            self.queued_bytes -= len(self.queue.popleft())
            self.dropped += 1
            self.totals.dropped += 1
        self._wakeup.set()

    def end(self) -> None:
        """No more frames will come; the queue still drains."""
        self.ended = True
        self._wakeup.set()

    async def batches(self) -> AsyncIterator[bytes]:
        """Queued frames joined into chunks of at most 256 KiB (or one frame), until the end."""
        while True:
            if not self.queue:
                if self.ended:
                    return
                self._wakeup.clear()
                await self._wakeup.wait()
                continue
            yield self._take()

    async def next_frame(self) -> bytes | None:
        """The next whole frame (counted out like a batch); None once the reader has ended."""
        while not self.queue:
            if self.ended:
                return None
            self._wakeup.clear()
            await self._wakeup.wait()
        frame = self.queue.popleft()
        self.queued_bytes -= len(frame)
        self.frames_out += 1
        self.bytes_out += len(frame)
        self.totals.frames_out += 1
        self.totals.bytes_out += len(frame)
        return frame

    def _take(self) -> bytes:
        parts = [self.queue.popleft()]
        size = len(parts[0])
        while self.queue and size + len(self.queue[0]) <= MAX_BATCH_BYTES:
            parts.append(self.queue.popleft())
            size += len(parts[-1])
        self.queued_bytes -= size
        self.frames_out += len(parts)
        self.bytes_out += size
        self.totals.frames_out += len(parts)
        self.totals.bytes_out += size
        return parts[0] if len(parts) == 1 else b"".join(parts)
