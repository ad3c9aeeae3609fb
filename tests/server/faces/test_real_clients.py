"""The message loop exactly as the original author's client libraries drive it, byte for byte.

wcwebcamclient_lib (C, src/wcCURLClient.cpp), wcwebcamclient_go and the ESP32 client
(http2_protoclient.c) all start with the stamp REST_SYNC_MSG, the *string* `{"msg":"sync"}`,
then pass back the largest stamp of each answer. The C library builds every body with cJSON
(unformatted, fields in the order added); `wcSendMsg` takes the user's message object and
appends "shash"; with wcstSendWithSync set it polls getMsgsAndSync.json instead of getMsgs.json.
"""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from tests.support.api import Api
from tests.support.relay_server import RelayServer

REST_SYNC_MSG = '{"msg":"sync"}'  # wcConsts.cpp: const char * REST_SYNC_MSG = "{\"msg\":\"sync\"}"
RAISED_CAPS = [{"kind": 3, "fv": 10000}, {"kind": 4, "fv": 200}]


def c_body(*fields: tuple[str, Any]) -> bytes:
    """What cJSON_PrintUnformatted makes of an object built field by field."""
    return json.dumps(dict(fields), separators=(",", ":"), ensure_ascii=False).encode()


@dataclass
class CClient:
    """The requests of wcCURLClient, with its bodies and its stamp bookkeeping."""

    api: Api
    device: str
    sid: str = ""
    last_msgs_stamp: str = REST_SYNC_MSG  # disconnect() and clearLastMsgsStamp() reset it
    send_with_sync: bool = False  # wcstSendWithSync

    async def post(self, path: str, body: bytes) -> dict[str, Any]:
        response = await self.api.http.post(f"{self.api.url}/{path}", content=body)
        assert (response.status_code, response.http_version) == (200, "HTTP/2")
        return response.json()

    async def authorize(self, name: str, password: str) -> None:
        """wcCURLClient::authorize (no meta set)."""
        self.last_msgs_stamp = REST_SYNC_MSG
        answer = await self.post(
            "authorize.json", c_body(("name", name), ("pass", password), ("device", self.device))
        )
        assert answer["result"] == "OK", answer
        self.sid = answer["shash"]

    async def send_msg(self, msg: dict[str, Any]) -> None:
        """wcSendMsg: the user's message object with "shash" appended."""
        answer = await self.post("addMsgs.json", c_body(*msg.items(), ("shash", self.sid)))
        assert answer == {"result": "OK"}

    async def update_msgs(self) -> list[dict[str, Any]]:
        """wcCURLClient::updateMsgs and successUpdateMsgs: one poll."""
        path = "getMsgsAndSync.json" if self.send_with_sync else "getMsgs.json"
        answer = await self.post(path, c_body(("shash", self.sid), ("stamp", self.last_msgs_stamp)))
        assert answer["result"] == "OK", answer
        msgs: list[dict[str, Any]] = answer["msgs"]
        for msg in reversed(msgs):  # the last element with a string stamp
            if isinstance(msg.get("stamp"), str):
                self.last_msgs_stamp = msg["stamp"]
                break
        return msgs

    async def drain(self) -> list[dict[str, Any]]:
        """Poll until a poll brings nothing new (the library polls on a timer)."""
        got: list[dict[str, Any]] = []
        while page := await self.update_msgs():
            got.extend(page)
        return got


def numbered(msgs: list[dict[str, Any]]) -> list[tuple[str, str, int]]:
    return [(m["device"], m["msg"], m["params"]["n"]) for m in msgs]


async def test_two_c_clients_chat_every_message_arrives_once_in_order(
    api: Api, account: tuple[str, str]
) -> None:
    cam, phone = CClient(api, "cam"), CClient(api, "phone")
    await cam.authorize(*account)
    await phone.authorize(*account)
    # wcSetConfig posts the caller's JSON text as it is.
    assert await cam.post(
        "setConfig.json", c_body(("shash", cam.sid), ("config", RAISED_CAPS))
    ) == {"result": "OK"}
    assert await phone.update_msgs() == []  # the first poll, with the text stamp REST_SYNC_MSG

    for n in range(20):
        await cam.send_msg({"msg": "chat", "target": "phone", "params": {"n": n}})
    # The ESP32 client (h2pc_req_send_msgs_sync) sends its pool as one "msgs" array.
    esp32 = [{"msg": "chat", "target": "phone", "params": {"n": n}} for n in range(20, 40)]
    assert await cam.post("addMsgs.json", c_body(("shash", cam.sid), ("msgs", esp32))) == {
        "result": "OK"
    }
    await cam.send_msg({"msg": "hello", "params": {"n": 40}})  # a broadcast
    received = await phone.drain()  # 41 messages: more than one page of 32
    assert numbered(received) == [("cam", "chat", n) for n in range(40)] + [("cam", "hello", 40)]

    cam.send_with_sync = True
    assert await cam.drain() == []  # its own messages never come back
    for n in range(10):
        await phone.send_msg({"msg": "reply", "target": "cam", "params": {"n": n}})
    assert numbered(await cam.drain()) == [("phone", "reply", n) for n in range(10)]
    await phone.send_msg({"msg": "sync"})  # the phone acknowledges what it was given

    # Both come back with new sessions and start again from REST_SYNC_MSG: nothing repeats.
    await cam.authorize(*account)
    await phone.authorize(*account)
    assert await cam.drain() == []
    assert await phone.drain() == []
    await cam.send_msg({"msg": "chat", "target": "phone", "params": {"n": 41}})
    assert numbered(await phone.drain()) == [("cam", "chat", 41)]


def curl_post(url: str, body: bytes) -> tuple[str, str]:
    done = subprocess.run(
        ["curl", "-sS", "--http2", "-k", "-w", "\n%{http_version}", "--data-binary", "@-", url],
        input=body,
        capture_output=True,
        timeout=30,
        check=True,
    )
    text, _, version = done.stdout.decode().rpartition("\n")
    return text, version


async def test_curl_http2_with_the_c_library_body(
    server: RelayServer, api: Api, account: tuple[str, str]
) -> None:
    cam, phone = CClient(api, "cam"), CClient(api, "phone")
    await cam.authorize(*account)
    await phone.authorize(*account)
    await cam.send_msg({"msg": "chat", "target": "phone", "params": {"n": 1}})
    body = b'{"shash":"' + phone.sid.encode() + b'","stamp":"{\\"msg\\":\\"sync\\"}"}'
    assert body == c_body(("shash", phone.sid), ("stamp", REST_SYNC_MSG))
    text, version = curl_post(f"{server.url}/getMsgs.json", body)
    assert version == "2"
    stamp = json.loads(text)["msgs"][0]["stamp"]
    assert text == (
        '{"msgs":[{"msg":"chat","device":"cam","params":{"n":1},"stamp":"'
        + stamp
        + '"}],"result":"OK"}'
    )


SYNC_STAMP_FORMS = {
    "json-text": ({"stamp": REST_SYNC_MSG}, {}),  # what C, Go and ESP32 send
    "json-object": ({"stamp": {"msg": "sync"}}, {}),
    "query": ({}, {"stamp": REST_SYNC_MSG}),  # ?stamp=%7B%22msg%22%3A%22sync%22%7D
}


@pytest.mark.parametrize("form", sorted(SYNC_STAMP_FORMS))
async def test_the_sync_stamp_in_all_three_forms(
    api: Api, account: tuple[str, str], form: str
) -> None:
    cam = await api.login(*account, device="cam")
    phone = await api.login(*account, device="phone")
    body, query = SYNC_STAMP_FORMS[form]
    assert str(httpx.QueryParams(query)) in ("", "stamp=%7B%22msg%22%3A%22sync%22%7D")

    async def call(who: Any, name: str) -> dict[str, Any]:
        response = await api.http.post(
            f"{api.url}/{name}.json",
            content=json.dumps({"shash": who.shash, **body}).encode(),
            params=query,
        )
        return response.json()

    rid = (await cam.add_record(b"jpeg"))["rid"]
    await cam.call("addMsgs", msg="first", target="phone")
    assert [m["msg"] for m in (await call(phone, "getMsgs"))["msgs"]] == ["first"]
    assert [m["msg"] for m in (await call(phone, "getMsgsAndSync"))["msgs"]] == ["first"]
    await cam.call("addMsgs", msg="second", target="phone")
    assert [m["msg"] for m in (await call(phone, "getMsgs"))["msgs"]] == ["second"]
    assert [r["rid"] for r in (await call(phone, "getRecordCount"))["records"]] == [rid]
