"""h2_inline_answers: a .json request over HTTP/2 is answered by the transport itself, with
everything the ordinary path gave it: the same answer, the body pulled as it comes (an early
answer resets the stream, a client gone ends the handler), flow control for an answer larger
than the client's window, the access log, the keep-alive timeout, and no node left in the
priority tree."""

from __future__ import annotations

import asyncio
import json
import re
import signal
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support.api import Api, Device
from tests.support.h2_client import H2Client
from tests.support.metrics import metric
from tests.support.owner import login, owner_relay
from tests.support.relay_server import RelayServer
from tests.support.until import until

INLINE = "camrelay_h2_answered_inline_total"
OK = b'{"result":"OK"}'


@pytest.fixture
async def device(server: RelayServer, http: httpx.AsyncClient, account: tuple[str, str]) -> Device:
    return await Api(http, server.url).login(*account, "phone")


async def test_bodiless_requests_are_answered_inline_with_the_documented_answer(
    server: RelayServer, http: httpx.AsyncClient, device: Device
) -> None:
    before = await metric(server.url, INLINE)
    response = await http.get(f"{server.url}/heartBit.json", params={"shash": device.shash})
    assert response.http_version == "HTTP/2"
    assert (response.status_code, response.content) == (200, OK)
    assert response.headers["content-type"] == "application/json"
    assert response.headers["content-length"] == str(len(OK))
    client = await H2Client.connect(server.url)  # a POST whose HEADERS end the stream
    try:
        answer = await client.get(f"/heartBit.json?shash={device.shash}", method="POST")
    finally:
        await client.close()
    assert (answer.status, bytes(answer.body)) == (200, OK)
    assert answer.headers["content-type"] == "application/json"
    assert await metric(server.url, INLINE) == before + 2


async def test_a_body_is_read_as_it_comes_and_an_early_answer_spares_the_connection(
    server: RelayServer, device: Device
) -> None:
    before = await metric(server.url, INLINE)
    assert await device.call("heartBit") == {"result": "OK"}  # POST with a JSON body
    assert await Device(device.api, "no such", "?").call("heartBit") == {"result": "BAD", "code": 6}
    assert await metric(server.url, INLINE) == before + 2
    client = await H2Client.connect(server.url)
    try:
        # Sent a frame at a time as the window allows: 3 MiB against max_json_bytes (1 MiB).
        big = await client.request("POST", "/heartBit.json", end=False)
        await client.send_until_answered(big, b" " * (3 << 20))
        answer = await client.response(big)
        assert (answer.status, json.loads(answer.body)) == (200, {"result": "BAD", "code": 12})
        after = await client.get("/heartBit.json", f'{{"shash":"{device.shash}"}}'.encode())
        assert (after.status, bytes(after.body)) == (200, OK)  # the same connection goes on
        assert client.terminated is None
    finally:
        await client.close()


async def test_an_answer_larger_than_the_clients_window_arrives_whole(
    server: RelayServer, http: httpx.AsyncClient, account: tuple[str, str]
) -> None:
    api = Api(http, server.url)
    camera, phone = await api.login(*account, "cam"), await api.login(*account, "viewer")
    batch = [
        {"msg": f"event {i}", "target": "viewer", "params": {"n": "x" * 200}} for i in range(20)
    ]
    assert await camera.call("addMsgs", msgs=batch) == {"result": "OK"}
    record = bytes(range(256)) * 400  # 100 KiB: the record's data comes in pieces
    rid = (await camera.add_record(record, meta="JPEG"))["rid"]
    expected = await phone.call("getMsgs")
    assert len(expected["msgs"]) == 20
    client = await H2Client.connect(server.url, window=100)
    try:
        listed = await client.get(f"/getMsgs.json?shash={phone.shash}", method="GET")
        data = await client.get(f"/getRecordData.json?shash={phone.shash}&rid={rid}", method="GET")
    finally:
        await client.close()
    assert (listed.status, json.loads(listed.body)) == (200, expected)
    assert (data.status, bytes(data.body)) == (200, record)


async def test_requests_with_priority_leave_nothing_in_the_priority_tree(
    quick_server: RelayServer,
) -> None:
    device = await login(quick_server)
    # Hypercorn puts a stream it does not know into the tree when its priority arrives, for
    # good: past 1,000 the connection would be dropped (TooManyStreamsError).
    client = await H2Client.connect(quick_server.url)
    try:
        for _ in range(1_100):
            stream_id = await client.request(
                "GET", f"/heartBit.json?shash={device.shash}", weight=32
            )
            answer = await client.response(stream_id)
            assert (answer.status, bytes(answer.body)) == (200, OK)
        assert client.terminated is None and not client.closed.is_set()
    finally:
        await client.close()


@pytest.fixture(scope="module")
def quick_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RelayServer]:
    """Idle connections closed after a second; the access log in a file; no request caps."""
    env = {
        "CAMRELAY_SERVER_KEEP_ALIVE_TIMEOUT_S": "1",
        "CAMRELAY_SERVER_ACCESS_LOG_FILE": "access.log",
        "CAMRELAY_SESSIONS_ENFORCE_REQUEST_CAPS": "false",
    }
    with owner_relay(tmp_path_factory.mktemp("inline") / "relay", env) as server:
        yield server


async def test_a_client_gone_mid_body_ends_its_handler(quick_server: RelayServer) -> None:
    client = await H2Client.connect(quick_server.url)
    try:
        stream_id = await client.request("POST", "/addMsgs.json", b'{"msg":', end=False)
        await client.reset(stream_id)
    finally:
        await client.close()
    # Logged when the handler ends, long before the body's 60 s timeout would end it.
    log = quick_server.data_dir / "access.log"
    line = re.compile(r'"POST /addMsgs\.json 2" - - \d+us')
    assert await until(lambda: line.search(log.read_text()), timeout=10)


async def test_inline_answers_are_logged_and_the_connection_still_times_out_idle(
    quick_server: RelayServer,
) -> None:
    device = await login(quick_server)
    client = await H2Client.connect(quick_server.url)
    try:
        answer = await client.get(f"/heartBit.json?shash={device.shash}", method="GET")
        assert (answer.status, bytes(answer.body)) == (200, OK)
        # Idle again once its answer is out: Hypercorn closes it after keep_alive_timeout.
        await asyncio.wait_for(client.closed.wait(), 20)
    finally:
        await client.close()
    log = quick_server.data_dir / "access.log"
    line = re.compile(rf'127\.0\.0\.1:\d+ "GET /heartBit\.json 2" 200 {len(OK)} \d+us')
    assert await until(lambda: line.search(log.read_text()))


async def test_an_answer_in_flight_at_shutdown_is_given_then_goaway(tmp_path: Path) -> None:
    server = RelayServer(tmp_path / "relay").start()
    try:
        await server.add_account("owner", "owner-pw")
        device = await login(server)
        client = await H2Client.connect(server.url)
        start = f'{{"shash":"{device.shash}"'.encode()
        stream_id = await client.request("POST", "/heartBit.json", start, end=False)
        server.process.send_signal(signal.SIGTERM)  # type: ignore[union-attr]

        async def refused() -> bool:  # the server stopped listening: it is shutting down
            try:
                await (await H2Client.connect(server.url)).close()
            except OSError:
                return True
            return False

        await until(refused)
        await client.send(stream_id, b"}", end=True)
        answer = await client.response(stream_id)
        assert (answer.status, bytes(answer.body)) == (200, OK)
        await asyncio.wait_for(client.closed.wait(), 10)
        assert client.terminated is not None  # told, not just dropped
        await client.close()
        assert server.process.wait(timeout=20) == 0  # type: ignore[union-attr]
    finally:
        if server.process and server.process.poll() is None:
            server.kill()
