"""Sessions across two nodes on one store and one NATS: a session made on one node works on the
other, and one ended on a node is ended on every node within a second."""

from __future__ import annotations

import time

import httpx

from tests.support.admin_socket import log_in, open_socket
from tests.support.api import Api
from tests.support.metrics import metric
from tests.support.node_pair import per_minute, sign_in
from tests.support.relay_server import RelayServer
from tests.support.until import until


async def test_a_session_made_on_a_works_on_b_and_lists_its_device_online(
    nodes: list[RelayServer], account: tuple[str, str], http: httpx.AsyncClient
) -> None:
    a, b = Api(http, nodes[0].url), Api(http, nodes[1].url)
    cam = await sign_in(a, account, "cam")
    on_b = await b.call("getStreams", {"shash": cam.shash})
    assert on_b == {"result": "OK", "devices": []}

    async def online_on_b() -> bool:
        answer = await b.call("getDevicesOnline", {"shash": cam.shash})
        return {"device": "cam", "meta": ""} in answer["devices"]

    await until(online_on_b, timeout=5, what="B lists the device signed in on A")


async def test_a_user_deleted_on_a_ends_its_session_on_b_within_a_second(
    nodes: list[RelayServer], account: tuple[str, str], http: httpx.AsyncClient
) -> None:
    a, b = Api(http, nodes[0].url), Api(http, nodes[1].url)
    admin = await open_socket(nodes[0].url, await log_in(nodes[0], *account))
    made = await admin.request(
        "create",
        "users",
        payload={"name": "leaving", "password": "pw-leaving", "role": "viewer"},
    )
    assert made["name"] == "leaving"
    viewer = await b.login("leaving", "pw-leaving", device="phone")
    assert (await viewer.call("getStreams"))["result"] == "OK"  # B knows it, A does not yet
    received = await metric(nodes[1].url, "camrelay_cluster_events_received_total")
    assert (await admin.request("delete", "users", entity="leaving"))["deleted"] is True
    ended = time.monotonic()

    async def gone_on_b() -> bool:
        return (await viewer.call("getStreams")) == {"result": "BAD", "code": 6}

    await until(gone_on_b, timeout=1, every=0.01, what="the session is over on B")
    print(f"session end A -> B: {1000 * (time.monotonic() - ended):.0f} ms")
    await admin.close()
    assert await metric(nodes[1].url, "camrelay_cluster_events_received_total") > received
    assert (await a.call("getStreams", {"shash": viewer.shash})) == {"result": "BAD", "code": 6}


async def test_a_config_set_on_a_is_in_force_on_b(
    nodes: list[RelayServer], account: tuple[str, str], http: httpx.AsyncClient
) -> None:
    a, b = Api(http, nodes[0].url), Api(http, nodes[1].url)
    on_a = await sign_in(a, account, "setup")
    on_b = await sign_in(b, account, "phone")

    assert await per_minute(on_b) == 200  # B has read (and kept) the account's config
    assert (await on_a.call("setConfig", config=[{"kind": 4, "fv": 150}]))["result"] == "OK"

    async def changed() -> bool:
        return await per_minute(on_b) == 150

    await until(changed, timeout=1, what="B uses the new value")
