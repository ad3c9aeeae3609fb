"""The demo's one-line summary of the server's live figures, printed every few seconds in
place of one access-log line per request."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass

from ..server.core.relay import Relay
from ..server.request_count import RequestCount


@dataclass(frozen=True)
class Sample:
    """The running totals at one moment (monotonic seconds)."""

    at: float
    frames_in: int
    requests: int


def sample(relay: Relay, requests: RequestCount) -> Sample:
    """The totals now."""
    return Sample(time.monotonic(), relay.streams.totals.frames_in, requests.total)


def summary(relay: Relay, before: Sample, now: Sample) -> str:
    """`HH:MM:SS cameras N  viewers N  frames/s X  requests/s X`: streams and viewers now,
    the rates since `before`."""
    channels = relay.streams.channels()
    viewers = sum(len(channel.readers) for channel in channels)
    seconds = max(now.at - before.at, 1e-6)
    fps = (now.frames_in - before.frames_in) / seconds
    rate = (now.requests - before.requests) / seconds
    return (
        f"{time.strftime('%H:%M:%S')} cameras {len(channels)}  viewers {viewers}  "
        f"frames/s {fps:.1f}  requests/s {rate:.1f}"
    )


async def summarise(
    relay: Relay, requests: RequestCount, every_s: float, write: Callable[[str], None]
) -> None:
    """Write a summary line every `every_s` seconds until cancelled."""
    before = sample(relay, requests)
    while True:
        await asyncio.sleep(every_s)  # the period itself: one line every every_s seconds
        now = sample(relay, requests)
        write(summary(relay, before, now))
        before = now
