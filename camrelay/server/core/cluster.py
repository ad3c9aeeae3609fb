"""This node among the others: the NATS bus and the live streams between the nodes."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from .nats_bus import NatsBus
from .stream_link import StreamLink


@dataclass(eq=False)
class Cluster:
    """The networked bus and the stream link of one node, run together."""

    bus: NatsBus
    link: StreamLink

    async def run(self) -> None:
        """Join the other nodes and keep the streams between them going, until cancelled."""
        async with asyncio.TaskGroup() as group:
            group.create_task(self.bus.run())
            group.create_task(self.link.run())
