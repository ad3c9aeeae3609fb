"""input.raw and output.raw end to end on real Hypercorn: exact bytes, order, fan-out, slow and
stuck viewers, producer end and replacement, errors that reset one stream only."""

from __future__ import annotations

import asyncio
import json
import os

import httpx
import pytest

from camrelay.protocol.framing import encode_frame
from tests.support.api import Api, Device
from tests.support.h2_client import H2Client
from tests.support.metrics import device_sum, metric_values, stream_viewers
from tests.support.relay_server import RelayServer
from tests.support.until import until


def q(who: Device, **extra: str) -> str:
    return str(httpx.QueryParams({"shash": who.shash, **extra}))


async def streaming(device: Device, name: str = "cam") -> None:
    """Wait until getStreams lists the device."""

    async def listed() -> bool:
        return any(d["device"] == name for d in (await device.call("getStreams"))["devices"])

    await until(listed, timeout=5, every=0.01, what=f"getStreams lists {name}")


async def start_upload(client: H2Client, cam: Device, **extra: str) -> int:
    query = q(cam, **{"subproto": "RAW_JPEG", **extra})
    return await client.request("PUT", f"/input.raw?{query}", end=False)


async def open_viewer(client: H2Client, viewer: Device, device: str = "cam") -> int:
    stream = await client.request("GET", f"/output.raw?{q(viewer, device=device)}")
    await asyncio.wait_for(client.responses[stream].headers_seen.wait(), 5)
    return stream


async def live_stream(
    server: RelayServer, cam: Device, viewer: Device
) -> tuple[H2Client, int, int]:
    """One connection with an upload of `cam` and a viewer of it attached."""
    client = await H2Client.connect(server.url)
    upload = await start_upload(client, cam)
    await streaming(viewer)
    return client, upload, await open_viewer(client, viewer)


@pytest.fixture
async def pair(api: Api, account: tuple[str, str]) -> tuple[Device, Device]:
    cam = await api.login(*account, device="cam")
    viewer = await api.login(*account, device="viewer")
    await cam.call("setConfig", config=[{"kind": 3, "fv": 10000}, {"kind": 4, "fv": 200}])
    return cam, viewer


async def test_every_viewer_gets_exactly_the_frames_in_order(
    server: RelayServer, pair: tuple[Device, Device]
) -> None:
    cam, viewer = pair
    client = await H2Client.connect(server.url)
    upload = await start_upload(client, cam)
    await streaming(viewer)
    viewers = [await open_viewer(client, viewer) for _ in range(3)]
    frames = [encode_frame(os.urandom(n)) for n in (0, 1, 100, 40_000, 70_000, 5, 0, 123_456)]
    for frame in frames:
        await client.send(upload, frame[:3])  # split across DATA frames on purpose
        await client.send(upload, frame[3:])
    await client.send(upload, b"", end=True)
    answer = await client.response(upload)
    got = [await client.response(v) for v in viewers]
    await client.close()
    assert json.loads(answer.body) == {"result": "OK"}
    for response in got:
        assert response.status == 200
        assert response.headers["content-type"] == "application/octet-stream"
        assert bytes(response.body) == b"".join(frames)
        assert response.reset_code is None  # ended cleanly with the producer


async def test_curl_upload_and_download_as_documented(
    server: RelayServer, pair: tuple[Device, Device], tmp_path
) -> None:  # type: ignore[no-untyped-def]
    cam, viewer = pair
    frames = b"".join(encode_frame(b"jpeg %d" % i * 300) for i in range(40))
    feeder = await asyncio.create_subprocess_exec(
        "curl",
        "-sS",
        "--http2",
        "-k",
        "-T",
        "-",
        "-X",
        "PUT",
        f"{server.url}/input.raw?{q(cam, subproto='RAW_JPEG')}",
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
    )
    await streaming(viewer)
    before = await stream_viewers(server.url, "cam")
    out = tmp_path / "view.raw"
    reader = await asyncio.create_subprocess_exec(
        "curl",
        "-sS",
        "--http2",
        "-k",
        "-X",
        "POST",
        "-o",
        str(out),
        "-w",
        "%{http_version}",
        f"{server.url}/output.raw?{q(viewer, device='cam')}",
        stdout=asyncio.subprocess.PIPE,
    )

    async def attached() -> bool:
        return await stream_viewers(server.url, "cam") > before

    await until(attached, what="curl's viewer is attached")
    assert feeder.stdin is not None
    feeder.stdin.write(frames)
    feeder.stdin.close()
    answer, _ = await asyncio.wait_for(feeder.communicate(), 20)
    version, _ = await asyncio.wait_for(reader.communicate(), 20)
    assert answer == b'{"result":"OK"}'
    assert version == b"2"
    assert out.read_bytes() == frames


async def test_a_stuck_viewer_does_not_delay_the_others(
    server: RelayServer, pair: tuple[Device, Device]
) -> None:
    cam, viewer = pair
    client = await H2Client.connect(server.url)
    watching = await H2Client.connect(server.url)
    stuck = await H2Client.connect(server.url, ack=False)
    upload = await start_upload(client, cam)
    await streaming(viewer)
    fast = await open_viewer(watching, viewer)
    await open_viewer(stuck, viewer)
    frames = [encode_frame(os.urandom(40_000)) for _ in range(150)]  # 6 MB: 3x a viewer queue
    for frame in frames:  # 200 frames/s: a pace a reading viewer keeps up with
        await client.send(upload, frame)
        await asyncio.sleep(0.005)
    expected = b"".join(frames)
    await until(lambda: len(watching.responses[fast].body) >= len(expected), timeout=10)
    dropped = await metric_values(server.url, "camrelay_stream_frames_dropped_total")
    await client.send(upload, b"", end=True)
    got = await watching.response(fast)
    for peer in (client, watching, stuck):
        await peer.close()
    assert bytes(got.body) == expected
    [cam_dropped] = [v for labels, v in dropped.items() if ("device", "cam") in labels]
    assert cam_dropped > 50


async def test_the_dropped_count_stays_when_the_stuck_viewer_leaves(
    server: RelayServer, pair: tuple[Device, Device]
) -> None:
    """The stream's dropped-frames counter never goes down: it used to sum the viewers
    attached now, so it fell to 0 when the viewer that lost the frames went away."""
    cam, viewer = pair
    client, upload, _ = await live_stream(server, cam, viewer)
    stuck = await H2Client.connect(server.url, ack=False)
    await open_viewer(stuck, viewer)
    await until(lambda: _viewers_are(server, 2), what="the stuck viewer is attached")
    for frame in [encode_frame(os.urandom(40_000)) for _ in range(150)]:  # 3x a viewer queue
        await client.send(upload, frame)

    async def cam_total(name: str) -> float:
        return device_sum(await metric_values(server.url, name), "cam")

    async def all_in() -> bool:
        return await cam_total("camrelay_stream_frames_in_total") == 150

    await until(all_in, what="the relay has every frame")  # so nothing more can be dropped
    lost = await cam_total("camrelay_stream_frames_dropped_total")
    await stuck.close()
    await until(lambda: _viewers_are(server, 1), what="the stuck viewer is gone")
    after = await cam_total("camrelay_stream_frames_dropped_total")
    await client.send(upload, b"", end=True)
    await client.close()
    assert lost > 50
    assert after == lost


async def _viewers_are(server: RelayServer, count: int) -> bool:
    return await stream_viewers(server.url, "cam") == count


async def test_producer_gone_ends_viewers_and_reset_upload_spares_the_connection(
    server: RelayServer, pair: tuple[Device, Device]
) -> None:
    cam, viewer = pair
    client, upload, watcher = await live_stream(server, cam, viewer)
    await client.send(upload, encode_frame(b"good"))
    await client.send(upload, b"\x55\x55garbage")  # a bad header
    answer = await client.response(upload)
    ended = await client.response(watcher)
    beat = await client.get("/heartBit.json", json.dumps({"shash": cam.shash}).encode())
    await client.close()
    assert json.loads(answer.body) == {"result": "BAD", "code": 14}
    assert answer.reset_code == 0
    assert bytes(ended.body) == encode_frame(b"good")  # nothing after the error
    assert json.loads(beat.body) == {"result": "OK"}
    assert client.terminated is None


async def test_a_new_upload_replaces_the_old_and_viewers_stay(
    server: RelayServer, pair: tuple[Device, Device]
) -> None:
    cam, viewer = pair
    client, first, watcher = await live_stream(server, cam, viewer)
    await client.send(first, encode_frame(b"from the first"))
    await until(lambda: bytes(client.responses[watcher].body) == encode_frame(b"from the first"))
    second = await start_upload(client, cam, subproto="RAW_JPEG2")
    replaced = await client.response(first)
    await client.send(second, encode_frame(b"from the second"), end=True)
    await client.response(second)
    seen = await client.response(watcher)
    await client.close()
    assert json.loads(replaced.body) == {"result": "OK"}
    assert bytes(seen.body) == encode_frame(b"from the first") + encode_frame(b"from the second")


async def test_largest_frame_passes_and_one_byte_more_is_refused(
    server: RelayServer, pair: tuple[Device, Device]
) -> None:
    cam, viewer = pair
    client, upload, watcher = await live_stream(server, cam, viewer)
    big = encode_frame(os.urandom(1_048_570))
    await client.send(upload, big)
    await client.send(upload, b"\xaa\xaa" + (1_048_571).to_bytes(4, "little"))
    answer = await client.response(upload)
    seen = await client.response(watcher, timeout=20)
    await client.close()
    assert json.loads(answer.body) == {"result": "BAD", "code": 14}
    assert bytes(seen.body) == big


async def test_a_stalled_producer_is_gone_after_three_deltas(
    server: RelayServer, pair: tuple[Device, Device]
) -> None:
    cam, viewer = pair
    client = await H2Client.connect(server.url)
    upload = await start_upload(client, cam, delta="100")
    await streaming(viewer)
    listed = (await viewer.call("getStreams"))["devices"]
    await client.send(upload, encode_frame(b"one"))
    answer = await client.response(upload, timeout=5)
    await client.close()
    assert listed == [{"device": "cam", "subproto": "RAW_JPEG", "delta": 100}]
    assert json.loads(answer.body) == {"result": "BAD", "code": 14}
    assert (await viewer.call("getStreams"))["devices"] == []


async def test_output_raw_codes(server: RelayServer, pair: tuple[Device, Device]) -> None:
    cam, viewer = pair
    async with httpx.AsyncClient(http2=True, verify=False) as http:

        async def code(query: str) -> object:
            return (await http.get(f"{server.url}/output.raw?{query}")).json()

        assert await code(q(viewer)) == {"result": "BAD", "code": 12}
        assert await code(q(viewer, device="nobody")) == {"result": "BAD", "code": 15}
        assert await code(q(viewer, device="cam")) == {"result": "BAD", "code": 13}
        assert await code("shash=wrong&device=cam") == {"result": "BAD", "code": 6}
        bad_delta = await http.put(f"{server.url}/input.raw?{q(cam, delta='-5')}", content=b"")
        assert bad_delta.json() == {"result": "BAD", "code": 12}


async def test_endless_content_length_and_deflate_body(
    server: RelayServer, pair: tuple[Device, Device]
) -> None:
    import zlib

    cam, viewer = pair
    client = await H2Client.connect(server.url)
    headers = [("content-length", "21474836480"), ("content-encoding", "deflate")]
    upload = await client.request("PUT", f"/input.raw?{q(cam)}", end=False, headers=headers)
    await streaming(viewer)
    watcher = await open_viewer(client, viewer)
    frames = b"".join(encode_frame(b"x" * 5000 + bytes([i])) for i in range(20))
    packed = zlib.compressobj()
    await client.send(upload, packed.compress(frames) + packed.flush(zlib.Z_SYNC_FLUSH))
    await until(lambda: len(client.responses[watcher].body) >= len(frames), timeout=2)
    await client.close()
    assert bytes(client.responses[watcher].body) == frames
