"""Reading what the bus queued for a subscriber, in tests of the core."""

from __future__ import annotations

from camrelay.server.core.bus import Event, LocalSubscription


async def queued(subscription: LocalSubscription) -> list[Event]:
    """Every event queued so far; publishing queues at once, so nothing is waited for."""
    return [await anext(subscription) for _ in range(len(subscription))]
