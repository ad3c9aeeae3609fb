"""Input that must neither poison what others read nor cost more than it should: strict JSON,
lone surrogates, deep nesting, oversized id lists, bodies nobody asked for, lying lengths."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

import httpx
import pytest

from camrelay.protocol.framing import encode_frame
from tests.support.api import Api, Device, post_raw
from tests.support.h2_client import H2Client
from tests.support.relay_server import RelayServer

BAD = {"result": "BAD", "code": 12}


async def test_add_record_answer_puts_the_added_key_last(device: Device) -> None:
    response = await device.api.http.post(
        f"{device.api.url}/addRecord.json", params={"shash": device.shash}, content=b"x"
    )
    assert response.text == f'{{"result":"OK","rid":{response.json()["rid"]}}}'


@pytest.mark.parametrize(
    "body",
    [
        '{"shash":"S","msg":"x","params":{"a":NaN}}',
        '{"shash":"S","msg":"x","params":[Infinity]}',
        '{"shash":"S","msg":"x","params":{"a":1e999}}',
    ],
)
async def test_numbers_json_cannot_carry_are_refused(device: Device, body: str) -> None:
    answer = await post_raw(device.api, "addMsgs", body.replace("S", device.shash).encode())
    assert answer == {"result": "BAD", "code": 4}


async def test_lone_surrogates_and_deep_nesting_are_refused(
    api: Api, account: tuple[str, str]
) -> None:
    sender = await api.login(*account, device="sender")
    receiver = await api.login(*account, device="receiver")
    deep: object = 1
    for _ in range(40):
        deep = [deep]
    cases = [
        {"msg": "\ud800"},
        {"msg": "m", "params": {"\udfff": 1}},
        {"msg": "m", "params": deep},
        {"msg": "m", "target": "re\udc00ceiver"},
    ]
    answers = [
        await post_raw(api, "addMsgs", json.dumps({"shash": sender.shash, **case}).encode())
        for case in cases
    ]
    raw = await post_raw(
        api, "addMsgs", b'{"shash":"' + sender.shash.encode() + b'","msg":"\xed\xa0\x80"}'
    )
    auth = [
        await post_raw(
            api,
            "authorize",
            json.dumps(
                {"name": account[0], "pass": account[1], "device": "d", "meta": meta}
            ).encode(),
        )
        for meta in ("\ud800", {"k": "\udbff"})
    ]
    password = await post_raw(
        api, "authorize", json.dumps({"name": account[0], "pass": "\ud800", "device": "d"}).encode()
    )
    assert answers == [BAD] * len(cases)
    assert raw["result"] == "BAD" and raw["code"] in (4, 12)
    assert auth == [BAD, BAD] and password == BAD
    assert await sender.call("addMsgs", msg="fine", params={"nested": [[1]]}) == {"result": "OK"}
    got = await receiver.call("getMsgs")
    assert [(m["msg"], m["params"]) for m in got["msgs"]] == [("fine", {"nested": [[1]]})]


async def test_more_ids_than_allowed_are_refused_not_cut(device: Device) -> None:
    rid = (await device.add_record(b"kept"))["rid"]
    answer = await device.call("deleteRecords", records=[10**9 + i for i in range(10_000)] + [rid])
    assert answer == BAD
    assert [r["rid"] for r in (await device.call("getRecordCount"))["records"]] == [rid]


async def test_a_viewer_sending_a_body_is_ended_and_a_lying_length_spares_the_connection(
    server: RelayServer, api: Api, account: tuple[str, str]
) -> None:
    cam = await api.login(*account, device="cam")
    viewer = await api.login(*account, device="viewer")
    client = await H2Client.connect(server.url)
    length = [("content-length", "21474836480")]
    q = httpx.QueryParams({"shash": cam.shash})
    upload = await client.request("PUT", f"/input.raw?{q}", end=False, headers=length)
    for _ in range(200):
        if (await viewer.call("getStreams"))["devices"]:
            break
        await asyncio.sleep(0.01)
    vq = httpx.QueryParams({"shash": viewer.shash, "device": "cam"})
    talker = await client.request("POST", f"/output.raw?{vq}", end=False)
    await client.send(talker, b"x" * 200_000)  # a viewer that uploads: ended, not buffered
    ended = await client.response(talker)
    await client.send(upload, encode_frame(b"one frame"), end=True)  # far short of the length
    answer = await client.response(upload)
    beat = await client.response(
        await client.request(
            "POST",
            "/heartBit.json",
            json.dumps({"shash": cam.shash}).encode(),
            headers=[("content-length", "not a number")],
        )
    )
    await client.close()
    assert ended.status == 200 and ended.reset_code in (None, 0)
    assert json.loads(answer.body) == {"result": "OK"}
    assert json.loads(beat.body) == {"result": "OK"}
    assert client.terminated is None


@pytest.mark.parametrize(
    "action, stdin", [("passwd", b"new password\n"), ("del", b"")], ids=["passwd", "del"]
)
async def test_ending_a_session_ends_its_streams(data_dir: Path, action: str, stdin: bytes) -> None:
    server = RelayServer(data_dir, env={"CAMRELAY_HOUSEKEEPING_INTERVAL_S": "0.2"}).start()
    await server.add_account("owner", "pw")
    try:
        async with httpx.AsyncClient(http2=True, verify=False) as http:
            api = Api(http, server.url)
            cam = await api.login("owner", "pw", "cam")
            viewer = await api.login("owner", "pw", "viewer")
            client = await H2Client.connect(server.url)
            upload = await client.request(
                "PUT", f"/input.raw?{httpx.QueryParams({'shash': cam.shash})}", end=False
            )
            for _ in range(200):
                if (await viewer.call("getStreams"))["devices"]:
                    break
                await asyncio.sleep(0.01)
            vq = httpx.QueryParams({"shash": viewer.shash, "device": "cam"})
            watcher = await client.request("GET", f"/output.raw?{vq}")
            # Its headers come once it is attached: the frame must not race the attach.
            await asyncio.wait_for(client.responses[watcher].headers_seen.wait(), 5)
            await client.send(upload, encode_frame(b"before"))
            await asyncio.sleep(0.2)
            proc = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "camrelay",
                "user",
                action,
                "owner",
                "--data",
                str(data_dir),
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.DEVNULL,
            )
            await proc.communicate(stdin)
            answer = await client.response(upload, timeout=15)
            seen = await client.response(watcher, timeout=15)
            await client.close()
    finally:
        server.stop()
    assert json.loads(answer.body) == {"result": "BAD", "code": 6}
    assert bytes(seen.body) == encode_frame(b"before")
