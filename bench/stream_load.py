"""Load for the live stream relay: stamped frames, a producer that paces or floods input.raw,
and viewers of output.raw that time each frame's arrival without keeping its bytes.

Every payload starts with 16 bytes: the monotonic send time in ns and the frame's sequence
number (little-endian uint64 each), written over the start of the JPEG. CLOCK_MONOTONIC is
system-wide, so producers and viewers may live in different processes."""

from __future__ import annotations

import asyncio
import struct
import time
from dataclasses import dataclass, field

import httpx

from bench.h2_peer import H2Peer
from camrelay.protocol.framing import HEADER_SIZE, frame_header

STAMP = struct.Struct("<QQ")
PREFIX = HEADER_SIZE + STAMP.size  # frame header + stamp: all a viewer needs to parse


def jpeg_payload(target: int = 40_000, width: int = 640, height: int = 480) -> tuple[bytes, str]:
    """A real JPEG of the synthetic camera scene with sensor-like noise, its quality chosen so
    the file is close to `target` bytes; random bytes if OpenCV is missing. Returns (data, what)."""
    try:
        import cv2
        import numpy as np

        from camrelay.clients.sources import SyntheticSource
    except ImportError:
        import os

        return os.urandom(target), f"random bytes ({target} B; OpenCV missing)"
    image = SyntheticSource(width, height).read().astype(np.int16)
    noise = np.random.default_rng(7).normal(0, 6, image.shape).astype(np.int16)
    image = np.clip(image + noise, 0, 255).astype(np.uint8)
    best = b""
    for quality in range(30, 100, 2):
        ok, encoded = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, quality])
        assert ok
        if not best or abs(len(encoded) - target) < abs(len(best) - target):
            best = encoded.tobytes()
    return best, f"cv2 JPEG {width}x{height} of the synthetic scene + noise, {len(best)} B"


def stamped_frame(jpeg: bytes, seq: int) -> bytes:
    """One wire frame: header, then the JPEG with its first 16 bytes replaced by time and seq."""
    return b"".join(
        (
            frame_header(len(jpeg)),
            STAMP.pack(time.monotonic_ns(), seq),
            memoryview(jpeg)[STAMP.size :],
        )
    )


@dataclass(eq=False)
class ViewerSink:
    """Parses one viewer's output.raw bytes: counts frames and bytes, keeps the latency of each
    frame (arrival of its last byte minus its stamp) once its sequence number reaches `warm`."""

    warm: int = 0
    frames: int = 0
    received: int = 0
    out_of_order: int = 0
    latencies_ns: list[int] = field(default_factory=list)
    _head: bytearray = field(default_factory=bytearray)
    _left: int = 0  # bytes of the current frame still to come after its prefix
    _stamp: int = 0
    _seq: int = -1
    _last_seq: int = -1

    def __call__(self, data: bytes, now: int) -> None:
        self.received += len(data)
        position, size = 0, len(data)
        while position < size:
            if self._left:
                step = min(self._left, size - position)
                position += step
                self._left -= step
                if not self._left:
                    self._complete(now)
                continue
            need = PREFIX - len(self._head)
            self._head += data[position : position + need]
            position += need
            if len(self._head) == PREFIX:
                self._start_frame(now)

    def _start_frame(self, now: int) -> None:
        length = int.from_bytes(self._head[2:HEADER_SIZE], "little")
        self._stamp, self._seq = STAMP.unpack_from(self._head, HEADER_SIZE)
        self._head.clear()
        self._left = HEADER_SIZE + length - PREFIX
        if not self._left:
            self._complete(now)

    def _complete(self, now: int) -> None:
        self.frames += 1
        if self._seq <= self._last_seq:
            self.out_of_order += 1
        self._last_seq = self._seq
        if self._seq >= self.warm:
            self.latencies_ns.append(now - self._stamp)


@dataclass
class Upload:
    """One producer's input.raw stream on a peer."""

    peer: H2Peer
    stream_id: int
    sent: int = 0
    sent_bytes: int = 0
    late: int = 0  # frames that left more than one frame interval after their due time

    @classmethod
    def start(cls, peer: H2Peer, shash: str) -> Upload:
        query = httpx.QueryParams({"shash": shash, "subproto": "RAW_JPEG"})
        return cls(peer, peer.request("PUT", f"/input.raw?{query}", end=False))

    async def paced(self, jpeg: bytes, fps: float, seconds: float) -> None:
        """Send frames at `fps` for `seconds`; a late frame goes at once (no skipping)."""
        loop = asyncio.get_running_loop()
        interval, start = 1 / fps, loop.time()
        for seq in range(round(fps * seconds)):
            due = start + seq * interval
            delay = due - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            elif -delay > interval:
                self.late += 1
            await self._send(jpeg, seq)

    async def flood(self, jpeg: bytes, seconds: float) -> None:
        """Send frames as fast as flow control and the socket allow, for `seconds`."""
        deadline = time.monotonic() + seconds
        seq = 0
        while time.monotonic() < deadline:
            await self._send(jpeg, seq)
            seq += 1

    async def _send(self, jpeg: bytes, seq: int) -> None:
        frame = stamped_frame(jpeg, seq)
        await self.peer.send(self.stream_id, frame)
        self.sent += 1
        self.sent_bytes += len(frame)

    async def finish(self, timeout: float = 10) -> str:
        """End the upload and return the server's answer."""
        self.peer.end(self.stream_id)
        state = self.peer.streams[self.stream_id]
        await asyncio.wait_for(state.ended.wait(), timeout)
        return bytes(state.body).decode(errors="replace")


async def open_viewer(
    peer: H2Peer, shash: str, device: str, warm: int = 0, attempts: int = 200
) -> tuple[int, ViewerSink]:
    """Start output.raw for `device` (retrying while the stream is not there yet)."""
    query = httpx.QueryParams({"shash": shash, "device": device})
    for _ in range(attempts):
        sink = ViewerSink(warm=warm)
        stream_id = peer.request("GET", f"/output.raw?{query}", end=True, sink=sink)
        state = peer.streams[stream_id]
        await asyncio.wait_for(state.headers_seen.wait(), 10)
        if state.status == 200 and state.content_type == "application/octet-stream":
            return stream_id, sink
        await state.ended.wait()
        await asyncio.sleep(0.02)
    raise RuntimeError(f"output.raw for {device} never started")


async def viewers_on_peers(
    peers: list[H2Peer], count: int, shash: str, device: str, warm: int
) -> list[tuple[H2Peer, int, ViewerSink]]:
    """`count` viewers spread round-robin over `peers`."""
    opened = []
    for index in range(count):
        peer = peers[index % len(peers)]
        stream_id, sink = await open_viewer(peer, shash, device, warm)
        opened.append((peer, stream_id, sink))
    return opened


async def wait_ended(viewers: list[tuple[H2Peer, int, ViewerSink]], timeout: float) -> int:
    """Wait until every viewer's stream ended; returns how many did not within `timeout`."""
    states = [peer.streams[stream_id].ended for peer, stream_id, _ in viewers]
    try:
        async with asyncio.timeout(timeout):
            for ended in states:
                await ended.wait()
    except TimeoutError:
        pass
    return sum(1 for ended in states if not ended.is_set())
