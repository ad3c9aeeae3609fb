"""Issue 15: state sync and the admin API across three nodes behind HAProxy: a state change made
on node 1 reaches the state sockets on nodes 2 and 3; a camera pushing to node 1 shows on the
admin sockets (python-socketio) on nodes 2 and 3, its log lines too, only to its account."""

from __future__ import annotations

import httpx

from tests.support.admin_socket import AdminSocket, log_in, open_socket
from tests.support.api import Api
from tests.support.cluster import Cluster
from tests.support.h2_client import H2Client
from tests.support.live import start_upload
from tests.support.state_socket import state_socket
from tests.support.until import until


async def test_a_state_change_on_one_node_reaches_the_sockets_on_the_others(
    cluster: Cluster,
) -> None:
    name, password = "state", "its password"
    await cluster.add_account(name, password)
    await cluster.node(1).add_camera(name, "cam")
    async with (
        state_socket(cluster.front(1), device="cam", account=name) as on_1,
        state_socket(cluster.front(2), device="cam", account=name) as on_2,
        state_socket(cluster.front(3), secure=False, device="cam", account=name) as on_3,
    ):
        await on_1.login(username=name, password=password)
        for other in (on_2, on_3):
            assert (await other.login(username=name, password=password))["brightness"] != 75
        await on_1.ask({"brightness": 75}, {"brightness": 75, "info": ["brightness"]})
        assert await on_2.recv() == {"brightness": 75}
        assert await on_3.recv() == {"brightness": 75}
    async with state_socket(cluster.front(3), device="cam", account=name) as later:
        snapshot = await later.login(username=name, password=password)
    assert snapshot["brightness"] == 75  # node 3's memory of the camera followed


def camera_events(sock: AdminSocket, name: str) -> list[object]:
    return [e for e in sock.named(name) if e["entity"] == "cam"]


async def test_a_camera_pushing_to_one_node_shows_on_admin_sockets_on_the_others(
    cluster: Cluster, http: httpx.AsyncClient
) -> None:
    name, password = "admins", "its password"
    await cluster.add_account(name, password)
    await cluster.add_account("stranger", "another password")
    token = await log_in(cluster.front(1), name, password)
    admins = [await open_socket(cluster.node_url(i), token) for i in (2, 3)]
    stranger_token = await log_in(cluster.front(2), "stranger", "another password")
    stranger = await open_socket(cluster.node_url(2), stranger_token)
    cam = await Api(http, cluster.node_url(1)).login(name, password, "cam")
    uploader = await H2Client.connect(cluster.node_url(1))
    upload = await start_upload(uploader, cam.shash)
    started = "stream started: device cam (RAW_JPEG)"
    for admin in admins:
        await until(lambda a=admin: camera_events(a, "camera:ready"), what="camera:ready")
        await until(lambda a=admin: any(started in line["msg"] for line in a.named("log")))
    await uploader.send(upload, b"", end=True)
    await uploader.response(upload)
    await uploader.close()
    for admin in admins:
        await until(lambda a=admin: camera_events(a, "camera:notReady"), what="camera:notReady")
        await admin.close()
    await stranger.close()
    assert stranger.named("camera:ready") == []
    assert not any("device cam " in line["msg"] for line in stranger.named("log"))
