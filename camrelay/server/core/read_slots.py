"""Per-session slots for large record answers: each one holds a connection and a piece in memory
while its client reads, so one session may not open them without bound."""

from __future__ import annotations

from camrelay.protocol.errors import ServerBusy


class ReadSlots:
    """At most `limit` answers at once per holder (a session's shash); counts refusals."""

    def __init__(self, limit: int) -> None:
        self._limit = limit
        self._held: dict[str, int] = {}
        self.refused = 0

    def take(self, holder: str) -> None:
        """One slot for `holder`; ServerBusy (code 5) when it holds `limit` already."""
        held = self._held.get(holder, 0)
        if held >= self._limit:
            self.refused += 1
            raise ServerBusy(f"more than {self._limit} large answers at once")
        self._held[holder] = held + 1

    def give(self, holder: str) -> None:
        """Return a slot taken by `holder`."""
        held = self._held.get(holder, 0) - 1
        if held > 0:
            self._held[holder] = held
        else:
            self._held.pop(holder, None)

    @property
    def in_use(self) -> int:
        """Slots held across every session."""
        return sum(self._held.values())
