"""A camera's live stream (output.raw) as seen by a worker: re-attached whenever it ends,
fails or does not exist yet, with backoff; slow consumers keep only the newest frames.

    source = StreamSource(RelayClient(url, user, password, "alarm"), camera="cam1")
    async for payload in source.payloads():      # every payload, forever
        ...
    async for frame in source.frames():          # newest decoded frame whenever ready
        ...

The client authorizes as the worker's own device. A wrong name or password (NoSuchUser)
is the only error that ends the iteration; everything else is retried.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncGenerator, AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import aclosing
from dataclasses import dataclass
from typing import cast

import cv2
import httpx
import numpy as np
import numpy.typing as npt

from camrelay.clients.backoff import Backoff, Retry, Sleep
from camrelay.clients.relay import RelayClient
from camrelay.protocol.errors import NoSuchSession, NoSuchUser, RelayError
from camrelay.protocol.framing import FrameError
from camrelay.workers.common.drop_oldest import DropOldestQueue, QueueClosed

log = logging.getLogger(__name__)

__all__ = ["Backoff", "DecodedFrame", "SourceStats", "StreamSource"]
Image = npt.NDArray[np.uint8]
# What may end one attachment; each is logged and followed by a new attempt.
RETRIED = (RelayError, httpx.HTTPError, FrameError, OSError)


@dataclass
class SourceStats:
    """What the source has done so far (for logs and metrics)."""

    attaches: int = 0
    payloads: int = 0
    attached: bool = False
    last_error: str | None = None


@dataclass(frozen=True)
class DecodedFrame:
    """A payload with its decoded BGR image and when it arrived (time.time())."""

    jpeg: bytes
    image: Image
    received_at: float


class StreamSource:
    """One camera's live stream through a relay, attached again whenever it goes away."""

    def __init__(
        self,
        client: RelayClient,
        camera: str,
        backoff: Backoff | None = None,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self.client = client
        self.camera = camera
        self.stats = SourceStats()
        self._retry = Retry(backoff or Backoff(), sleep)

    async def payloads(self) -> AsyncIterator[bytes]:
        """Every payload of the stream, across re-attachments, until cancelled."""
        while True:
            try:
                async with aclosing(self._attach()) as stream:
                    async for payload in stream:
                        self._retry.succeeded()
                        yield payload
                self.stats.last_error = "the stream ended"
            except NoSuchUser:
                raise
            except NoSuchSession:
                # pull() does not re-authorize by itself; the next attempt will.
                self.client.shash = ""
                self.stats.last_error = "session expired"
            except RETRIED as exc:
                self.stats.last_error = f"{type(exc).__name__}: {exc}".rstrip(": ")
            finally:
                self.stats.attached = False
            delay = self._retry.next_delay()
            log.info(
                "stream %s: %s; attaching again in %.1f s",
                self.camera,
                self.stats.last_error,
                delay,
            )
            await self._retry.sleep(delay)

    async def _attach(self) -> AsyncGenerator[bytes, None]:
        """One attachment: the payloads of one output.raw response."""
        if not self.client.shash:
            await self.client.authorize()
        pull = cast(AsyncGenerator[bytes, None], self.client.pull(self.camera))
        async with aclosing(pull) as stream:
            async for payload in stream:
                if not self.stats.attached:
                    self.stats.attached = True
                    self.stats.attaches += 1
                    log.info("stream %s: attached", self.camera)
                self.stats.payloads += 1
                yield payload

    async def pump(self, queue: DropOldestQueue[bytes]) -> None:
        """Put every payload into the queue (which drops its oldest) until cancelled;
        the queue is closed when the pump stops, so its getter learns of it."""
        try:
            async for payload in self.payloads():
                queue.put(payload)
        finally:
            queue.close()

    async def frames(
        self,
        executor: ThreadPoolExecutor | None = None,
        queue: DropOldestQueue[bytes] | None = None,
    ) -> AsyncIterator[DecodedFrame]:
        """The newest payload decoded, each time the consumer asks for the next one.

        Decoding runs in `executor` (a thread), never on the event loop; payloads that
        arrive meanwhile replace each other in `queue` (default: one slot) and count as
        dropped there. Payloads that are not images are skipped with a warning.
        """
        queue = DropOldestQueue(1) if queue is None else queue
        loop = asyncio.get_running_loop()
        pump = asyncio.create_task(self.pump(queue))
        try:
            while True:
                try:
                    jpeg = await queue.get()
                except QueueClosed:
                    await pump  # raises what stopped it (NoSuchUser)
                    return
                received_at = time.time()
                image = await loop.run_in_executor(executor, decode_image, jpeg)
                if image is None:
                    log.warning(
                        "stream %s: a %d-byte payload is not an image; skipped",
                        self.camera,
                        len(jpeg),
                    )
                    continue
                yield DecodedFrame(jpeg, image, received_at)
        finally:
            pump.cancel()
            await asyncio.gather(pump, return_exceptions=True)


def decode_image(data: bytes) -> Image | None:
    """A JPEG (or any image OpenCV reads) as a BGR array, or None."""
    image = cv2.imdecode(np.frombuffer(data, dtype=np.uint8), cv2.IMREAD_COLOR)
    return None if image is None else np.asarray(image, dtype=np.uint8)
