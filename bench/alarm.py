"""Issue 4's figures: the alarm worker's decode + motion pipeline per frame at 640x480
(p50/p99), and the most frames per second one worker keeps up with through its vision
thread (one core), on the pedestrian footage (synthetic frames when it is missing)."""

from __future__ import annotations

import asyncio
import os
import statistics
import time
from itertools import islice

import cv2
import numpy as np

from camrelay.workers.alarm.changed_pixels import MotionDetector, decode_jpeg
from camrelay.workers.alarm.config import AlarmConfig, ProcessingSettings, apply_update
from camrelay.workers.alarm.vision import MotionVision
from tests.support.clip import clip_iter
from tests.support.footage import footage_path

FOOTAGE = footage_path()  # CAMRELAY_TEST_FOOTAGE, or ../shared/data beside the repository
FRAMES = int(os.environ.get("BENCH_ALARM_FRAMES", "600"))
SIZE = (640, 480)
TARGET_FPS = 30


def jpegs_640x480() -> list[bytes]:
    """The footage's frames (or moving noise) at 640x480 as JPEG, quality 80."""
    frames = [
        _encode(cv2.resize(frame, SIZE, interpolation=cv2.INTER_AREA))
        for frame in islice(clip_iter(FOOTAGE), 300)
    ]
    if not frames:
        rng = np.random.default_rng(4)
        frames = [_encode(rng.integers(0, 255, (SIZE[1], SIZE[0], 3), np.uint8)) for _ in range(60)]
    return frames


def _encode(frame: np.ndarray) -> bytes:
    return cv2.imencode(".jpg", frame, [cv2.IMWRITE_JPEG_QUALITY, 80])[1].tobytes()


def per_frame_ms(jpegs: list[bytes]) -> list[float]:
    """Decode + pipeline for FRAMES frames, one after another, in this thread."""
    detector = MotionDetector(_settings())
    times = []
    for n in range(FRAMES):
        started = time.perf_counter()
        detector.update(decode_jpeg(jpegs[n % len(jpegs)]))
        times.append((time.perf_counter() - started) * 1000)
    return times


async def vision_fps(jpegs: list[bytes]) -> float:
    """Frames per second through the worker's vision thread, back to back."""
    vision = MotionVision(_settings())
    started = time.perf_counter()
    for n in range(FRAMES):
        await vision.analyse(jpegs[n % len(jpegs)])
    elapsed = time.perf_counter() - started
    vision.close()
    return FRAMES / elapsed


def _settings() -> ProcessingSettings:
    return apply_update(AlarmConfig(), {"processing": {"pixel_threshold_hi": 150_000}}).processing


def main() -> None:
    print(f"\n== alarm worker (decode + motion pipeline, 640x480 JPEG, {FRAMES} frames)")
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    cv2.setNumThreads(1)  # one core, as one worker's vision thread gets
    jpegs = jpegs_640x480()
    per_frame_ms(jpegs[:20])  # warm-up
    times = sorted(per_frame_ms(jpegs))
    p50 = statistics.median(times)
    p99 = times[min(len(times) - 1, round(0.99 * len(times)))]
    fps = asyncio.run(vision_fps(jpegs))
    verdict = "keeps up" if fps >= TARGET_FPS else "falls behind"
    print(f"  per frame                    p50 {p50:6.2f} ms   p99 {p99:6.2f} ms")
    print(
        f"  one worker (vision thread)   {fps:8.0f} frames/s  ({verdict} with a "
        f"{TARGET_FPS} fps 640x480 stream at full rate)",
        flush=True,
    )
