"""`record` and `snap` through the state socket (CONTRACT §5), applied by the relay itself to a
camera that runs the real pusher: MJPEG records of `recording.segment_s` seconds that decode,
and a snapshot whose rid comes back in the confirmation."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator

import cv2
import numpy as np
import pytest

from camrelay.clients.camera import CameraPusher
from camrelay.clients.relay import RelayClient
from camrelay.clients.sources import SyntheticSource
from camrelay.clients.state import StateClient
from tests.support.mjpeg import split_mjpeg
from tests.support.relay_server import RelayServer
from tests.support.until import until

ACCOUNT, PASSWORD = "rec", "rec-pw"


@pytest.fixture(scope="module")
def recording(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RelayServer]:
    """A server that closes a recording's segment every second."""
    relay = RelayServer(
        tmp_path_factory.mktemp("recording"), env={"CAMRELAY_RECORDING_SEGMENT_S": "1"}
    ).start()
    asyncio.run(relay.add_account(ACCOUNT, PASSWORD))
    yield relay
    relay.stop()


@pytest.fixture
async def camera(recording: RelayServer) -> AsyncIterator[RelayClient]:
    """The real pusher streaming a synthetic 320x240 scene as device cam; a phone's client
    (its own session, so the test's polling never counts against the camera's request caps)."""
    client = RelayClient(recording.url, ACCOUNT, PASSWORD, "cam", verify=False)
    phone = RelayClient(recording.url, ACCOUNT, PASSWORD, "phone", verify=False)
    pusher = CameraPusher(client, SyntheticSource(320, 240), fps=20)
    task = asyncio.create_task(pusher.run())

    async def streaming() -> bool:
        return any(s.device == "cam" for s in await phone.streams())

    await until(streaming, every=0.1, what="the camera streams")
    yield phone
    pusher.stop()
    await task
    await client.close()
    await phone.close()


async def mjpeg_records(client: RelayClient) -> list[int]:
    """The ids of the MJPEG records stored so far."""
    return [
        entry.rid
        for entry in await client.records()
        if (await client.record_meta(entry.rid)).meta == "MJPEG"
    ]


async def test_record_on_then_off_leaves_mjpeg_records_that_decode(
    recording: RelayServer, camera: RelayClient
) -> None:
    async with StateClient(
        recording.url, device="cam", username=ACCOUNT, password=PASSWORD, verify=False
    ) as cam:
        assert await cam.set(record="on") == {"record": "on"}
        await until(lambda: _at_least(camera, 2), every=0.25, what="two one-second segments")
        assert await cam.set(record="off") == {"record": "off"}
    stored = await mjpeg_records(camera)
    for rid in stored:
        images = split_mjpeg(await camera.record_data(rid), cv2.IMREAD_COLOR)
        assert images and all(image.shape == (240, 320, 3) for image in images)
    # Once off, nothing more is recorded: after the tail is stored (within a segment's time),
    # more than a segment's worth of streaming adds no record.
    await until(lambda: _streamed_frames(camera, 30), what="a segment's time streamed")
    settled = len(await mjpeg_records(camera))
    await until(lambda: _streamed_frames(camera, 30), what="another segment's time streamed")
    assert len(await mjpeg_records(camera)) == settled


async def test_snap_answers_the_rid_of_a_jpeg_of_the_live_stream(
    recording: RelayServer, camera: RelayClient
) -> None:
    async with StateClient(
        recording.url, device="cam", username=ACCOUNT, password=PASSWORD, verify=False
    ) as cam:
        confirmation = await cam.set(snap=True)
    assert confirmation["snap"] is True and isinstance(confirmation["rid"], int)
    assert (await camera.record_meta(confirmation["rid"])).meta == "JPEG"
    data = await camera.record_data(confirmation["rid"])
    image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    assert image is not None and image.shape == (240, 320, 3)


async def _at_least(client: RelayClient, count: int) -> bool:
    return len(await mjpeg_records(client)) >= count


async def _streamed_frames(client: RelayClient, frames: int) -> bool:
    """True once `frames` frames were read from the camera's live stream."""
    seen = 0
    async for _ in client.pull("cam"):
        seen += 1
        if seen >= frames:
            return True
    return False
