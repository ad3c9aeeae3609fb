"""The pedestrian clip pushed through a real relay to a real counter worker, frame by frame.

The clip is subsampled to every STEP-th frame (34 of 341): at 50 fps that is 5 frames per
second of the scene, the rate the worker analyses a live camera at. The camera sends its first
frame once the relay counts the worker as a viewer, and each next frame only once the worker
has analysed the previous one, so no frame is lost before the worker attached or dropped by its
newest-frame-only queue, whatever the machine's load: the analysed sequence, and so the counts,
are the same every run.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from camrelay.clients.relay import RelayClient
from camrelay.workers.common.stream_source import Backoff, StreamSource
from camrelay.workers.counter.app import CounterApp
from camrelay.workers.counter.config import CounterSettings
from camrelay.workers.counter.worker import CounterWorker
from tests.support.clip import clip_iter
from tests.support.metrics import stream_viewers
from tests.support.relay_server import RelayServer
from tests.support.until import until

STEP = 10
FRAME_TIMEOUT_S = 15.0


@dataclass(frozen=True)
class Clip:
    """The subsampled clip as JPEGs."""

    jpegs: list[bytes]


def load_clip(video: Path) -> Clip:
    """Every STEP-th frame of the real footage, JPEG-encoded as a camera would send it."""
    return Clip([encode(frame) for frame in clip_iter(video, step=STEP)])


def encode(image: np.ndarray) -> bytes:
    return bytes(cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, 85])[1].tobytes())


def relay_client(server: RelayServer, account: tuple[str, str], device: str) -> RelayClient:
    return RelayClient(server.url, account[0], account[1], device, verify=False)


def new_worker(
    settings: CounterSettings, server: RelayServer, account: tuple[str, str]
) -> CounterWorker:
    source = StreamSource(
        relay_client(server, account, "counter"), "cam", Backoff(first_s=0.1, max_s=0.5)
    )
    return CounterWorker(settings, source)


@contextlib.asynccontextmanager
async def running(worker: CounterWorker) -> AsyncIterator[CounterApp]:
    """The worker served with its feed, then stopped with its relay client closed."""
    app = CounterApp(worker)
    await app.start()
    try:
        yield app
    finally:
        await app.stop()
        await worker.source.client.close()


def settled(worker: CounterWorker) -> bool:
    """Every payload received has been analysed."""
    return worker.analysed >= worker.source.stats.payloads


async def lockstep(worker: CounterWorker, clip: Clip, attached: Any) -> AsyncIterator[bytes]:
    """Once `attached()` (the worker views the stream), the clip one analysed frame at a
    time."""
    await until(attached, what="the worker attaches to the camera's stream")
    for n, jpeg in enumerate(clip.jpegs, start=1):
        yield jpeg
        await until(
            lambda n=n: worker.source.stats.payloads >= n and settled(worker),
            timeout=FRAME_TIMEOUT_S,
            every=0.01,
            what=f"frame {n} analysed",
        )


async def push_clip(
    worker: CounterWorker, clip: Clip, server: RelayServer, account: tuple[str, str]
) -> None:
    """The whole clip through the relay as camera `cam`, analysed frame by frame."""
    before = await stream_viewers(server.url, "cam")

    async def attached() -> bool:
        return await stream_viewers(server.url, "cam") > before

    async with relay_client(server, account, "cam") as cam:
        await cam.push(lockstep(worker, clip, attached))


@dataclass
class FeedClient:
    """Every message a WebSocket client received, in order, parsed."""

    ws: Any
    messages: list[dict[str, Any]] = field(default_factory=list)
    replies: asyncio.Queue[dict[str, Any]] = field(default_factory=asyncio.Queue)

    async def read(self) -> None:
        """Sort broadcasts from replies until the socket closes."""
        async for text in self.ws:
            message = json.loads(text)
            if message.get("type") in ("frame", "stats", "event"):
                self.messages.append(message)
            else:
                self.replies.put_nowait(message)

    async def ask(self, request: Any) -> dict[str, Any]:
        """Send a request (a dict as JSON, a str as is) and wait for its reply."""
        await self.ws.send(request if isinstance(request, str) else json.dumps(request))
        return await asyncio.wait_for(self.replies.get(), 10)

    def of_type(self, kind: str) -> list[dict[str, Any]]:
        return [m for m in self.messages if m["type"] == kind]
