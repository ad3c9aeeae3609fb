"""State sync and the admin API across two nodes: a state change made through node A reaches
the state sockets on B (and B's memory of the camera); a camera pushing to A shows on the admin
sockets on B, its log lines too, only to its account."""

from __future__ import annotations

from typing import Any

import cv2
import httpx
import numpy as np

from tests.support.admin_socket import AdminSocket, log_in, open_socket
from tests.support.api import Api, Device
from tests.support.h2_client import H2Client
from tests.support.metrics import metric, stream_viewers
from tests.support.node_pair import listed, open_viewer, pushing, sign_in, start_upload
from tests.support.relay_server import RelayServer
from tests.support.state_socket import state_socket
from tests.support.stored import record_data
from tests.support.until import until


async def test_a_state_change_on_a_reaches_the_sockets_on_b(
    nodes: list[RelayServer], account: tuple[str, str]
) -> None:
    a, b = nodes
    name, password = account
    await a.add_camera(name, "cam")
    async with (
        state_socket(a, device="cam", account=name) as on_a,
        state_socket(b, device="cam", account=name) as on_b,
    ):
        await on_a.login(username=name, password=password)
        before = await on_b.login(username=name, password=password)
        assert before["brightness"] != 75
        await on_a.ask({"brightness": 75}, {"brightness": 75, "info": ["brightness"]})
        assert await on_b.recv() == {"brightness": 75}
    async with state_socket(b, secure=False, device="cam", account=name) as later:
        snapshot = await later.login(username=name, password=password)
    assert snapshot["brightness"] == 75  # B's memory of the camera followed


async def test_a_camera_pushing_to_a_shows_on_admin_sockets_on_b(
    nodes: list[RelayServer], account: tuple[str, str], http: httpx.AsyncClient
) -> None:
    a, b = nodes
    admin = await open_socket(b.url, await log_in(b, *account))
    stranger_account = (f"{account[0]}x", "pw-stranger")
    await b.add_account(*stranger_account)
    stranger = await open_socket(b.url, await log_in(b, *stranger_account))
    cam = await sign_in(Api(http, a.url), account, "cam")
    uploader = await H2Client.connect(a.url)
    upload = await start_upload(uploader, cam)

    def ready() -> list[dict[str, object]]:
        return [e for e in admin.named("camera:ready") if e["entity"] == "cam"]

    await until(ready, timeout=5, what="camera:ready on B")
    started = "stream started: device cam (RAW_JPEG)"
    await until(lambda: any(started in line["msg"] for line in admin.named("log")), timeout=5)
    await uploader.send(upload, b"", end=True)
    await uploader.response(upload)
    await uploader.close()
    await until(lambda: admin.named("camera:notReady"), timeout=5, what="camera:notReady on B")
    await admin.close()
    await stranger.close()
    assert stranger.named("camera:ready") == []
    assert not any("device cam " in line["msg"] for line in stranger.named("log"))


async def camera_on_a(
    nodes: list[RelayServer], account: tuple[str, str], http: httpx.AsyncClient, device: str
) -> tuple[Device, Device]:
    """A registered camera signed in on A and a phone of the account signed in on B."""
    a, b = nodes
    await a.add_camera(account[0], device)
    return (
        await sign_in(Api(http, a.url), account, device),
        await sign_in(Api(http, b.url), account, "phone"),
    )


async def test_record_set_on_b_is_recorded_by_the_node_of_the_upload(
    nodes: list[RelayServer], account: tuple[str, str], http: httpx.AsyncClient
) -> None:
    a, b = nodes
    name, password = account
    cam, phone = await camera_on_a(nodes, account, http, "reccam")
    received = await metric(b.url, "camrelay_cluster_frames_received_total")
    async with pushing(a, cam):
        async with state_socket(b, device="reccam", account=name) as on_b:
            await on_b.login(username=name, password=password)
            await on_b.ask({"record": "on"}, {"record": "on", "info": ["record"]})
            await until(lambda: _viewers(a, 1), what="A's recorder reads the upload")
            await on_b.ask({"record": "off"}, {"record": "off", "info": ["record"]})

        async def recorded() -> bool:
            answer = await phone.call("getRecordCount")
            assert "records" in answer, answer
            return any(r["device"] == "reccam" for r in answer["records"])

        await until(recorded, what="the recording's tail is stored")
    assert await stream_viewers(b.url, "reccam") == 0  # B never recorded it
    assert await metric(b.url, "camrelay_cluster_frames_received_total") == received


async def _viewers(node: RelayServer, count: int) -> bool:
    return await stream_viewers(node.url, "reccam") == count


async def test_demand_and_un_demand_are_about_viewers_on_any_node(
    nodes: list[RelayServer], account: tuple[str, str], http: httpx.AsyncClient
) -> None:
    admins = [await open_socket(n.url, await log_in(n, *account)) for n in nodes]
    cam = await sign_in(Api(http, nodes[0].url), account, "cam")
    viewers = [await sign_in(Api(http, n.url), account, f"v{i}") for i, n in enumerate(nodes)]
    watching = [await H2Client.connect(n.url) for n in nodes]
    async with pushing(nodes[0], cam):
        await listed(viewers[1])
        streams = []
        for i in (0, 1):  # a viewer on A, then one on B
            streams.append(await open_viewer(watching[i], viewers[i]))
            for admin in admins:
                await until(lambda a=admin, i=i: _about(a, "camera:read", f"v{i}"))  # type: ignore[misc]
        for admin in admins:  # every ask is a demand, wherever it was made
            assert [e["details"]["viewer"] for e in _cam(admin, "camera:demand")] == ["v0", "v1"]
        await watching[0].reset(streams[0])  # A's viewer leaves: B's still watches
        for admin in admins:
            await until(lambda a=admin: _about(a, "camera:unread", "v0"))  # type: ignore[misc]
            assert _cam(admin, "camera:unDemand") == []
        await watching[1].reset(streams[1])  # the last viewer anywhere leaves
        for admin in admins:
            await until(lambda a=admin: _cam(a, "camera:unDemand"), what="camera:unDemand")  # type: ignore[misc]
            await until(lambda a=admin: _about(a, "camera:unread", "v1"))  # type: ignore[misc]
            assert [e["details"]["viewer"] for e in _cam(admin, "camera:unDemand")] == ["v1"]
    for client in watching:
        await client.close()
    for admin in admins:
        await admin.close()


def _cam(admin: AdminSocket, name: str) -> list[dict[str, Any]]:
    return [e for e in admin.named(name) if e["entity"] == "cam"]


def _about(admin: AdminSocket, name: str, viewer: str) -> bool:
    return any(e["details"]["viewer"] == viewer for e in _cam(admin, name))


async def test_snap_on_b_of_a_camera_uploading_to_a_stores_a_jpeg(
    nodes: list[RelayServer], account: tuple[str, str], http: httpx.AsyncClient
) -> None:
    a, b = nodes
    name, password = account
    cam, phone = await camera_on_a(nodes, account, http, "snapcam")
    ok, jpeg = cv2.imencode(".jpg", np.full((48, 64, 3), 200, np.uint8))
    assert ok
    async with pushing(a, cam, jpeg.tobytes()):
        await listed(phone, "snapcam")  # B relays the upload, and nobody on B watches it
        async with state_socket(b, device="snapcam", account=name) as on_b:
            await on_b.login(username=name, password=password)
            await on_b.send({"snap": True})
            confirmation = await on_b.recv()
    assert confirmation["snap"] is True and isinstance(confirmation["rid"], int), confirmation
    data = await record_data(phone, confirmation["rid"])
    image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    assert image is not None and image.shape == (48, 64, 3)
