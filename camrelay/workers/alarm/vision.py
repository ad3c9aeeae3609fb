"""The motion pipeline off the event loop: decode and count in a thread of its own, timed.

Only that thread touches the detector; the event loop hands it one JPEG at a time (the
newest, from a one-slot drop-oldest queue) and gets the result back.
"""

from __future__ import annotations

import asyncio
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from camrelay.workers.alarm.changed_pixels import (
    PROCESS_WIDTH,
    FrameDecodeError,
    MotionDetector,
    MotionResult,
    decode_jpeg,
)
from camrelay.workers.alarm.config import ProcessingSettings


@dataclass(frozen=True)
class Analysis:
    """One frame's result and how long decoding and the pipeline took (wall seconds)."""

    motion: MotionResult
    seconds: float


class MotionVision:
    """A MotionDetector behind a single worker thread, with the thread's CPU and memory use."""

    def __init__(self, settings: ProcessingSettings) -> None:
        self._executor = ThreadPoolExecutor(1, thread_name_prefix="alarm-vision")
        self._detector = MotionDetector(settings)
        self._cpu_s = 0.0
        self._held_bytes = 0

    @property
    def cpu_seconds(self) -> float:
        """CPU time the vision thread has spent on frames."""
        return self._cpu_s

    @property
    def held_bytes(self) -> int:
        """Bytes of the last decoded frame plus the running average it is compared with."""
        return self._held_bytes

    def rebuild(self, settings: ProcessingSettings) -> None:
        """A new detector for new settings; a frame in flight finishes on the old one."""
        self._detector = MotionDetector(settings)

    async def analyse(self, jpeg: bytes) -> Analysis | None:
        """Decode and count one frame in the vision thread; None when it is not an image."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, self._analyse, jpeg)

    def _analyse(self, jpeg: bytes) -> Analysis | None:
        """Runs in the vision thread."""
        detector = self._detector
        cpu_start, wall_start = time.thread_time(), time.perf_counter()
        try:
            frame = decode_jpeg(jpeg)
            result = detector.update(frame)
        except FrameDecodeError:
            return None
        finally:
            self._cpu_s += time.thread_time() - cpu_start
        height, width = frame.shape[:2]
        average_bytes = PROCESS_WIDTH * max(1, round(height * PROCESS_WIDTH / width)) * 4
        self._held_bytes = int(frame.nbytes) + average_bytes
        return Analysis(result, time.perf_counter() - wall_start)

    def close(self) -> None:
        """Let the thread finish its frame and end."""
        self._executor.shutdown(wait=False, cancel_futures=True)
