"""The pedestrian clip pushed through a real relay to a real counter worker, frame by frame.

The clip is subsampled to every STEP-th frame (34 of 341): at 50 fps that is 5 frames per
second of the scene, the rate the worker analyses a live camera at. The camera pushes the
next frame only once the worker has analysed the previous one, so no frame is dropped by the
worker's newest-frame-only queue whatever the machine's load: the analysed sequence, and so
the counts, are the same every run.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest

from camrelay.clients.relay import RelayClient
from camrelay.clients.worker.counter.config import CounterSettings
from camrelay.clients.worker.counter.worker import CounterWorker
from camrelay.clients.worker.stream_source import Backoff, StreamSource
from tests.support.relay_server import RelayServer

VIDEO = Path(__file__).resolve().parents[3].parent / "shared/data/pedestrians-1280x720.avi"
STEP = 10
FRAME_TIMEOUT_S = 15.0


@dataclass(frozen=True)
class Clip:
    """The subsampled clip as JPEGs, and a blank frame of the same size."""

    jpegs: list[bytes]
    blank: bytes


def load_clip() -> Clip:
    """Every STEP-th frame of the shared video, JPEG-encoded as a camera would send it."""
    if not VIDEO.exists():
        pytest.skip(f"{VIDEO} is not there")
    capture = cv2.VideoCapture(str(VIDEO))
    jpegs, index, shape = [], 0, (720, 1280, 3)
    while True:
        ok, frame = capture.read()
        if not ok:
            break
        if index % STEP == 0:
            jpegs.append(encode(frame))
            shape = frame.shape
        index += 1
    capture.release()
    return Clip(jpegs, encode(np.full(shape, 128, np.uint8)))


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


async def until(condition: Any, timeout: float = FRAME_TIMEOUT_S) -> None:
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(0.02)


def settled(worker: CounterWorker) -> bool:
    """Every payload received has been analysed."""
    return worker.analysed >= worker.source.stats.payloads


async def lockstep(worker: CounterWorker, clip: Clip) -> AsyncIterator[bytes]:
    """Blank frames until the worker sees the stream, then the clip one analysed frame at a
    time."""
    while worker.source.stats.payloads == 0:
        yield clip.blank
        await asyncio.sleep(0.3)
    await until(lambda: settled(worker))
    await asyncio.sleep(0.5)  # a blank still on its way arrives meanwhile
    await until(lambda: settled(worker))
    base = worker.source.stats.payloads
    for n, jpeg in enumerate(clip.jpegs, start=1):
        yield jpeg
        await until(lambda n=n: worker.source.stats.payloads >= base + n and settled(worker))


async def push_clip(
    worker: CounterWorker, clip: Clip, server: RelayServer, account: tuple[str, str]
) -> None:
    """The whole clip through the relay as camera `cam`, analysed frame by frame."""
    async with relay_client(server, account, "cam") as cam:
        await cam.push(lockstep(worker, clip))


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
