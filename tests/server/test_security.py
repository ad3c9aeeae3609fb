"""Failed logins are slowed per address, sessions are bound to their address, request caps
end a session, and no password or shash reaches the log."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from tests.support.api import Api, post_raw
from tests.support.relay_server import RelayServer


@pytest.fixture
async def strict_server(data_dir: Path) -> AsyncIterator[RelayServer]:
    """A server with a measurable login slow-down (0.2 s doubling, at most 1.6 s)."""
    server = RelayServer(
        data_dir,
        env={
            "CAMRELAY_SESSIONS_LOGIN_DELAY_BASE_S": "0.2",
            "CAMRELAY_SESSIONS_LOGIN_DELAY_MAX_S": "1.6",
        },
    ).start()
    await server.add_account("owner", "right password")
    yield server
    server.stop()


async def timed_login(api: Api, password: str) -> tuple[dict[str, object], float]:
    started = time.monotonic()
    body = json.dumps({"name": "owner", "pass": password, "device": "d"}).encode()
    answer = await post_raw(api, "authorize", body)
    return answer, time.monotonic() - started


async def test_failed_logins_are_slowed_per_address(strict_server: RelayServer) -> None:
    async with httpx.AsyncClient(http2=True, verify=False, timeout=30) as http:
        api = Api(http, strict_server.url)
        timings = [await timed_login(api, f"guess {i}") for i in range(5)]
        right, right_time = await timed_login(api, "right password")
        after, after_time = await timed_login(api, "right password")
    assert [answer for answer, _ in timings] == [{"result": "BAD", "code": 7}] * 5
    waits = [0.0, 0.2, 0.4, 0.8, 1.6]
    assert all(took >= wait for (_, took), wait in zip(timings, waits, strict=True))
    assert right["result"] == "OK" and right_time >= 1.6  # still slowed: no faster answers
    assert after["result"] == "OK" and after_time < 1.6  # success forgets the failures


async def test_a_session_is_bound_to_its_client_address(strict_server: RelayServer) -> None:
    async with httpx.AsyncClient(http2=True, verify=False) as http:
        device = await Api(http, strict_server.url).login("owner", "right password", "cam")
    transport = httpx.AsyncHTTPTransport(http2=True, verify=False, local_address="127.0.0.2")
    async with httpx.AsyncClient(transport=transport) as other:
        stolen = await other.post(
            f"{strict_server.url}/heartBit.json", json={"shash": device.shash}
        )
    assert stolen.json() == {"result": "BAD", "code": 6}


async def test_request_caps_end_the_session(strict_server: RelayServer) -> None:
    async with httpx.AsyncClient(http2=True, verify=False) as http:
        device = await Api(http, strict_server.url).login("owner", "right password", "cam")
        await device.call("setConfig", config=[{"kind": 4, "fv": 20}])
        answers = [await device.call("heartBit") for _ in range(20)]
    assert answers[:19] == [{"result": "OK"}] * 19
    assert answers[19] == {"result": "BAD", "code": 6}


async def test_no_password_or_shash_in_the_log(strict_server: RelayServer) -> None:
    async with httpx.AsyncClient(http2=True, verify=False) as http:
        query = {"name": "owner", "pass": "right password", "device": "cam"}
        shash = (await http.post(f"{strict_server.url}/authorize.json", params=query)).json()[
            "shash"
        ]
        await http.post(f"{strict_server.url}/heartBit.json", params={"shash": shash})
        await http.post(
            f"{strict_server.url}/getRecordMeta.json", params={"shash": shash, "rid": "x"}
        )
    strict_server.stop()
    log = strict_server.log()
    assert "POST /authorize.json" in log and "POST /heartBit.json" in log
    for secret in (
        "right password",
        "right+password",
        "right%20password",
        shash,
        httpx.QueryParams({"s": shash}).get("s"),
        shash.replace("=", "%3D"),
    ):
        assert secret not in log
    strict_server.start()
