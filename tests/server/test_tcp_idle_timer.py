"""tcp_idle_timer: a connection's keep-alive timeout is a timer armed when its last answer is out
and disarmed by the next request, with what Hypercorn's idle task gave: an idle connection
closes after keep_alive_timeout whichever path answered it, a busy one stays open however long
its request takes, and a stopping server closes its idle connections at once."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.h2_client import H2Client
from tests.support.owner import OWNER, login, owner_relay
from tests.support.relay_server import RelayServer

OK = b'{"result":"OK"}'
GRACEFUL_S = 3.0  # Hypercorn's graceful_timeout: past it, stopping cancels what is left


@pytest.fixture(scope="module")
def brief_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RelayServer]:
    """Idle connections closed after a second."""
    env = {"CAMRELAY_SERVER_KEEP_ALIVE_TIMEOUT_S": "1"}
    with owner_relay(tmp_path_factory.mktemp("idle") / "relay", env) as server:
        yield server


async def still_open(client: H2Client, seconds: float) -> bool:
    """True when the server has not closed the connection within `seconds`."""
    try:
        await asyncio.wait_for(asyncio.shield(client.closed.wait()), seconds)
    except TimeoutError:
        return True
    return False


@pytest.mark.parametrize("path", ["/heartBit.json", "/metrics"])  # inline, Hypercorn's streams
async def test_a_connection_closes_once_idle_for_the_keep_alive_timeout(
    brief_server: RelayServer, path: str
) -> None:
    device = await login(brief_server)
    client = await H2Client.connect(brief_server.url)
    try:
        for _ in range(3):  # busy and idle again, each time re-armed
            answer = await client.get(f"{path}?shash={device.shash}", method="GET")
            assert answer.status == 200
        await asyncio.wait_for(client.closed.wait(), 20)
    finally:
        await client.close()


async def test_a_request_in_flight_keeps_its_connection_open_past_the_timeout(
    brief_server: RelayServer,
) -> None:
    device = await login(brief_server)
    client = await H2Client.connect(brief_server.url)
    try:
        start = f'{{"shash":"{device.shash}"'.encode()
        stream_id = await client.request("POST", "/heartBit.json", start, end=False)
        assert await still_open(client, 2.5)  # 2.5 x keep_alive_timeout with a body coming
        await client.send(stream_id, b"}", end=True)
        answer = await client.response(stream_id)
        assert (answer.status, bytes(answer.body)) == (200, OK)
        await asyncio.wait_for(client.closed.wait(), 20)  # idle now: closed in its turn
    finally:
        await client.close()


async def test_a_stopping_server_closes_its_idle_connections_at_once(tmp_path: Path) -> None:
    server = RelayServer(tmp_path / "relay").start()  # keep_alive_timeout 300 s
    try:
        await server.add_account(*OWNER)
        device = await login(server)
        answered = await H2Client.connect(server.url)
        assert (await answered.get(f"/heartBit.json?shash={device.shash}")).status == 200
        fresh = await H2Client.connect(server.url)  # idle from its first byte
        server.process.send_signal(signal.SIGTERM)  # type: ignore[union-attr]
        for client in (answered, fresh):
            # Closed by the server, not cancelled when graceful_timeout runs out.
            await asyncio.wait_for(client.closed.wait(), GRACEFUL_S - 1)
            await client.close()
        assert server.process.wait(timeout=20) == 0  # type: ignore[union-attr]
    finally:
        if server.process and server.process.poll() is None:
            server.kill()
