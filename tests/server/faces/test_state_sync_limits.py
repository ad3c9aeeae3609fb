"""State sync (CONTRACT §5) beyond single messages: the message rate, a socket that stops
reading, persistence across a restart, and the camera's side (getMsgs and state-report)."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Awaitable, Callable, Iterator
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
import websockets

from camrelay.protocol.framing import encode_frame
from camrelay.server.core.state_keys import DEFAULTS
from tests.support.api import Api, Device
from tests.support.h2_client import H2Client
from tests.support.relay_server import RelayServer
from tests.support.state_socket import NOTHING_TO_SNAP, StateSocket, state_socket, state_url
from tests.support.until import until

RATE_LIMITED = {"error": "Rate limit exceeded"}
PERCENT = ["brightness", "contrast", "sharpness", "saturation", "gain", "red-gain", "blue-gain"]


def own_server(tmp_path_factory: pytest.TempPathFactory, **env: str) -> RelayServer:
    """A server with state settings of its own, an account `owner` and its camera `cam`."""
    relay = RelayServer(
        tmp_path_factory.mktemp("state"),
        env={f"CAMRELAY_STATE_{k.upper()}": v for k, v in env.items()},
    ).start()
    asyncio.run(relay.add_account("owner", "owner-pw"))
    asyncio.run(relay.add_camera("owner", "cam"))
    return relay


@pytest.fixture(scope="module")
def roomy(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RelayServer]:
    """No practical message rate, and small socket queues that merge soon."""
    relay = own_server(tmp_path_factory, rate_per_s="1000000", socket_queue="8")
    yield relay
    relay.stop()


@pytest.fixture(scope="module")
def strict(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RelayServer]:
    """A socket over the rate for one second is closed."""
    relay = own_server(tmp_path_factory, rate_close_after_s="1")
    yield relay
    relay.stop()


async def test_over_100_messages_a_second_are_refused_and_the_socket_stays(
    server: RelayServer, account: tuple[str, str]
) -> None:
    name, password = account
    await server.add_camera(name, "cam")
    async with state_socket(server, device="cam") as sock:
        await sock.login(username=name, password=password)
        sent = 1000
        for _ in range(sent):
            await sock.send({"get": ["fps"]})
        # Refusals a client does not read in time may be dropped: count until the bucket has
        # refilled and a marker query is answered.
        answers: list[Any] = []
        while (answer := await _ask(sock, {"get": ["resolution"]})) != {"resolution": "1280x720"}:
            answers.append(answer)
        served = answers.count({"fps": 25})
        assert answers.count(RATE_LIMITED) >= 1
        assert set(map(str, answers)) <= {str(RATE_LIMITED), str({"fps": 25})}
        assert 100 <= served < sent


async def _ask(sock: StateSocket, message: Any) -> Any:
    await sock.send(message)
    return await sock.recv()


async def test_a_socket_over_the_rate_too_long_is_closed_with_1008(strict: RelayServer) -> None:
    async with state_socket(strict, device="cam") as sock:
        await sock.login(username="owner", password="owner-pw")

        async def flood() -> None:
            while True:
                await sock.send({"get": ["fps"]})
                await asyncio.sleep(0)  # a yield, so the reader below runs between sends

        flooding = asyncio.create_task(flood())
        try:
            with pytest.raises(websockets.ConnectionClosed) as closed:
                async with asyncio.timeout(30):
                    async for _ in sock.ws:
                        pass
        finally:
            flooding.cancel()
        assert closed.value.rcvd is not None
        assert (closed.value.rcvd.code, closed.value.rcvd.reason) == (1008, "Rate limit exceeded")


async def slow_socket(server: RelayServer) -> websockets.ClientConnection:
    """A logged-in socket whose client reads into tiny buffers and then stops reading: plain
    ws (TLS would read ahead into its own buffer) without compression (which would shrink
    what waits in the server's buffers)."""
    url = state_url(server, secure=False, device="cam")
    host, port = urlsplit(url).hostname, urlsplit(url).port
    raw = socket.socket()
    raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    raw.connect((host, port))
    ws = await websockets.connect(url, sock=raw, max_queue=1, compression=None)
    await StateSocket(ws).login(username="owner", password="owner-pw")
    return ws


def values(i: int, last: int) -> dict[str, Any]:
    """The i-th write: every image key changes; only the last one sets them all to 100."""
    return {name: 100 if i == last else (i + n) % 100 for n, name in enumerate(PERCENT)}


async def test_a_socket_that_stops_reading_delays_nobody_and_converges(roomy: RelayServer) -> None:
    writes = 1500
    final = values(writes - 1, writes - 1)
    slow = await slow_socket(roomy)
    try:
        async with (
            state_socket(roomy, device="cam") as writer,
            state_socket(roomy, device="cam") as fast,
        ):
            await writer.login(username="owner", password="owner-pw")
            await fast.login(username="owner", password="owner-pw")

            async def confirmations() -> None:
                for i in range(writes):
                    assert await writer.recv() == {**values(i, writes - 1), "info": PERCENT}

            async def follow() -> None:
                seen: dict[str, Any] = {}
                while seen != final:
                    seen.update(await fast.recv())

            confirmed = asyncio.create_task(confirmations())
            followed = asyncio.create_task(follow())
            for i in range(writes):
                await writer.send(values(i, writes - 1))
            await confirmed
            await followed  # the fast reader has everything while the slow one reads nothing
            # (The kernel's socket buffers hold these writes; the merging of a full outbox is
            # proven in tests/server/core/test_state.py.)
            slow_view = StateSocket(slow)
            seen: dict[str, Any] = {}
            while {k: seen.get(k) for k in final} != final:
                seen.update(await slow_view.recv())
            await slow_view.settled()
    finally:
        await slow.close()


async def test_state_survives_a_restart(roomy: RelayServer) -> None:
    async with state_socket(roomy, secure=False, device="cam") as sock:
        await sock.login(username="owner", password="owner-pw")
        written = {"brightness": 33, "record": "pause", "resolution": "320x240", "cam1-light": True}
        await sock.ask(
            {**written, "snap": True},
            {**written, "snap": True, **NOTHING_TO_SNAP, "info": [*written, "snap"]},
        )
    roomy.stop()
    roomy.start()
    async with state_socket(roomy, device="cam") as sock:
        snapshot = await sock.login(username="owner", password="owner-pw")
        assert {k: snapshot[k] for k in written} == written
        assert (snapshot["snap"], snapshot["cam1-exists"]) == (False, False)
        assert set(snapshot) == set(DEFAULTS)


def _with_msgs(camera: Device) -> Callable[[], Awaitable[dict[str, Any] | None]]:
    """A poll of the camera's getMsgs: its answer once it lists a message."""

    async def poll() -> dict[str, Any] | None:
        answer = await camera.call("getMsgs")
        return answer if answer["msgs"] else None

    return poll


async def test_the_camera_receives_its_keys_and_its_report_is_broadcast(
    server: RelayServer, account: tuple[str, str], api: Api
) -> None:
    name, password = account
    key_id, secret = await server.add_key(name, "cam")
    camera = await api.login(key_id, secret, "cam")
    async with (
        state_socket(server, device="cam") as admin,
        state_socket(server, secure=False, device="cam") as watcher,
    ):
        await admin.login(username=name, password=password)
        await watcher.login(username=name, password=password)
        await admin.ask(
            {"brightness": 90, "record": "on"},
            {"brightness": 90, "record": "on", "info": ["brightness", "record"]},
        )
        await watcher.expect({"brightness": 90, "record": "on"})
        answer = await until(_with_msgs(camera), what="the state message")
        assert [(m["msg"], m["device"], m["params"]) for m in answer["msgs"]] == [
            ("state", "camrelay", {"brightness": 90})
        ]
        report = {"brightness": 91, "cam2-exists": True, "fps": 400, "record": "off"}
        assert (await camera.call("addMsgs", msg="state-report", params=report))["result"] == "OK"
        for sock in (admin, watcher):
            await sock.expect({"brightness": 91, "cam2-exists": True})
            await sock.settled()
        # The camera's own key logs in to the socket and reports the read-only keys.
        async with state_socket(server, device="cam") as device:
            await device.login(username=key_id, password=secret)
            await device.ask(
                {"cam2-exists": False, "brightness": 1},
                {"cam2-exists": False, "info": ["cam2-exists"]},
                {"error": "Permission denied", "key": "brightness"},
            )
        await watcher.expect({"cam2-exists": False})


async def test_cam1_exists_follows_the_live_upload(
    server: RelayServer, account: tuple[str, str], api: Api
) -> None:
    name, password = account
    await server.add_camera(name, "cam")
    camera = await api.login(name, password, "cam")
    async with state_socket(server, device="cam") as watcher:
        assert (await watcher.login(username=name, password=password))["cam1-exists"] is False
        client = await H2Client.connect(server.url)
        try:
            query = httpx.QueryParams({"shash": camera.shash, "subproto": "RAW_JPEG"})
            upload = await client.request("PUT", f"/input.raw?{query}", end=False)
            await client.send(upload, encode_frame(b"frame"))
            await watcher.expect({"cam1-exists": True})
            await client.send(upload, b"", end=True)
            await client.response(upload)
            await watcher.expect({"cam1-exists": False})
        finally:
            await client.close()
