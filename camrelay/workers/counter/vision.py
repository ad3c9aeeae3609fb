"""The counting pipeline and the feed's drawing off the event loop, each in a thread of its own.

Only the vision thread touches the detector and tracker; the feed thread decodes, draws and
encodes frames for the WebSocket, so a slow client-facing JPEG never delays counting.
"""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np

from camrelay.workers.common.stream_source import decode_image
from camrelay.workers.counter.annotate import annotated_jpeg
from camrelay.workers.counter.config import LineSettings
from camrelay.workers.counter.daily import CounterStats
from camrelay.workers.counter.line import CountingLine
from camrelay.workers.counter.pipeline import CountingPipeline, FrameResult
from camrelay.workers.counter.tracker import TrackView


@dataclass(frozen=True, slots=True)
class Overlay:
    """What the feed draws on each frame: the latest tracks and counters."""

    tracks: list[TrackView]
    stats: CounterStats


class CounterVision:
    """A CountingPipeline behind one thread, and JPEG drawing behind another."""

    def __init__(self, pipeline: CountingPipeline, line: LineSettings) -> None:
        self._pipeline = pipeline
        self._line = line
        self._vision = ThreadPoolExecutor(1, thread_name_prefix="counter-vision")
        self._drawing = ThreadPoolExecutor(1, thread_name_prefix="counter-feed")

    async def analyse(self, jpeg: bytes) -> FrameResult | None:
        """Decode and process one frame in the vision thread; None when it is not an image."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._vision, self._analyse, jpeg)

    def _analyse(self, jpeg: bytes) -> FrameResult | None:
        image = decode_image(jpeg)
        return None if image is None else self._pipeline.process(image)

    async def draw(self, jpeg: bytes, overlay: Overlay, quality: int) -> bytes | None:
        """The frame with the overlay drawn, as JPEG; None when it is not an image."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._drawing, _draw, jpeg, overlay, self._line, quality)

    def close(self) -> None:
        """Let each thread finish its frame and end."""
        self._vision.shutdown(wait=False, cancel_futures=True)
        self._drawing.shutdown(wait=False, cancel_futures=True)


def _draw(jpeg: bytes, overlay: Overlay, settings: LineSettings, quality: int) -> bytes | None:
    """Runs in the feed thread; the line is placed for this frame's own size."""
    image: np.ndarray | None = decode_image(jpeg)
    if image is None:
        return None
    line = CountingLine.for_frame(settings, image.shape[1], image.shape[0])
    return annotated_jpeg(image, line, overlay.tracks, overlay.stats, quality)
