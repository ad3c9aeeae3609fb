"""A camera faster than the relay waits on HTTP/2 flow control; the server does not buffer its
upload (Quart alone reads every body eagerly into an unbounded buffer)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import httpx

from camrelay.protocol.framing import encode_frame
from tests.support.api import Api
from tests.support.h2_client import H2Client
from tests.support.relay_server import RelayServer

OFFERED = 256 << 20  # what the producer tries to push at full speed
FRAME = encode_frame(os.urandom(256 << 10))
STALLED_S = 2.0  # no flow-control credit for this long: the producer is held back


async def test_a_held_relay_holds_back_the_producer_not_memory(data_dir: Path) -> None:
    env = {"CAMRELAY_SERVER_ACCESS_LOG": "false"}
    server = RelayServer(data_dir, env=env, module="tests.support.held_relay").start()
    clients: list[H2Client] = []
    try:
        await server.add_account("cam", "pw-cam")
        async with httpx.AsyncClient(http2=True, verify=False, timeout=10) as http:
            cam = await Api(http, server.url).login("cam", "pw-cam", device="cam")
        clients.append(client := await H2Client.connect(server.url))
        start_kib = server.rss_kib()
        query = httpx.QueryParams({"shash": cam.shash, "subproto": "RAW_JPEG"})
        upload = await client.request("PUT", f"/input.raw?{query}", end=False)
        pushed = 0
        try:
            while pushed < OFFERED:
                await client.send(upload, FRAME, patience=STALLED_S)
                pushed += len(FRAME)
        except TimeoutError:
            pass  # the relay took nothing and gave no more credit
        grown_kib = server.rss_kib() - start_kib
        # The camera comes back on a new connection: the held upload is answered, its unread
        # data dropped, and its connection still serves.
        clients.append(again := await H2Client.connect(server.url))
        await again.request("PUT", f"/input.raw?{query}", end=False)
        replaced = await client.response(upload)
        after = await client.get("/getServerTime.json", method="GET")
    finally:
        for each in clients:
            await each.close()
        server.stop()
    # Before: Quart took all 256 MiB into memory (RSS +257 MiB), and the producer never waited.
    assert pushed < 16 << 20
    assert grown_kib < 8 << 10
    assert (json.loads(replaced.body), replaced.reset_code) == ({"result": "OK"}, 0)
    assert after.status == 200
