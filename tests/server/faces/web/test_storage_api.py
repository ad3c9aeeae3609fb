"""GET /api/storage: the bytes of records the token's account stores and its quota (kind 7),
for the Records panel; nothing without a valid token."""

from __future__ import annotations

import httpx

from tests.server.faces.web.test_session_api import token_of
from tests.support.api import Device
from tests.support.relay_server import RelayServer

MIB = 1 << 20


async def storage(http: httpx.AsyncClient, server: RelayServer, token: str) -> httpx.Response:
    return await http.get(server.url + "/api/storage", headers={"Authorization": f"Bearer {token}"})


async def test_the_accounts_records_bytes_and_quota(
    server: RelayServer, http: httpx.AsyncClient, account: tuple[str, str], device: Device
) -> None:
    token = await token_of(http, server, *account)
    empty = await storage(http, server, token)
    assert empty.status_code == 200 and empty.headers["content-type"] == "application/json"
    assert empty.json() == {"used": 0, "quota": 10240 * MIB, "purgeOldest": False}
    await device.add_record(b"x" * 1000)
    await device.add_record(b"y" * 234, "TEXT")
    changes = [{"kind": 7, "fv": 5}, {"kind": 8, "fv": 1}]
    assert await device.call("setConfig", config=changes) == {"result": "OK"}
    answer = (await storage(http, server, token)).json()
    assert answer == {"used": 1234, "quota": 5 * MIB, "purgeOldest": True}


async def test_no_valid_token_no_answer(server: RelayServer, http: httpx.AsyncClient) -> None:
    for headers in ({}, {"Authorization": "Bearer nope"}):
        response = await http.get(server.url + "/api/storage", headers=headers)
        assert (response.status_code, response.json()) == (401, {"error": "Unauthorized"})
