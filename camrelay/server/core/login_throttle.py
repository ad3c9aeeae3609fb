"""Slows repeated failed logins per client address: each failure doubles the wait.

Attempts from one address take turns, and so do attempts at one account name, so sending
guesses in parallel buys no speed: each turn waits the address's delay, then checks one
password. An address with recent failures and `max_pending` attempts already waiting or running
is refused at once (code 7, as a wrong password: the document has no "slow down" code, and a
refusal must not say whether the password was right) without holding a turn or a password check;
an address without failures is never refused, its attempts only take turns. A check that does
not succeed, and every refusal, counts as a failure; a successful login takes back only the
failures for its own account name, so logging in to an account of one's own between guesses at
another does not reset the wait. Counts saturate and the delay is capped, however many failures.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from camrelay.protocol.errors import NoSuchUser

from .clock import Clock

# Far beyond any useful doubling (base * 2**63 exceeds every sane max): a count larger than
# this changes nothing, and 2.0**SATURATION stays a finite float.
SATURATION = 64


@dataclass
class _Failures:
    per_name: Counter[str] = field(default_factory=Counter)
    last: float = 0.0


class TurnGates:
    """One lock per key, dropped once nobody holds or waits for it; counts who is in line."""

    def __init__(self) -> None:
        self._gates: dict[str, tuple[asyncio.Lock, int]] = {}

    def in_line(self, key: str) -> int:
        """How many hold or wait for the key's lock."""
        return self._gates.get(key, (None, 0))[1]

    def total(self) -> int:
        """How many hold or wait for any lock."""
        return sum(users for _, users in self._gates.values())

    @asynccontextmanager
    async def turn(self, key: str) -> AsyncIterator[None]:
        """Hold the key's lock, after everyone who asked for it before."""
        lock, users = self._gates.get(key, (asyncio.Lock(), 0))
        self._gates[key] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._gates[key]
            if users == 1:
                del self._gates[key]
            else:
                self._gates[key] = (lock, users - 1)


class LoginThrottle:
    """Turns and delays for authorizations from addresses with recent failures."""

    def __init__(
        self,
        clock: Clock,
        base_s: float,
        max_s: float,
        forget_s: float = 900.0,
        max_pending: int = 2,
    ) -> None:
        self._clock = clock
        self._base = base_s
        self._max = max_s
        self._forget = forget_s
        self._max_pending = max_pending
        self._failures: dict[str, _Failures] = {}
        self._addresses = TurnGates()
        self._accounts = TurnGates()
        self.refused = 0  # attempts answered at once because their address had too many in line

    def delay(self, address: str) -> float:
        """Seconds to wait before answering this address: 0 after no failure, then doubling."""
        entry = self._current(address)
        count = min(sum(entry.per_name.values()), SATURATION) if entry else 0
        return min(self._max, self._base * 2.0 ** (count - 1)) if count else 0.0

    def pending(self) -> int:
        """Attempts waiting for or inside their turn, over every address."""
        return self._addresses.total()

    @asynccontextmanager
    async def turn(self, address: str, name: str) -> AsyncIterator[None]:
        """The slot for one password check: after the address's earlier attempts and its delay,
        and after the earlier attempts at the account; NoSuchUser at once when the address has
        recent failures and too many attempts in line. A check that does not succeed (a wrong
        password, or a client that went away) counts as a failure."""
        self._refuse_if_crowded(address, name, others=self._addresses.in_line(address))
        async with self._addresses.turn(address):
            # Failures may have come while this attempt waited: the queue behind it drains fast.
            self._refuse_if_crowded(address, name, others=self._addresses.in_line(address) - 1)
            seconds = self.delay(address)
            if seconds > 0:
                await asyncio.sleep(seconds)
            async with self._accounts.turn(name):
                try:
                    yield
                except BaseException:
                    self._count(address, name)
                    raise

    def _refuse_if_crowded(self, address: str, name: str, others: int) -> None:
        """An address in its slow-down with `max_pending` others in line is refused at once;
        one without recent failures (a camera fleet behind one NAT restarting) only waits."""
        if others >= self._max_pending and self.delay(address) > 0:
            self._count(address, name)
            self.refused += 1
            raise NoSuchUser()

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

    def _count(self, address: str, name: str) -> None:
        entry = self._current(address)
        if entry is None:  # none, or only failures old enough to forget
            entry = self._failures[address] = _Failures()
        entry.per_name[name] = min(entry.per_name[name] + 1, SATURATION)
        entry.last = self._clock.now()

    def _current(self, address: str) -> _Failures | None:
        entry = self._failures.get(address)
        if entry is None or self._clock.now() - entry.last > self._forget:
            return None
        return entry
