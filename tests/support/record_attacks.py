"""Issue 9's attacks on records: getRecordData streams that grant the server no flow-control
window, and addRecord bodies sent on a raw connection that reads an early answer."""

from __future__ import annotations

import asyncio
import json
from typing import Any
from urllib.parse import urlencode

from tests.support.h2_client import H2Client
from tests.support.relay_server import RelayServer


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


async def add_record_raw(client: H2Client, shash: str, blob: bytes) -> dict[str, Any]:
    """addRecord on a raw connection, which (unlike httpx) reads an answer that comes before
    the whole body was sent."""
    path = "/addRecord.json?" + urlencode({"shash": shash})
    stream = await client.request("POST", path, end=False)
    await client.send_until_answered(stream, blob)
    response = await client.response(stream, timeout=60)
    assert response.status == 200, response
    answer: dict[str, Any] = json.loads(response.body)
    return answer


async def concurrent_bodies(
    server: RelayServer, shash: str, blob: bytes, count: int
) -> tuple[int, list[dict[str, Any]]]:
    """`count` addRecord bodies at once on one raw connection: (server RSS growth in KiB, the
    answers)."""
    client = await H2Client.connect(server.url)
    before = server.rss_kib()
    try:
        answers = await asyncio.gather(*(add_record_raw(client, shash, blob) for _ in range(count)))
    finally:
        await client.close()
    return server.rss_kib() - before, list(answers)
