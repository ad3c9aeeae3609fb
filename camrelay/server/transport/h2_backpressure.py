"""Makes a stalled HTTP/2 reader hold back the response that feeds it (Hypercorn 0.18).

Hypercorn's per-stream send buffer pauses the application above 32 KiB and resumes it when a
pop takes less than 16 KiB, meaning to say "when the buffer drained". But a stream whose flow
control window is closed pops nothing, and an empty pop resumes the application every time:
the buffer of a viewer that stopped reading grows without bound. Here the buffer resumes the
application when what is left in it is below the low-water mark, so a stuck viewer stops its
own generator, its camrelay queue fills and drops its oldest frames, and memory stays bounded.
"""

from __future__ import annotations

from hypercorn.protocol import h2 as hypercorn_h2

REPLACES = ((hypercorn_h2.StreamBuffer, "pop"), (hypercorn_h2, "BUFFER_LOW_WATER"))


async def _pop(self: hypercorn_h2.StreamBuffer, max_length: int) -> bytes:
    length = min(len(self.buffer), max_length)
    with memoryview(self.buffer) as view:  # one copy, not a slice and then a copy
        data = bytes(view[:length])
    del self.buffer[:length]
    if len(self.buffer) < hypercorn_h2.BUFFER_LOW_WATER:
        await self._paused.set()
    if len(self.buffer) == 0:
        await self._is_empty.set()
    return data


def install() -> None:
    """Patch StreamBuffer.pop."""
    hypercorn_h2.StreamBuffer.pop = _pop  # type: ignore[method-assign]
