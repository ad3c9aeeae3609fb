"""Slows repeated failed logins per client address: each failure doubles the wait."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from .clock import Clock


@dataclass
class _Failures:
    count: int
    last: float


class LoginThrottle:
    """Delay before an authorization from an address with recent failures."""

    def __init__(self, clock: Clock, base_s: float, max_s: float, forget_s: float = 900.0) -> None:
        self._clock = clock
        self._base = base_s
        self._max = max_s
        self._forget = forget_s
        self._failures: dict[str, _Failures] = {}

    def delay(self, address: str) -> float:
        """Seconds to wait before answering this address: 0 after no failure, then doubling."""
        entry = self._failures.get(address)
        if entry is None or self._clock.now() - entry.last > self._forget:
            return 0.0
        return min(self._max, self._base * 2 ** (entry.count - 1))

    async def wait(self, address: str) -> None:
        """Sleep the address's delay."""
        seconds = self.delay(address)
        if seconds > 0:
            await asyncio.sleep(seconds)

    def failed(self, address: str) -> None:
        """Count a failed authorization."""
        entry = self._failures.get(address)
        now = self._clock.now()
        if entry is None or now - entry.last > self._forget:
            self._failures[address] = _Failures(1, now)
        else:
            entry.count += 1
            entry.last = now

    def succeeded(self, address: str) -> None:
        """Forget the failures of an address that logged in."""
        self._failures.pop(address, None)

    def prune(self) -> None:
        """Forget addresses whose last failure is old (housekeeping)."""
        now = self._clock.now()
        stale = [a for a, e in self._failures.items() if now - e.last > self._forget]
        for address in stale:
            del self._failures[address]
