"""Issue 15: a camera pushing to one node is watched on the other two with every byte, and when
the camera's node is killed the camera comes back through HAProxy on another node and its
viewers re-attach. Needs the bus (NATS): skipped on a cluster without one."""

from __future__ import annotations

import asyncio
import json
import os

import httpx
import pytest

from camrelay.protocol.framing import encode_frame
from tests.support.api import Api
from tests.support.cluster import Cluster
from tests.support.h2_client import H2Client
from tests.support.live import open_viewer, start_upload, watch_until
from tests.support.until import until


@pytest.fixture(autouse=True)
def needs_bus(bus_url: str) -> None:
    if not bus_url:
        pytest.skip("no bus: frames do not cross nodes (tests/support/nats.py is not there)")


async def test_a_stream_pushed_to_one_node_is_watched_on_the_other_two(
    cluster: Cluster, http: httpx.AsyncClient
) -> None:
    """Camera on node 1, a viewer on node 2 and one on node 3: each gets the exact bytes."""
    await cluster.add_account("live", "its password")
    cam = await Api(http, cluster.node_url(1)).login("live", "its password", "cam")
    viewer = await Api(http, cluster.url).login("live", "its password", "viewer")
    uploader = await H2Client.connect(cluster.node_url(1))
    upload = await start_upload(uploader, cam.shash)
    watchers = [await H2Client.connect(cluster.node_url(i)) for i in (2, 3)]
    streams = [await open_viewer(w, viewer.shash, "cam") for w in watchers]
    # A frame sent before a node asked for the stream may not reach it: greet until both see
    # one; then every frame must arrive.
    hello = encode_frame(b"hello")
    while not all(w.responses[s].body for w, s in zip(watchers, streams, strict=True)):
        await uploader.send(upload, hello)
        await asyncio.sleep(0.05)
    frames = [encode_frame(os.urandom(n)) for n in (0, 1, 100, 40_000, 300_000, 5)]
    for frame in frames:
        await uploader.send(upload, frame)
    await uploader.send(upload, b"", end=True)
    assert json.loads((await uploader.response(upload)).body) == {"result": "OK"}
    expected = b"".join(frames)
    for watcher, stream in zip(watchers, streams, strict=True):
        response = await watcher.response(stream)  # a viewer ends with the upload
        assert response.status == 200 and response.reset_code is None
        greetings = bytes(response.body[: len(response.body) - len(expected)])
        assert bytes(response.body).endswith(expected)
        assert greetings == hello * (len(greetings) // len(hello))
    for client in (uploader, *watchers):
        await client.close()


async def test_the_camera_of_a_killed_node_comes_back_and_its_viewers_reattach(
    cluster: Cluster, http: httpx.AsyncClient
) -> None:
    """Camera on node 3, viewers on nodes 1 and 2; kill -9 node 3: the camera uploads again
    through HAProxy (to a live node), and each viewer gets its frames after opening output.raw
    again."""
    await cluster.add_account("comeback", "its password")
    cam = await Api(http, cluster.node_url(3)).login("comeback", "its password", "cam")
    viewer = await Api(http, cluster.url).login("comeback", "its password", "viewer")
    uploader = await H2Client.connect(cluster.node_url(3))
    upload = await start_upload(uploader, cam.shash)
    before = encode_frame(b"before the kill")
    after = encode_frame(b"after the kill")
    watching = [
        asyncio.create_task(watch_until(cluster.node_url(i), viewer.shash, "cam", after))
        for i in (1, 2)
    ]
    try:
        await until(lambda: _streaming(cluster, viewer.shash), what="the camera listed")
        await uploader.send(upload, before)
        cluster.kill(3)
        await uploader.close()
        again = await H2Client.connect(cluster.url)  # HAProxy: node 1 or 2
        second = await start_upload(again, cam.shash)
        while not all(task.done() for task in watching):
            await again.send(second, after)
            await asyncio.sleep(0.05)
        opened = [task.result() for task in watching]
        await again.send(second, b"", end=True)
        assert json.loads((await again.response(second)).body) == {"result": "OK"}
        await again.close()
    finally:
        for task in watching:
            task.cancel()
        cluster.restart(3)
    assert all(n >= 1 for n in opened)


async def _streaming(cluster: Cluster, shash: str) -> bool:
    async with httpx.AsyncClient(http2=True, verify=False, timeout=30) as http:
        answer = await Api(http, cluster.url).call("getStreams", {"shash": shash})
    return any(d["device"] == "cam" for d in answer.get("devices", []))
