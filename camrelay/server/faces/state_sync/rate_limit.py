"""A socket's message rate (CONTRACT §5): a token bucket of `rate` messages a second, and how
long the socket has been over it without a pause."""

from __future__ import annotations

import time
from collections.abc import Callable

CALM_S = 1.0  # a second without a refused message ends an episode over the limit


class RateLimit:
    """Token bucket holding at most `rate` tokens, refilled at `rate` per second."""

    def __init__(
        self, rate: float, close_after_s: float, now: Callable[[], float] = time.monotonic
    ) -> None:
        self._rate = rate
        self._close_after = close_after_s
        self._now = now
        self._tokens = rate
        self._last = now()
        self._over_since: float | None = None
        self._last_refusal = 0.0
        self.refused = 0

    def allow(self) -> bool:
        """Whether one more message may be handled now (it takes a token)."""
        now = self._now()
        self._tokens = min(self._rate, self._tokens + (now - self._last) * self._rate)
        self._last = now
        if self._tokens >= 1:
            self._tokens -= 1
            return True
        if self._over_since is None or now - self._last_refusal > CALM_S:
            self._over_since = now
        self._last_refusal = now
        self.refused += 1
        return False

    def exhausted(self) -> bool:
        """Whether the socket has stayed over the limit for `close_after_s`."""
        if self._over_since is None or self._now() - self._last_refusal > CALM_S:
            return False
        return self._last_refusal - self._over_since >= self._close_after
