"""The connection cap: how many connections are open, in total and per client address."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

DEFAULT_MAX_CONNECTIONS = 4096
DEFAULT_MAX_PER_ADDRESS = 256


@dataclass
class ConnectionGate:
    """Admits a connection while both caps allow it; every admitted one is released once."""

    max_total: int = DEFAULT_MAX_CONNECTIONS
    max_per_address: int = DEFAULT_MAX_PER_ADDRESS
    open: int = 0
    refused: int = 0
    closed: int = 0
    # Connections closed for a missing or bad PROXY header (server.proxy_protocol).
    bad_proxy_headers: int = 0
    per_address: Counter[str] = field(default_factory=Counter)

    def admit(self, address: str) -> bool:
        """Count a new connection from `address`, or refuse it (and count the refusal)."""
        if self.open >= self.max_total or self.per_address[address] >= self.max_per_address:
            self.refused += 1
            return False
        self.open += 1
        self.per_address[address] += 1
        return True

    def admit_unnamed(self) -> bool:
        """Count a connection whose client address is not known yet (a PROXY header to read)
        against the total cap only; `name` counts it against its address once known."""
        if self.open >= self.max_total:
            self.refused += 1
            return False
        self.open += 1
        return True

    def name(self, address: str) -> bool:
        """Count an unnamed connection against `address`, or refuse it (it stays unnamed:
        release it with address None)."""
        if self.per_address[address] >= self.max_per_address:
            self.refused += 1
            return False
        self.per_address[address] += 1
        return True

    def release(self, address: str | None) -> None:
        """An admitted connection has closed (address None: it was never named)."""
        self.open -= 1
        self.closed += 1
        if address is None:
            return
        self.per_address[address] -= 1
        if self.per_address[address] <= 0:
            del self.per_address[address]  # the table holds only addresses with connections

    def why_refused(self, address: str) -> str:
        """Which cap a refusal hit, for the log."""
        if self.open >= self.max_total:
            return f"{self.open} connections open (server.max_connections {self.max_total})"
        return (
            f"{self.per_address[address]} connections open from {address}"
            f" (server.max_connections_per_address {self.max_per_address})"
        )
