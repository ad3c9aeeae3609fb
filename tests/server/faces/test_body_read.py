"""Reading a body that has all arrived takes no timer, and keeps every limit; one still
arriving keeps its time cap."""

from __future__ import annotations

import asyncio

import pytest

from camrelay.protocol.errors import MalformedRequest
from camrelay.server.faces.core_api.body import BodyTooLarge, read_body
from camrelay.server.transport.inline_body import ENDED, InlineBody


async def _arrived(*chunks: bytes) -> InlineBody:
    body = InlineBody(room=len(chunks) + 1)
    for chunk in chunks:
        await body.put(chunk)
    body.finish(ENDED)
    return body


async def test_a_body_all_arrived_is_read_whole_without_a_timer() -> None:
    body = await _arrived(b"ab", b"cd")
    assert body.arrived
    loop = asyncio.get_running_loop()
    timers = len(loop._scheduled)  # type: ignore[attr-defined]
    assert await read_body(body, "", limit=4, timeout_s=60.0) == bytearray(b"abcd")
    assert len(loop._scheduled) == timers  # type: ignore[attr-defined]


async def test_a_body_all_arrived_still_keeps_its_limit() -> None:
    with pytest.raises(BodyTooLarge):
        await read_body(await _arrived(b"ab", b"cde"), "", limit=4, timeout_s=60.0)


async def test_a_body_still_arriving_keeps_its_time_cap() -> None:
    body = InlineBody(room=4)
    await body.put(b"ab")
    assert not body.arrived
    with pytest.raises(MalformedRequest, match="too slow"):
        await read_body(body, "", limit=4, timeout_s=0.05)
