"""One viewer's side of the stream hub: a queue bounded in bytes that loses its own oldest
frames when full (counted), so a slow viewer never delays the producer or the others."""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncIterator, Callable
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
    direct: int = 0  # frames_out handed to the viewer's connection at once (no task woken)


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
    # Hands a frame to the viewer's connection at once (h2_direct_body's PUSH_BODY), False when
    # it must wait its turn; used only while nothing of this reader waits before the frame.
    direct: Callable[[bytes], bool] | None = None
    _wakeup: asyncio.Event = field(default_factory=asyncio.Event)
    _sending: bool = False  # a batch taken from the queue is on its way out

    def offer(self, frame: bytes) -> None:
        """Hand a frame straight to the connection when it takes it and nothing waits before
        it; else queue it, dropping the oldest ones beyond the capacity (never the new one)."""
        if self.direct is not None and not self.queue and not self._sending and not self.ended:
            if self.direct(frame):
                self._count_out(1, len(frame))
                self.totals.direct += 1
                return
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
            self._sending = True
            try:
                yield self._take()
            finally:
                self._sending = False

    async def next_frame(self) -> bytes | None:
        """The next whole frame (counted out like a batch); None once the reader has ended."""
        while not self.queue:
            if self.ended:
                return None
            self._wakeup.clear()
            await self._wakeup.wait()
        frame = self.queue.popleft()
        self.queued_bytes -= len(frame)
        self._count_out(1, len(frame))
        return frame

    def _count_out(self, frames: int, size: int) -> None:
        self.frames_out += frames
        self.bytes_out += size
        self.totals.frames_out += frames
        self.totals.bytes_out += size

    def _take(self) -> bytes:
        parts = [self.queue.popleft()]
        size = len(parts[0])
        while self.queue and size + len(self.queue[0]) <= MAX_BATCH_BYTES:
            parts.append(self.queue.popleft())
            size += len(parts[-1])
        self.queued_bytes -= size
        self._count_out(len(parts), size)
        return parts[0] if len(parts) == 1 else b"".join(parts)
