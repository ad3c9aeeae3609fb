"""A camera: frames from a source, JPEG-encoded off the event loop, pushed through input.raw.

The capture loop keeps only the newest few frames (a slow network loses old frames, counted as
drops, never delays capture); the upload reconnects with backoff when the server goes away;
a message loop keeps the session alive and answers the device messages it understands,
among them the relay's `state` message (CONTRACT §5), applied to the frames by ImageState.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import AsyncIterator
from typing import Any

from camrelay.protocol.errors import NoSuchSession
from camrelay.protocol.wire_types import Message

from .backoff import Backoff, Retry
from .image_state import ImageState
from .progress import Throughput
from .relay import RelayClient
from .sources import FrameSource, SyntheticSource, encode_jpeg

log = logging.getLogger("camrelay.camera")
QUEUE_FRAMES = 4
# After an upload ends: 1 s, 2 s, 4 s, … up to 30 s; an upload that ran STEADY_S resets it, and
# the message poll answering again after failures (the server is back) ends the wait.
RECONNECT = Backoff(first_s=1.0, factor=2.0, max_s=30.0)
STEADY_S = 10.0
POLL_S = 2.0


class CameraPusher:
    """Pushes one source's frames to a relay as the client's device."""

    def __init__(
        self,
        client: RelayClient,
        source: FrameSource,
        fps: float,
        quality: int = 80,
        subproto: str = "RAW_JPEG",
        reconnect: Backoff = RECONNECT,
    ) -> None:
        self.client = client
        self.source = source
        self.fps = fps
        self.quality = quality
        self.subproto = subproto
        self.stats = Throughput()
        self.latest = b""
        self.image = ImageState(fps, quality)
        self._queue: deque[bytes] = deque()
        self._fresh = asyncio.Event()
        self._stop = asyncio.Event()
        self._retry = Retry(reconnect)
        self.server_lost = False  # the message poll's last try failed

    def stop(self) -> None:
        """End every loop."""
        self._stop.set()
        self._fresh.set()

    async def run(self) -> None:
        """Capture, upload and answer messages until stop()."""
        tasks = [asyncio.create_task(job()) for job in (self._capture, self._upload, self._poll)]
        try:
            await self._stop.wait()
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            self.source.close()

    async def _capture(self) -> None:
        loop = asyncio.get_running_loop()
        next_at = loop.time()
        while not self._stop.is_set():
            self.latest = await asyncio.to_thread(self._render)
            self._offer(self.latest)
            next_at = max(next_at + 1 / self.fps, loop.time())
            await asyncio.sleep(next_at - loop.time())

    def _render(self) -> bytes:
        """The next frame as the camera's state says, as JPEG (in a worker thread)."""
        frame = self.image.apply(self.source.read(), isinstance(self.source, SyntheticSource))
        return encode_jpeg(frame, self.quality)

    def _offer(self, jpeg: bytes) -> None:
        self._queue.append(jpeg)
        while len(self._queue) > QUEUE_FRAMES:
            self._queue.popleft()
            self.stats.drops += 1
        self._fresh.set()

    async def _frames(self) -> AsyncIterator[bytes]:
        self._queue.clear()  # a new upload starts with fresh frames
        while not self._stop.is_set():
            if not self._queue:
                self._fresh.clear()
                await self._fresh.wait()
                continue
            jpeg = self._queue.popleft()
            self.stats.add(len(jpeg))
            yield jpeg

    def delta_ms(self) -> int:
        """The longest gap between frames the server may expect: generous, as networks stall."""
        return max(2000, int(3000 / self.fps))

    async def _upload(self) -> None:
        while not self._stop.is_set():
            started = asyncio.get_running_loop().time()
            used = self.client.shash
            try:
                await self.client.push(self._frames(), self.subproto, self.delta_ms())
            except NoSuchSession:
                await self._authorize_quietly(stale=used)
                continue
            except Exception as exc:  # noqa: BLE001 - whatever ended the upload, retry
                log.warning("upload ended: %s", exc or type(exc).__name__)
            if self._stop.is_set():
                return
            self.stats.reconnects += 1
            if asyncio.get_running_loop().time() - started > STEADY_S:
                self._retry.succeeded()
            await self._retry.wait()

    async def _authorize_quietly(self, stale: str) -> None:
        try:
            await self.client.ensure_session(stale=stale)
        except Exception as exc:  # noqa: BLE001 - the upload loop retries with backoff
            log.warning("authorize failed: %s", exc)
            await self._retry.wait()

    async def _poll(self) -> None:
        while not self._stop.is_set():
            try:
                messages = await self.client.messages_and_sync()
                if self.server_lost:  # it is back: the upload need not sit out its backoff
                    self._retry.wake()
                    self.server_lost = False
                for message in messages:
                    await self.answer(message)
            except Exception as exc:  # noqa: BLE001 - keep polling whatever happened
                log.debug("message poll failed: %s", exc)
                self.server_lost = True
            await asyncio.sleep(POLL_S)

    async def answer(self, message: Message) -> None:
        """Handle ping, status, set_fps, snapshot and state; reply to the sender (a state
        message: report the values applied to the whole account, so the relay stores them)."""
        if message.msg == "state":
            await self.client.send("state-report", params=self.apply_state(message.params))
            return
        reply = await self._reply_to(message)
        if reply is not None:
            await self.client.send(reply[0], target=message.device, params=reply[1])

    async def _reply_to(self, message: Message) -> tuple[str, dict[str, Any]] | None:
        if message.msg == "ping":
            return "pong", {}
        if message.msg == "status":
            return "status", self.status()
        if message.msg == "set_fps":
            return self._set_fps(message.params)
        if message.msg == "snapshot" and self.latest:
            return "snapshot", {"rid": await self.client.add_record(self.latest, "JPEG")}
        return None

    def apply_state(self, params: Any) -> dict[str, Any]:
        """Apply the keys of a state message it knows; return the values now in effect."""
        applied = self.image.update(params)
        if "fps" in applied:
            self.fps = self.image.fps
        if "jpeg-quality" in applied:
            self.quality = self.image.jpeg_quality
        return applied

    def _set_fps(self, params: Any) -> tuple[str, dict[str, Any]]:
        fps = params.get("fps") if isinstance(params, dict) else None
        if isinstance(fps, bool) or not isinstance(fps, (int, float)) or not 0.1 <= fps <= 60:
            return "error", {"msg": "set_fps", "reason": "fps must be a number in [0.1, 60]"}
        self.fps = float(fps)
        return "ok", {"msg": "set_fps", "fps": self.fps}

    def status(self) -> dict[str, Any]:
        """What a `status` message answers."""
        return {
            "source": self.source.name,
            "fps": self.fps,
            "frames": self.stats.frames,
            "bytes": self.stats.bytes,
            "drops": self.stats.drops,
            "reconnects": self.stats.reconnects,
        }
