"""Session ids no node knows: remembered briefly, so a client hammering bad shash costs a few
store lookups, not one each.

A node looks an unknown shash up in the store (another node may have opened it). A shash found
nowhere is refused without a lookup for `TTL_S`; a client address whose lookups found nothing
`BUDGET` times within `TTL_S` gets no more lookups until the window ends (random shash never
repeat, so only the address bounds them). A session opened for that address on any node lifts
its limit at once (the bus's SessionOpened), so the client's real session works here.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from typing import TypeVar

TTL_S = 2.0  # how long a miss is remembered
BUDGET = 8  # store lookups finding nothing per address within TTL_S
KEPT = 4096  # entries of each kind at most: the oldest go first
V = TypeVar("V")


@dataclass
class UnknownCounters:
    """What the negative cache did since the server started (metrics)."""

    lookups: int = 0  # store lookups of shash not in memory
    spared: int = 0  # shash refused from the cache, without a lookup


class UnknownSessions:
    """Bad shash and the addresses that sent them, bounded in size and time."""

    def __init__(self) -> None:
        self._shash: OrderedDict[str, float] = OrderedDict()  # shash -> until
        self._addresses: OrderedDict[str, tuple[float, int]] = OrderedDict()  # -> (until, misses)
        self.counters = UnknownCounters()

    def worth_looking(self, shash: str, address: str, now: float) -> bool:
        """Whether a store lookup of `shash` from `address` may find anything new."""
        until = self._shash.get(shash)
        spare = until is not None and until > now
        if not spare:
            window = self._addresses.get(address)
            spare = window is not None and window[0] > now and window[1] >= BUDGET
        if spare:
            self.counters.spared += 1
            return False
        self.counters.lookups += 1
        return True

    def missed(self, shash: str, address: str, now: float) -> None:
        """A lookup found nothing."""
        _put(self._shash, shash, now + TTL_S)
        until, misses = self._addresses.get(address, (0.0, 0))
        if until <= now:
            until, misses = now + TTL_S, 0
        _put(self._addresses, address, (until, misses + 1))

    def opened(self, address: str) -> None:
        """A session was opened for `address` somewhere: its next lookups go to the store."""
        self._addresses.pop(address, None)

    def __len__(self) -> int:
        """Entries held (metrics)."""
        return len(self._shash) + len(self._addresses)


def _put(entries: OrderedDict[str, V], key: str, value: V) -> None:
    entries[key] = value
    entries.move_to_end(key)
    while len(entries) > KEPT:
        entries.popitem(last=False)
