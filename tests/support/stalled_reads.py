"""Issue 9's stalled getRecordData attack: HTTP/2 connections that grant the server no
flow-control window, each asking several times for one large record."""

from __future__ import annotations

import asyncio
from urllib.parse import urlencode

from tests.support.h2_client import H2Client


async def stall_record_reads(
    url: str, shashes: list[str], rid: int, per_session: int
) -> list[H2Client]:
    """One window-0 connection per session, `per_session` getRecordData streams on each; returns
    once every answer's headers have arrived (the server is then stuck on its first piece)."""
    clients = []
    for shash in shashes:
        client = await H2Client.connect(url, ack=False, window=0)
        clients.append(client)
        path = "/getRecordData.json?" + urlencode({"shash": shash, "rid": rid})
        for _ in range(per_session):
            await client.request("GET", path)
    waits = [r.headers_seen.wait() for c in clients for r in c.responses.values()]
    await asyncio.wait_for(asyncio.gather(*waits), 30)
    return clients
