"""Hostile clients at the transport (issue 9): connection churn, the connection caps, a deflate
bomb on input.raw, an HTTP/2 rapid-reset flood. Each against a real server subprocess."""

from __future__ import annotations

import asyncio
import json
import ssl
import time
import zlib
from pathlib import Path

import httpx
import pytest

from bench.server_probe import memory_mib
from camrelay.protocol.framing import encode_frame
from tests.support.api import Api, Device
from tests.support.h2_client import H2Client
from tests.support.hostile import churn, hold_tls, rapid_reset
from tests.support.metrics import metric
from tests.support.relay_server import RelayServer
from tests.support.until import until

CHURN = 300  # ~300 KB each stayed for keep_alive_timeout (300 s) before the fix
OTHER_ADDRESS = "127.0.0.2"


@pytest.fixture
def own_server(data_dir: Path, request: pytest.FixtureRequest) -> RelayServer:
    env = {"CAMRELAY_SERVER_ACCESS_LOG": "false", **getattr(request, "param", {})}
    relay = RelayServer(data_dir, env=env).start()
    yield relay  # type: ignore[misc]
    relay.stop()


async def test_closed_connections_end_and_give_their_memory_back(own_server: RelayServer) -> None:
    server = own_server
    assert server.process is not None
    idle_tasks = await metric(server.url, "camrelay_connection_tasks")  # this request's own
    start_rss = memory_mib(server.process.pid)[0]
    assert await churn(server.url, CHURN) == 0

    async def tasks_ended() -> bool:
        return await metric(server.url, "camrelay_connection_tasks") <= idle_tasks

    async def memory_back() -> bool:
        return memory_mib(server.process.pid)[0] < start_rss + 50  # type: ignore[union-attr]

    # Before the fix the tasks stayed for 300 s; the trimmer runs every 2 s.
    await until(tasks_ended, timeout=10, what="connection tasks back to idle")
    assert await metric(server.url, "camrelay_connections_open") <= idle_tasks
    await until(memory_back, timeout=10, what=f"RSS back: {memory_mib(server.process.pid)}")


async def heartbit_from(url: str, account: tuple[str, str], source: str) -> dict[str, str]:
    """Log in and heartBit over a new connection from `source`."""
    transport = httpx.AsyncHTTPTransport(http2=True, verify=False, local_address=source)
    async with httpx.AsyncClient(transport=transport, verify=False, timeout=10) as http:
        device = await Api(http, url).login(*account, device=f"from-{source}")
        return await device.call("heartBit")


@pytest.mark.parametrize(
    "own_server, refused_source, cap",
    [
        ({"CAMRELAY_SERVER_MAX_CONNECTIONS_PER_ADDRESS": "3"}, "127.0.0.1", "per_address 3"),
        ({"CAMRELAY_SERVER_MAX_CONNECTIONS": "3"}, OTHER_ADDRESS, "max_connections 3"),
    ],
    indirect=["own_server"],
)
async def test_a_connection_over_the_cap_is_closed_at_accept(
    own_server: RelayServer, refused_source: str, cap: str
) -> None:
    server = own_server
    await server.add_account("capped", "pw-capped")
    async with httpx.AsyncClient(http2=True, verify=False) as scraper:
        # The scraper's own connection is one of the three, so no scrape is ever refused.
        assert await metric(server.url, "camrelay_connections_refused_total", scraper) == 0
        held = [await hold_tls(server.url) for _ in range(2)]
        try:
            with pytest.raises((ConnectionError, ssl.SSLError)):
                await hold_tls(server.url, source=refused_source)  # closed in the handshake
            if refused_source == "127.0.0.1":  # a bystander at another address is served
                answer = await heartbit_from(server.url, ("capped", "pw-capped"), OTHER_ADDRESS)
                assert answer == {"result": "OK"}
        finally:
            for writer in held:
                writer.transport.abort()

        async def refused_counted() -> bool:
            found = await metric(server.url, "camrelay_connections_refused_total", scraper)
            return found == 1

        await until(refused_counted, timeout=10, what="the refusal counted")
    refusals = [line for line in server.log().splitlines() if "connection refused" in line]
    assert len(refusals) == 1 and cap in refusals[0]


async def test_a_deflate_bomb_ends_with_code_14_and_freezes_nobody(
    server: RelayServer, api: Api, account: tuple[str, str]
) -> None:
    cam = await api.login(*account, device="cam")
    bystander = await api.login(*account, device="phone")
    # 8 M empty frames, 48 MB inflated, ~50 KB on the wire: froze the server for 26 s.
    bomb = zlib.compress(encode_frame(b"") * 8_000_000, 9)
    client = await H2Client.connect(server.url)
    query = httpx.QueryParams({"shash": cam.shash, "subproto": "RAW_JPEG"})
    upload = await client.request(
        "PUT", f"/input.raw?{query}", end=False, headers=[("content-encoding", "deflate")]
    )
    sending = asyncio.create_task(client.send(upload, bomb))  # and the upload stays open
    waits = []
    try:
        while True:  # at least one heartBit while the bomb goes off
            started = time.monotonic()
            assert await bystander.call("heartBit") == {"result": "OK"}
            waits.append(time.monotonic() - started)
            if client.responses[upload].ended.is_set():
                break
        answer = await client.response(upload)
    finally:
        sending.cancel()
        await client.close()
    assert json.loads(answer.body) == {"result": "BAD", "code": 14}
    assert answer.reset_code == 0  # answered, then RST_STREAM(NO_ERROR) as for other errors
    assert max(waits) < 5, waits  # not frozen (26 s before), on a loaded machine too


async def test_a_rapid_reset_flood_gets_goaway_and_one_log_line(own_server: RelayServer) -> None:
    server = own_server
    attacks = 4
    await asyncio.gather(*(rapid_reset(server.url, 3000) for _ in range(attacks)))
    answer = httpx.get(f"{server.url}/getServerTime.json", verify=False)
    log = server.log()
    assert answer.status_code == 200
    assert "Traceback" not in log
    floods = [line for line in log.splitlines() if "(rapid reset?)" in line]
    assert 1 <= len(floods) < attacks  # one line per 10 s at most


async def test_a_client_cancelling_a_burst_of_requests_keeps_its_connection(
    server: RelayServer, device: Device
) -> None:
    client = await H2Client.connect(server.url)
    try:
        for _ in range(80):  # below the 100 resets a second that end a connection
            await client.reset(await client.request("GET", "/getServerTime.json"))
        beat = await client.get("/heartBit.json", json.dumps({"shash": device.shash}).encode())
    finally:
        await client.close()
    assert json.loads(beat.body) == {"result": "OK"}
    assert client.terminated is None
