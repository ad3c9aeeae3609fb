"""The stream source against a real relay: waits for a stream that does not exist yet,
re-attaches after the stream ends and after the server restarts, keeps only the newest
frame for a slow consumer."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import cv2
import numpy as np
import pytest

from camrelay.clients.relay import RelayClient
from camrelay.protocol.errors import NoSuchUser
from camrelay.workers.common.drop_oldest import DropOldestQueue
from camrelay.workers.common.stream_source import Backoff, StreamSource
from tests.support.relay_server import RelayServer, free_port
from tests.support.until import until

FAST = Backoff(first_s=0.05, factor=2.0, max_s=0.2)


def client(server: RelayServer, account: tuple[str, str], device: str) -> RelayClient:
    return RelayClient(server.url, account[0], account[1], device, verify=False)


async def paced(payloads: list[bytes], every_s: float, hold: asyncio.Event) -> AsyncIterator[bytes]:
    """The payloads at a pace, then keep the upload open until `hold` is set."""
    for payload in payloads:
        yield payload
        await asyncio.sleep(every_s)
    await hold.wait()


async def repeat(payload: bytes, every_s: float, stop: asyncio.Event) -> AsyncIterator[bytes]:
    """The payload again and again until `stop` is set."""
    while not stop.is_set():
        yield payload
        await asyncio.sleep(every_s)


class Collector:
    """Reads a source's payloads in the background, as a worker does."""

    def __init__(self, source: StreamSource) -> None:
        self.source = source
        self.got: list[bytes] = []
        self._task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        async for payload in self.source.payloads():
            self.got.append(payload)

    async def stop(self) -> None:
        self._task.cancel()
        await asyncio.gather(self._task, return_exceptions=True)


async def test_waits_for_the_stream_then_reattaches_when_it_ends(
    server: RelayServer, account: tuple[str, str]
) -> None:
    async with client(server, account, "worker") as worker, client(server, account, "cam") as cam:
        source = StreamSource(worker, "cam", FAST)
        reader = Collector(source)
        await until(lambda: source.stats.last_error, what="the source tried and is retrying")
        assert (reader.got, source.stats.attaches) == ([], 0)
        assert source.stats.last_error in ("NoSuchDevice: code 15", "NoChannel: code 13")
        # The first payloads may go by before the source attaches; the upload then ends.
        await cam.push(paced([b"one"] * 40, 0.02, done()))
        await until(lambda: not source.stats.attached)
        assert set(reader.got) == {b"one"} and source.stats.attaches == 1
        assert source.stats.last_error == "the stream ended"
        hold = asyncio.Event()
        push = asyncio.create_task(cam.push(repeat(b"two", 0.02, hold)))
        await until(lambda: reader.got[-1] == b"two")
        assert source.stats.attaches == 2 and source.stats.attached
        hold.set()
        await push
        await reader.stop()


def done() -> asyncio.Event:
    event = asyncio.Event()
    event.set()
    return event


async def test_reattaches_after_the_server_restarts(tmp_path: Path) -> None:
    port = free_port()
    relay = RelayServer(tmp_path / "relay", args=["--listen", f"127.0.0.1:{port}"]).start()
    account = ("owner", "pw-owner")
    await relay.add_account(*account)
    reader: Collector | None = None
    try:
        async with client(relay, account, "worker") as worker:
            source = StreamSource(worker, "cam", FAST)
            reader = Collector(source)
            async with client(relay, account, "cam") as cam:
                push = asyncio.create_task(cam.push(repeat(b"before", 0.02, asyncio.Event())))
                await until(lambda: b"before" in reader.got)
                relay.stop()  # ends the upload and the viewer's response with it
                await asyncio.gather(push, return_exceptions=True)
            relay.start()
            assert relay.url == f"https://127.0.0.1:{port}"
            async with client(relay, account, "cam") as cam:
                hold = asyncio.Event()
                push = asyncio.create_task(cam.push(repeat(b"after", 0.02, hold)))
                await until(lambda: reader.got[-1] == b"after", timeout=30)
                assert source.stats.attaches == 2
                hold.set()
                await push
    finally:
        if reader is not None:
            await reader.stop()
        relay.stop()


async def test_a_wrong_password_ends_the_iteration(
    server: RelayServer, account: tuple[str, str]
) -> None:
    source = StreamSource(client(server, (account[0], "wrong"), "worker"), "cam", FAST)
    with pytest.raises(NoSuchUser):
        await anext(source.payloads())
    await source.client.close()


def grey_jpeg(level: int) -> bytes:
    image = np.full((48, 64, 3), level, np.uint8)
    return cv2.imencode(".jpg", image)[1].tobytes()


async def test_a_slow_consumer_gets_the_newest_frame_and_drops_are_counted(
    server: RelayServer, account: tuple[str, str]
) -> None:
    jpegs = [grey_jpeg(level) for level in range(10, 250, 8)]  # 30 distinct frames
    async with client(server, account, "worker") as worker, client(server, account, "cam") as cam:
        source = StreamSource(worker, "cam", FAST)
        queue: DropOldestQueue[bytes] = DropOldestQueue(1)
        frames = source.frames(queue=queue)
        hold = asyncio.Event()
        # A still frame until the source is attached, then 30 frames in about 0.6 s.
        warmup = asyncio.Event()

        async def upload() -> AsyncIterator[bytes]:
            while not warmup.is_set():
                yield grey_jpeg(0)
                await asyncio.sleep(0.02)
            async for payload in paced(jpegs, 0.02, hold):
                yield payload

        push = asyncio.create_task(cam.push(upload()))
        first = await asyncio.wait_for(anext(frames), 15)
        assert first.image.shape == (48, 64, 3) and first.jpeg == grey_jpeg(0)
        warmup.set()
        seen: list[bytes] = []
        taken = 1
        while not seen or seen[-1] != jpegs[-1]:
            frame = await asyncio.wait_for(anext(frames), 15)
            taken += 1
            if frame.jpeg != grey_jpeg(0):
                seen.append(frame.jpeg)
            await asyncio.sleep(0.2)  # a consumer slower than the stream
        assert seen == sorted(seen, key=jpegs.index)  # in order, the newest each time
        assert 2 <= len(seen) < 10
        # Every payload went into the queue and was either taken or dropped for a newer one.
        assert queue.put_count == source.stats.payloads
        assert queue.dropped == queue.put_count - taken
        assert queue.dropped >= len(jpegs) - len(seen)
        hold.set()
        push.cancel()
        await asyncio.gather(push, return_exceptions=True)
        await frames.aclose()  # type: ignore[attr-defined]
