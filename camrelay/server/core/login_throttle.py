"""Slows repeated failed logins per client address: each failure doubles the wait.

Every attempt counts as a failure from the moment it starts, so concurrent guesses see each
other; a successful login takes back only the failures for its own account name, so logging
in to an account of one's own between guesses at another does not reset the wait.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from dataclasses import dataclass, field

from .clock import Clock


@dataclass
class _Failures:
    per_name: Counter[str] = field(default_factory=Counter)
    last: float = 0.0


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
        entry = self._current(address)
        count = sum(entry.per_name.values()) if entry else 0
        return min(self._max, self._base * 2 ** (count - 1)) if count else 0.0

    async def attempt(self, address: str, name: str) -> None:
        """Count the attempt as failed until `succeeded`, then sleep the address's delay."""
        seconds = self.delay(address)
        entry = self._current(address)
        if entry is None:  # none, or only failures old enough to forget
            entry = self._failures[address] = _Failures()
        entry.per_name[name] += 1
        entry.last = self._clock.now()
        if seconds > 0:
            await asyncio.sleep(seconds)

    def succeeded(self, address: str, name: str) -> None:
        """Forget the failures of this address for the account that logged in."""
        entry = self._failures.get(address)
        if entry is not None:
            entry.per_name.pop(name, None)
            if not entry.per_name:
                del self._failures[address]

    def prune(self) -> None:
        """Forget addresses whose last failure is old (housekeeping)."""
        for address in [a for a in self._failures if self._current(a) is None]:
            self._failures.pop(address, None)

    def _current(self, address: str) -> _Failures | None:
        entry = self._failures.get(address)
        if entry is None or self._clock.now() - entry.last > self._forget:
            return None
        return entry
