"""One reconnect backoff for everything that tries again: the camera's upload, a viewer, the
workers' stream source, the alarm's alerters.

Delays grow by `factor` from `first_s` up to `max_s`; each is drawn at random from its top
`jitter` fraction, so clients that lost the same server do not all come back at once; a
success starts the sequence over. wake() cuts a wait short when something else learned that
the other side is back (the camera's message poll answered again).

    retry = Retry(Backoff(first_s=1.0, max_s=30.0))
    while True:
        try:
            await attach()
            retry.succeeded()
        except OSError:
            await retry.wait()
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

Sleep = Callable[[float], Awaitable[None]]


@dataclass(frozen=True)
class Backoff:
    """Delays between attempts: first_s, then times factor, at most max_s, less some jitter."""

    first_s: float = 0.5
    factor: float = 2.0
    max_s: float = 10.0
    # Each delay lies in [(1 - jitter) * d, d]: never above the cap, never zero.
    jitter: float = 0.2

    def __post_init__(self) -> None:
        if not (self.first_s >= 0 and self.factor >= 1 and self.max_s >= 0):
            raise ValueError(f"backoff needs first_s >= 0, factor >= 1, max_s >= 0: {self}")
        if not 0 <= self.jitter < 1:
            raise ValueError(f"jitter must be in [0, 1), got {self.jitter}")

    def ceiling(self, failures: int) -> float:
        """The longest wait after `failures` attempts in a row came to nothing."""
        return min(self.max_s, self.first_s * self.factor ** max(0, failures - 1))

    def delay(self, failures: int, rng: random.Random | None = None) -> float:
        """Seconds to wait after `failures` failed attempts in a row, jitter drawn from rng."""
        top = self.ceiling(failures)
        return top * (1 - self.jitter * (rng or random).random())


class Retry:
    """Failures in a row against one backoff; wait() sleeps the next delay."""

    def __init__(
        self,
        backoff: Backoff,
        sleep: Sleep = asyncio.sleep,
        rng: random.Random | None = None,
    ) -> None:
        self.backoff = backoff
        self.failures = 0
        self.sleep = sleep  # the wait itself (tests pass a fake)
        self._rng = rng
        self._woken = asyncio.Event()

    def next_delay(self) -> float:
        """Count one more failure and return how long to wait before the next attempt."""
        self.failures += 1
        return self.backoff.delay(self.failures, self._rng)

    async def wait(self) -> float:
        """Count a failure, sleep its delay (or until wake()) and return the delay."""
        delay = self.next_delay()
        self._woken.clear()
        slept = asyncio.ensure_future(self.sleep(delay))
        woken = asyncio.ensure_future(self._woken.wait())
        try:
            await asyncio.wait((slept, woken), return_when=asyncio.FIRST_COMPLETED)
        finally:
            slept.cancel()
            woken.cancel()
        return delay

    def succeeded(self) -> None:
        """An attempt worked: the next failure waits the shortest delay again."""
        self.failures = 0

    def wake(self) -> None:
        """The other side answered elsewhere: end the current wait now and start over."""
        self.failures = 0
        self._woken.set()
