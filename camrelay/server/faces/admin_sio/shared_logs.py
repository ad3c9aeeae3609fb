"""Log lines between nodes: each node's lines reach the admin sockets on every node."""

from __future__ import annotations

import json
from collections.abc import Callable

from ...core.bus import Bus, LogWritten, Reach
from .log_stream import LogLine, LogStream

BUS_LOGGER = "camrelay.bus"


def sharer(bus: Bus) -> Callable[[LogLine, int], None]:
    """What hands this node's lines to the other nodes (one event each)."""

    def share(line: LogLine, account_id: int) -> None:
        if line.get("service") == BUS_LOGGER:
            return  # a line about the link itself would ride the link it may be about
        bus.publish(LogWritten(account_id, json.dumps(line, separators=(",", ":"))))

    return share


async def take_shared(bus: Bus, logs: LogStream) -> None:
    """Queue the other nodes' lines for this node's admin sockets, until cancelled."""
    async with bus.subscribe(LogWritten, reach=Reach.ELSEWHERE) as lines:
        async for event in lines:
            assert isinstance(event, LogWritten)
            try:
                line = json.loads(event.line)
            except ValueError:
                continue
            if not isinstance(line, dict):
                continue  # JSON, but no log line: nothing an admin socket could show
            logs.add_remote(line, event.account_id or None)
