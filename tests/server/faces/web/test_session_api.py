"""POST /api/session: a core-API session for a §4 token's user, its role and camera scope
enforced by the core API itself (a viewer's deleteRecords is code 16)."""

from __future__ import annotations

import re

import httpx

from tests.support.api import Api, Device
from tests.support.relay_server import RelayServer

INVALID = (401, {"error": "Invalid credentials"})
DEVICE_RE = re.compile(r"web-[0-9a-f]{12}")


async def token_of(http: httpx.AsyncClient, server: RelayServer, user: str, password: str) -> str:
    response = await http.post(
        server.url + "/api/login", json={"username": user, "password": password}
    )
    assert response.status_code == 200, response.text
    return str(response.json()["token"])


async def open_session(http: httpx.AsyncClient, server: RelayServer, token: str) -> httpx.Response:
    return await http.post(
        server.url + "/api/session", headers={"Authorization": f"Bearer {token}"}
    )


async def test_a_session_per_tab_with_the_users_role(
    server: RelayServer, http: httpx.AsyncClient, api: Api, site: dict[str, str]
) -> None:
    token = await token_of(http, server, site["viewer"], site["viewer"][::-1])
    first, second = await open_session(http, server, token), await open_session(http, server, token)
    assert first.status_code == 200 and first.headers["content-type"] == "application/json"
    answer = first.json()
    assert set(answer) == {"shash", "device"} and DEVICE_RE.fullmatch(answer["device"])
    assert answer["device"] != second.json()["device"]
    viewer = Device(api, answer["shash"], answer["device"])
    assert (await viewer.call("getStreams"))["result"] == "OK"
    assert await viewer.call("deleteRecords", records=[1]) == {"result": "BAD", "code": 16}
    assert await viewer.call("addMsgs", msgs=[{"msg": "hi"}]) == {"result": "BAD", "code": 16}


async def test_a_scoped_user_sees_only_its_cameras(
    server: RelayServer, http: httpx.AsyncClient, api: Api, site: dict[str, str]
) -> None:
    for camera in ("scoped", "other"):
        await api.login(site["admin"], site["password"], device=camera)
    token = await token_of(http, server, site["scoped"], site["scoped"][::-1])
    answer = (await open_session(http, server, token)).json()
    online = await Device(api, answer["shash"], answer["device"]).call("getDevicesOnline")
    assert {d["device"] for d in online["devices"]} == {"scoped", answer["device"]}


async def test_a_bad_or_missing_token_is_refused(
    server: RelayServer, http: httpx.AsyncClient
) -> None:
    bad = await open_session(http, server, "not-a-token")
    missing = await http.post(server.url + "/api/session")
    for response in (bad, missing):
        assert (response.status_code, response.json()) == INVALID
