"""The async relay client against a real server: every request, typed results, errors as
exceptions, re-authorization on code 6, and frames pushed and pulled through the relay."""

from __future__ import annotations

import asyncio
import os

import pytest

from camrelay.clients.relay import RelayClient
from camrelay.protocol.errors import (
    ErroredStream,
    MalformedRequest,
    NoChannel,
    NoSuchRecord,
    NoSuchUser,
)
from camrelay.protocol.wire_types import ConfigKind, OutgoingMessage, StreamInfo
from tests.support.metrics import metric, stream_viewers
from tests.support.relay_server import RelayServer
from tests.support.until import until


def client(server: RelayServer, account: tuple[str, str], device: str) -> RelayClient:
    return RelayClient(server.url, account[0], account[1], device, verify=False)


async def test_records_config_and_messages(server: RelayServer, account: tuple[str, str]) -> None:
    async with client(server, account, "cam") as cam, client(server, account, "phone") as phone:
        rid = await cam.add_record(b"\xff\xd8jpeg", meta="JPEG")
        entries = [e async for e in phone.all_records()]
        assert [(e.rid, e.device) for e in entries] == [(rid, "cam")]
        assert (await phone.record_meta(rid)).meta == "JPEG"
        assert await phone.record_data(rid) == b"\xff\xd8jpeg"
        await phone.delete_records([rid])
        with pytest.raises(NoSuchRecord):
            await phone.record_meta(rid)
        await phone.set_config({1: 2.5})
        config = await cam.config()
        assert config[0] == ConfigKind(1, "old records timeout (days)", 0.004, 168, 30, 2.5)
        await cam.send("alarm", params={"zone": 1})
        await cam.send_many(
            [OutgoingMessage("a", "phone"), OutgoingMessage("b", "phone", {"x": 2})]
        )
        got = await phone.messages_and_sync()
        assert [(m.msg, m.device, m.params) for m in got] == [
            ("alarm", "cam", {"zone": 1}),
            ("a", "cam", {}),
            ("b", "cam", {"x": 2}),
        ]
        assert await phone.messages() == []
        assert sorted(d.device for d in await phone.devices_online()) == ["cam", "phone"]
        assert len(await cam.server_time()) == 19


async def test_errors_are_exceptions_and_code_6_reauthorizes(
    server: RelayServer, account: tuple[str, str]
) -> None:
    with pytest.raises(NoSuchUser):
        await RelayClient(server.url, account[0], "wrong", "x", verify=False).authorize()
    async with client(server, account, "cam") as cam:
        with pytest.raises(MalformedRequest):
            await cam.set_config({1: 1000})
        old = cam.shash
        cam.shash = "AAAAAAAAAAAAAAAAAAAAAAAAAAA="  # as if the session had expired
        await cam.heartbeat()
        assert cam.shash not in (old, "AAAAAAAAAAAAAAAAAAAAAAAAAAA=")
        cam.shash = "AAAAAAAAAAAAAAAAAAAAAAAAAAA="  # the blob requests re-authorize too
        rid = await cam.add_record(b"after expiry")
        cam.shash = "AAAAAAAAAAAAAAAAAAAAAAAAAAA="
        assert await cam.record_data(rid) == b"after expiry"


async def test_push_and_pull_frames(server: RelayServer, account: tuple[str, str]) -> None:
    payloads = [os.urandom(n) for n in (0, 10, 40_000, 100_000)] * 5
    viewing = asyncio.Event()

    async def frames():  # type: ignore[no-untyped-def]
        await viewing.wait()  # the first frame goes out once the viewer is attached
        for payload in payloads:
            yield payload

    async def pull() -> list[bytes]:
        return [frame async for frame in viewer.pull("cam")]

    async with client(server, account, "cam") as cam, client(server, account, "viewer") as viewer:
        upload = asyncio.create_task(cam.push(frames(), subproto="RAW_BIN", delta=0))
        streams = await until(viewer.streams, what="getStreams lists cam")
        assert streams == [StreamInfo("cam", "RAW_BIN", 0)]
        before = await stream_viewers(server.url, "cam")
        pulling = asyncio.create_task(pull())

        async def attached() -> bool:
            return await stream_viewers(server.url, "cam") > before

        await until(attached, what="the viewer is attached")
        viewing.set()
        got = await asyncio.wait_for(pulling, 20)
        await upload
        assert got == payloads
        with pytest.raises(NoChannel):
            async for _ in viewer.pull("cam"):
                pass


async def test_push_reports_the_servers_error(
    server: RelayServer, account: tuple[str, str]
) -> None:
    async def stalling():  # type: ignore[no-untyped-def]
        yield b"first"
        # The stall is what is tested: the server ends an upload silent for over 3 x delta.
        await asyncio.sleep(1.0)
        yield b"late"

    async with client(server, account, "cam") as cam:
        with pytest.raises(ErroredStream):
            await cam.push(stalling(), delta=100)


async def test_tasks_that_need_a_session_together_share_one_login(
    server: RelayServer, account: tuple[str, str]
) -> None:
    """A camera's upload and message poll started at once logged in twice, which from one
    address looked like a login burst."""
    before = await metric(server.url, "camrelay_login_checks_total")
    client = RelayClient(server.url, *account, "cam", verify=False)
    try:
        beats = await asyncio.gather(*(client.call("heartBit") for _ in range(5)))
        assert beats == [{"result": "OK"}] * 5
        assert await metric(server.url, "camrelay_login_checks_total") == before + 1
    finally:
        await client.close()
