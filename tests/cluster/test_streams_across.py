"""Issue 15: a camera pushing to one node is watched on the other two with every byte, and a
new upload of the same camera on another node replaces the first cluster-wide, its viewers
staying; every connection goes through HAProxy."""

from __future__ import annotations

import asyncio
import json
import os

import httpx

from camrelay.protocol.framing import encode_frame
from tests.support.api import Api
from tests.support.cluster import Cluster
from tests.support.h2_client import H2Client
from tests.support.live import open_viewer, start_upload


async def greet_until_seen(
    uploader: H2Client, upload: int, watchers: list[tuple[H2Client, int]], frame: bytes
) -> None:
    """Send `frame` until every viewer's body ends with it: a frame sent before a node asked
    for the stream may not reach it; from then on every frame must."""
    while not all(bytes(w.responses[s].body).endswith(frame) for w, s in watchers):
        await uploader.send(upload, frame)
        await asyncio.sleep(0.05)


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
    hello = encode_frame(b"hello")
    await greet_until_seen(uploader, upload, list(zip(watchers, streams, strict=True)), hello)
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


async def test_a_new_upload_on_another_node_replaces_the_first_and_the_viewers_stay(
    cluster: Cluster, http: httpx.AsyncClient
) -> None:
    """Camera on node 1, viewers on nodes 2 and 3; the camera comes back on node 2: the first
    upload ends as a replaced one does, and both viewers get the new upload's frames."""
    await cluster.add_account("replaced", "its password")
    cam = await Api(http, cluster.url).login("replaced", "its password", "cam")
    viewer = await Api(http, cluster.url).login("replaced", "its password", "viewer")
    on_1, on_2, on_3 = [await H2Client.connect(cluster.node_url(i)) for i in (1, 2, 3)]
    first = await start_upload(on_1, cam.shash)
    watchers = [(on_2, await open_viewer(on_2, viewer.shash, "cam"))]
    watchers.append((on_3, await open_viewer(on_3, viewer.shash, "cam")))
    await greet_until_seen(on_1, first, watchers, encode_frame(b"from node 1"))
    second = await start_upload(on_2, cam.shash)
    assert json.loads((await on_1.response(first)).body) == {"result": "OK"}
    frame = encode_frame(b"from node 2")
    await greet_until_seen(on_2, second, watchers, frame)
    await on_2.send(second, b"", end=True)
    assert json.loads((await on_2.response(second)).body) == {"result": "OK"}
    for client, stream in watchers:
        ended = await client.response(stream)  # the viewers end with the new upload
        assert ended.status == 200 and ended.reset_code is None
        assert bytes(ended.body).endswith(frame)
    for client in (on_1, on_2, on_3):
        await client.close()
