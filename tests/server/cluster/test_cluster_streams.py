"""Live streams across two nodes: a camera uploading to A watched on B with every frame, exact
and in order; frames cross only while B has a viewer; a new upload on B replaces A's."""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import time

import httpx

from camrelay.protocol.framing import encode_frame
from tests.support.api import Api, Device
from tests.support.h2_client import H2Client
from tests.support.metrics import device_sum, metric, metric_values
from tests.support.node_pair import listed, open_viewer, sign_in, start_upload
from tests.support.relay_server import RelayServer
from tests.support.until import until

MAX_PAYLOAD = 1_048_570  # streams.max_frame_bytes: one such frame is more than NATS's 1 MiB


async def exported(node: RelayServer, count: int) -> None:
    """Wait until `count` uploads of the node go to other nodes' viewers."""

    async def now() -> bool:
        return await metric(node.url, "camrelay_cluster_streams_exported") == count

    await until(now, timeout=10, what=f"{count} streams exported by {node.name}")


async def devices(nodes: list[RelayServer], account: tuple[str, str], http: httpx.AsyncClient):  # type: ignore[no-untyped-def]
    """The camera signed in on A and a viewer signed in on B."""
    cam = await sign_in(Api(http, nodes[0].url), account, "cam")
    viewer = await sign_in(Api(http, nodes[1].url), account, "viewer")
    return cam, viewer


async def test_viewers_on_b_get_every_frame_of_a_camera_on_a_exactly_in_order(
    nodes: list[RelayServer], account: tuple[str, str], http: httpx.AsyncClient
) -> None:
    a, b = nodes
    cam, viewer = await devices(nodes, account, http)
    uploader, watching = await H2Client.connect(a.url), await H2Client.connect(b.url)
    upload = await start_upload(uploader, cam)
    await listed(viewer)
    devices_online = await viewer.call("getDevicesOnline")
    assert {"device": "cam", "meta": ""} in devices_online["devices"]
    viewers = [await open_viewer(watching, viewer) for _ in range(2)]
    await exported(a, 1)
    sizes = (0, 1, 100, 40_000, MAX_PAYLOAD, 70_000, 5, MAX_PAYLOAD, 123_456)
    frames = [encode_frame(os.urandom(n)) for n in sizes]
    for frame in frames:
        await uploader.send(upload, frame)
    expected = b"".join(frames)
    for stream in viewers:
        await until(lambda s=stream: len(watching.responses[s].body) >= len(expected), timeout=10)  # type: ignore[misc]
    await uploader.send(upload, b"", end=True)
    answer = await uploader.response(upload)
    got = [await watching.response(stream) for stream in viewers]  # they end with the upload
    await uploader.close()
    await watching.close()
    assert json.loads(answer.body) == {"result": "OK"}
    for response in got:
        assert response.status == 200
        assert bytes(response.body) == expected
        assert response.reset_code is None


async def test_frames_cross_only_while_another_node_has_a_viewer(
    nodes: list[RelayServer], account: tuple[str, str], http: httpx.AsyncClient
) -> None:
    a, b = nodes
    cam, viewer = await devices(nodes, account, http)
    uploader = await H2Client.connect(a.url)
    upload = await start_upload(uploader, cam)
    await listed(viewer)
    sent = await metric(a.url, "camrelay_cluster_frames_sent_total")
    received = await metric(b.url, "camrelay_cluster_frames_received_total")
    for _ in range(20):
        await uploader.send(upload, encode_frame(os.urandom(1000)))
    await until(lambda: _frames_in(a, 20), what="A has the 20 frames")
    assert await metric(a.url, "camrelay_cluster_frames_sent_total") == sent
    watching = await H2Client.connect(b.url)
    stream = await open_viewer(watching, viewer)
    await exported(a, 1)
    await uploader.send(upload, encode_frame(b"seen on B"))
    await until(lambda: bytes(watching.responses[stream].body).endswith(b"seen on B"))
    assert await metric(a.url, "camrelay_cluster_frames_sent_total") == sent + 1
    assert await metric(b.url, "camrelay_cluster_frames_received_total") == received + 1
    await watching.reset(stream)  # the last viewer on B leaves: A stops sending
    await exported(a, 0)
    await uploader.send(upload, encode_frame(b"nobody elsewhere"))
    await until(lambda: _frames_in(a, 22), what="A has the last frame")
    await uploader.send(upload, b"", end=True)
    await uploader.response(upload)
    for client in (uploader, watching):
        await client.close()
    assert await metric(a.url, "camrelay_cluster_frames_sent_total") == sent + 1


async def _frames_in(node: RelayServer, count: int) -> bool:
    values = await metric(node.url, "camrelay_frames_in_total")
    return values >= count


async def test_a_new_upload_on_b_replaces_the_one_on_a_and_viewers_stay(
    nodes: list[RelayServer], account: tuple[str, str], http: httpx.AsyncClient
) -> None:
    a, b = nodes
    cam_a, viewer_b = await devices(nodes, account, http)
    viewer_a = await sign_in(Api(http, a.url), account, "viewer-a")
    cam_b = await sign_in(Api(http, b.url), account, "cam")
    on_a, on_b = await H2Client.connect(a.url), await H2Client.connect(b.url)
    first = await start_upload(on_a, cam_a)
    await listed(viewer_b)
    watch_a, watch_b = await open_viewer(on_a, viewer_a), await open_viewer(on_b, viewer_b)
    second = await start_upload(on_b, cam_b)  # the camera came back through node B
    replaced = await on_a.response(first)
    assert json.loads(replaced.body) == {"result": "OK"}  # as a replaced upload on one node
    await exported(b, 1)
    frame = encode_frame(b"from the upload on B")
    await on_b.send(second, frame)
    for client, stream in ((on_a, watch_a), (on_b, watch_b)):
        await until(lambda c=client, s=stream: bytes(c.responses[s].body).endswith(frame))  # type: ignore[misc]
    await on_b.send(second, b"", end=True)
    assert json.loads((await on_b.response(second)).body) == {"result": "OK"}
    for client, stream in ((on_a, watch_a), (on_b, watch_b)):
        ended = await client.response(stream)  # the viewers end with the new upload
        assert bytes(ended.body).endswith(frame)
    await on_a.close()
    await on_b.close()


async def test_a_new_upload_on_the_same_node_keeps_the_viewers_on_b(
    nodes: list[RelayServer], account: tuple[str, str], http: httpx.AsyncClient
) -> None:
    a, b = nodes
    cam, viewer = await devices(nodes, account, http)
    uploader, watching = await H2Client.connect(a.url), await H2Client.connect(b.url)
    first = await start_upload(uploader, cam)
    await listed(viewer)
    stream = await open_viewer(watching, viewer)
    await exported(a, 1)
    await uploader.send(first, encode_frame(b"first upload"))
    await until(lambda: bytes(watching.responses[stream].body).endswith(b"first upload"))
    second = await start_upload(uploader, cam, subproto="RAW_H264")  # the camera reconnected
    assert json.loads((await uploader.response(first)).body) == {"result": "OK"}

    async def relisted() -> bool:
        answer = await viewer.call("getStreams")
        return answer["devices"] == [{"device": "cam", "subproto": "RAW_H264", "delta": 0}]

    await until(relisted, what="B lists the new upload")
    await exported(a, 1)
    await uploader.send(second, encode_frame(b"second upload"))
    await until(lambda: bytes(watching.responses[stream].body).endswith(b"second upload"))
    await uploader.send(second, b"", end=True)
    await uploader.response(second)
    assert (await watching.response(stream)).reset_code is None
    await uploader.close()
    await watching.close()


async def test_a_stuck_viewer_on_b_loses_its_oldest_frames_and_delays_nobody(
    nodes: list[RelayServer], account: tuple[str, str], http: httpx.AsyncClient
) -> None:
    a, b = nodes
    cam, viewer = await devices(nodes, account, http)
    uploader = await H2Client.connect(a.url)
    watching, stuck = await H2Client.connect(b.url), await H2Client.connect(b.url, ack=False)
    upload = await start_upload(uploader, cam)
    await listed(viewer)
    fast = await open_viewer(watching, viewer)
    await open_viewer(stuck, viewer)
    await exported(a, 1)
    frames = [encode_frame(os.urandom(40_000)) for _ in range(150)]  # 6 MB: 3x a viewer queue
    for frame in frames:
        await uploader.send(upload, frame)
        await asyncio.sleep(0.005)
    expected = b"".join(frames)
    await until(lambda: len(watching.responses[fast].body) >= len(expected), timeout=20)
    dropped = device_sum(await metric_values(b.url, "camrelay_stream_frames_dropped_total"), "cam")
    await uploader.send(upload, b"", end=True)
    await uploader.response(upload)
    got = await watching.response(fast)
    for client in (uploader, watching, stuck):
        await client.close()
    assert bytes(got.body) == expected
    assert dropped > 50  # lost by the stuck viewer's own queue on B, counted there


async def test_a_frame_reaches_a_viewer_on_b_about_as_fast_as_one_on_a(
    nodes: list[RelayServer], account: tuple[str, str], http: httpx.AsyncClient
) -> None:
    """Prints the latency of a frame camera -> A -> B and camera -> A (no target asserted)."""
    a, b = nodes
    cam, viewer_b = await devices(nodes, account, http)
    viewer_a = await sign_in(Api(http, a.url), account, "viewer-a")
    uploader, on_a, on_b = [await H2Client.connect(n.url) for n in (a, a, b)]
    upload = await start_upload(uploader, cam)
    await listed(viewer_b)
    watch_a, watch_b = await open_viewer(on_a, viewer_a), await open_viewer(on_b, viewer_b)
    await exported(a, 1)
    local, remote = [], []
    for i in range(30):
        frame = encode_frame(b"%d" % i * 5000)
        start = time.perf_counter()
        await uploader.send(upload, frame)
        here, there = await asyncio.gather(
            arrival(on_a, watch_a, frame), arrival(on_b, watch_b, frame)
        )
        local.append(here - start)
        remote.append(there - start)
    await uploader.send(upload, b"", end=True)
    await uploader.response(upload)
    for client in (uploader, on_a, on_b):
        await client.close()
    print(
        f"frame latency median: same node {1000 * statistics.median(local):.1f} ms, "
        f"A -> B {1000 * statistics.median(remote):.1f} ms"
    )


async def arrival(client: H2Client, stream: int, frame: bytes) -> float:
    """When the viewer's body ended with `frame` (polled every 0.5 ms)."""
    await until(lambda: bytes(client.responses[stream].body).endswith(frame), every=0.0005)
    return time.perf_counter()


async def test_uploads_started_at_once_on_two_nodes_leave_the_newest_alone(
    nodes: list[RelayServer], account: tuple[str, str], http: httpx.AsyncClient
) -> None:
    cams = [await sign_in(Api(http, node.url), account, "cam") for node in nodes]
    viewers = [
        await sign_in(Api(http, node.url), account, f"viewer{i}") for i, node in enumerate(nodes)
    ]
    for round_ in range(5):
        await _uploads_at_once(nodes, cams, viewers, round_)
        for viewer in viewers:
            await until(lambda v=viewer: _nothing_listed(v), what="the stream is over")  # type: ignore[misc]


async def _uploads_at_once(
    nodes: list[RelayServer], cams: list[Device], viewers: list[Device], round_: int
) -> None:
    """Uploads of one camera started together on both nodes: exactly one lives on and both
    nodes' viewers get its frames."""
    uploaders = [await H2Client.connect(node.url) for node in nodes]
    uploads = await asyncio.gather(
        *(start_upload(client, cam) for client, cam in zip(uploaders, cams, strict=True))
    )
    responses = [c.responses[u] for c, u in zip(uploaders, uploads, strict=True)]
    await until(lambda: any(r.ended.is_set() for r in responses), what="one upload yields")
    loser = next(i for i, r in enumerate(responses) if r.ended.is_set())
    winner = 1 - loser
    assert json.loads(responses[loser].body) == {"result": "OK"}  # as a replaced upload
    await listed(viewers[loser])
    watching = [await H2Client.connect(node.url) for node in nodes]
    streams = [await open_viewer(c, v) for c, v in zip(watching, viewers, strict=True)]
    frame = encode_frame(b"round %d from node %d" % (round_, winner))
    await exported(nodes[winner], 1)
    await uploaders[winner].send(uploads[winner], frame)
    for client, stream in zip(watching, streams, strict=True):
        await until(lambda c=client, s=stream: bytes(c.responses[s].body).endswith(frame))  # type: ignore[misc]
    assert not responses[winner].ended.is_set()  # the newest upload lives on
    assert [await metric(n.url, "camrelay_streams") for n in nodes].count(1) == 1
    await uploaders[winner].send(uploads[winner], b"", end=True)
    ended = await uploaders[winner].response(uploads[winner])
    assert json.loads(ended.body) == {"result": "OK"}
    for client, stream in zip(watching, streams, strict=True):
        assert (await client.response(stream)).reset_code is None  # ended with the upload
    for client in (*uploaders, *watching):
        await client.close()


async def _nothing_listed(viewer: Device) -> bool:
    return (await viewer.call("getStreams"))["devices"] == []
