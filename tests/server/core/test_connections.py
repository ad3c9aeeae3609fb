"""The connection gate with addresses known only after accept (server.proxy_protocol)."""

from __future__ import annotations

from camrelay.server.core.connections import ConnectionGate


def test_an_unnamed_connection_counts_in_the_total_then_against_its_client() -> None:
    gate = ConnectionGate(max_total=3, max_per_address=1)
    assert gate.admit_unnamed() and gate.admit_unnamed() and gate.admit_unnamed()
    assert not gate.admit_unnamed()  # the total cap holds before any address is known
    assert gate.name("203.0.113.5") and not gate.name("203.0.113.5")
    assert gate.name("203.0.113.6")
    gate.release("203.0.113.5")
    gate.release(None)  # the one refused by name: never counted against an address
    gate.release("203.0.113.6")
    assert (gate.open, gate.refused, gate.closed, dict(gate.per_address)) == (0, 2, 3, {})
