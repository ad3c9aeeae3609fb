"""A viewer: reads a device's output.raw and hands each frame to a sink, re-attaching when the
stream ends or the server goes away."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

from camrelay.protocol.errors import NoChannel, NoSuchSession

from .backoff import Backoff, Retry
from .progress import Throughput
from .relay import RelayClient

log = logging.getLogger("camrelay.viewer")
# Between attachments: 1 s, 2 s, 4 s, … up to 30 s; a frame resets it.
REATTACH = Backoff(first_s=1.0, factor=2.0, max_s=30.0)


class FrameFiles:
    """Writes each frame to DIR/frame_000001.jpg, … ."""

    def __init__(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.folder = folder
        self.count = 0

    def __call__(self, frame: bytes) -> None:
        self.count += 1
        (self.folder / f"frame_{self.count:06d}.jpg").write_bytes(frame)


class MjpegFile:
    """Appends each JPEG frame to one MJPEG file (concatenated JPEGs, as players read it)."""

    def __init__(self, file: BinaryIO) -> None:
        self.file = file

    def __call__(self, frame: bytes) -> None:
        self.file.write(frame)
        self.file.flush()


async def watch(
    client: RelayClient,
    device: str,
    sink: Callable[[bytes], None],
    stats: Throughput,
    limit: int = 0,
) -> None:
    """Pull frames into `sink` until `limit` frames (0: forever), re-attaching with backoff."""
    retry = Retry(REATTACH)
    while not limit or stats.frames < limit:
        try:
            async for frame in client.pull(device):
                sink(frame)
                stats.add(len(frame))
                retry.succeeded()
                if limit and stats.frames >= limit:
                    return
        except NoSuchSession:
            await client.authorize()
            continue
        except NoChannel:
            log.info("%s is not streaming; waiting", device)
        except Exception as exc:  # noqa: BLE001 - any failure: attach again
            log.warning("stream ended: %s", exc or type(exc).__name__)
        stats.reconnects += 1
        await retry.wait()
