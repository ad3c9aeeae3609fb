"""Makes a stalled HTTP/2 reader hold back the response that feeds it (Hypercorn 0.18), and
keeps the response's chunks as they are instead of copying them twice.

Hypercorn's per-stream send buffer pauses the application above 32 KiB and resumes it when a
pop takes less than 16 KiB, meaning to say "when the buffer drained". But a stream whose flow
control window is closed pops nothing, and an empty pop resumes the application every time:
the buffer of a viewer that stopped reading grows without bound. Here the buffer resumes the
application when what is left in it is below the low-water mark, so a stuck viewer stops its
own generator, its camrelay queue fills and drops its oldest frames, and memory stays bounded.

The buffer also copied every chunk in (bytearray.extend) and out (a slice): 7 % of the server's
CPU with 100 viewers of a 40 KB stream (py-spy). Here it holds the pushed chunks; a pop that
takes a whole chunk hands over that same object, and only a partial pop copies.
"""

from __future__ import annotations

from collections import deque

from hypercorn.protocol import h2 as hypercorn_h2

REPLACES = (
    (hypercorn_h2.StreamBuffer, "__init__"),
    (hypercorn_h2.StreamBuffer, "push"),
    (hypercorn_h2.StreamBuffer, "pop"),
    (hypercorn_h2.StreamBuffer, "close"),
    (hypercorn_h2.StreamBuffer, "complete"),
    (hypercorn_h2, "BUFFER_LOW_WATER"),
)

Buffer = hypercorn_h2.StreamBuffer
_original_init = Buffer.__init__


def _init(self: Buffer, event_class: type) -> None:
    _original_init(self, event_class)
    self._chunks = deque()  # type: ignore[attr-defined]
    self._size = 0  # type: ignore[attr-defined]
    self._offset = 0  # type: ignore[attr-defined]  # bytes of the first chunk already popped


def append(self: Buffer, data: bytes) -> None:
    """Add a chunk (the caller checked the buffer is not complete and clears _is_empty)."""
    if data:
        self._chunks.append(bytes(data))  # type: ignore[attr-defined]  # bytes: no copy
        self._size += len(data)  # type: ignore[attr-defined]


async def _push(self: Buffer, data: bytes) -> None:
    if self._complete:
        raise hypercorn_h2.BufferCompleteError()
    append(self, data)
    await self._is_empty.clear()
    if self._size >= hypercorn_h2.BUFFER_HIGH_WATER:  # type: ignore[attr-defined]
        await self._paused.wait()
        await self._paused.clear()


def _take(self: Buffer, max_length: int) -> bytes:
    """Up to max_length bytes from the front: the first chunk itself when it fits whole."""
    chunks: deque[bytes] = self._chunks  # type: ignore[attr-defined]
    first, offset = chunks[0], self._offset  # type: ignore[attr-defined]
    left = len(first) - offset
    if left <= max_length:
        chunks.popleft()
        self._offset = 0  # type: ignore[attr-defined]
        return first if offset == 0 else first[offset:]
    self._offset = offset + max_length  # type: ignore[attr-defined]
    with memoryview(first) as view:
        return bytes(view[offset : offset + max_length])


async def _pop(self: Buffer, max_length: int) -> bytes:
    data = _take(self, max_length) if self._chunks and max_length > 0 else b""  # type: ignore[attr-defined]
    self._size -= len(data)  # type: ignore[attr-defined]
    if self._size < hypercorn_h2.BUFFER_LOW_WATER:  # type: ignore[attr-defined]
        await self._paused.set()
    if self._size == 0:  # type: ignore[attr-defined]
        await self._is_empty.set()
    return data


async def _close(self: Buffer) -> None:
    self._complete = True
    self._chunks.clear()  # type: ignore[attr-defined]
    self._size = self._offset = 0  # type: ignore[attr-defined]
    await self._is_empty.set()
    await self._paused.set()


def _complete(self: Buffer) -> bool:
    return self._complete and self._size == 0  # type: ignore[attr-defined,no-any-return]


def install() -> None:
    """Patch StreamBuffer."""
    Buffer.__init__ = _init  # type: ignore[method-assign]
    Buffer.push = _push  # type: ignore[method-assign]
    Buffer.pop = _pop  # type: ignore[method-assign]
    Buffer.close = _close  # type: ignore[method-assign]
    Buffer.complete = property(_complete)  # type: ignore[method-assign,assignment]
