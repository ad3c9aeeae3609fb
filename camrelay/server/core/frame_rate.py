"""The frame rate one upload may keep up: a token bucket holding one second's worth."""

from __future__ import annotations

import time
from collections.abc import Callable


class FrameRate:
    """`take()` is False once frames come faster than `per_s` for more than a second's burst."""

    def __init__(self, per_s: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.per_s = per_s
        self._clock = clock
        self._tokens = float(per_s)
        self._last = clock()

    def take(self) -> bool:
        """Spend one frame's token; False when none is left."""
        now = self._clock()
        self._tokens = min(self.per_s, self._tokens + (now - self._last) * self.per_s)
        self._last = now
        if self._tokens < 1:
            return False
        self._tokens -= 1
        return True
