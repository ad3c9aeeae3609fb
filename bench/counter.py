"""Issue 5's figures: the people counter's detection + tracking per frame on one core.

On shared/data/pedestrians-1280x720.avi: time per analysed frame (p50/p99) at 1280x720 and
640x480 for the default SSDLite 3x2 tiles and fewer tiles, the frames per second one worker
sustains (one vision thread), the counts at 10, 5 and 2.5 analysed frames per second of
scene (frame skipping), and two runs at the live rate (every 10th frame of the 50 fps clip =
5 analysed frames a second), which must agree and match the hand count of 2 IN, 1 OUT.
BENCH_COUNTER_STEP (default 4) chooses which frames are timed.
"""

from __future__ import annotations

import os
import statistics
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from camrelay.clients.worker.counter.config import CounterSettings
from camrelay.clients.worker.counter.pipeline import CountingPipeline

VIDEO = Path(__file__).resolve().parents[1].parent / "shared/data/pedestrians-1280x720.avi"
TIMED_STEP = int(os.environ.get("BENCH_COUNTER_STEP", "4"))
LIVE_STEP = 10  # 50 fps / 10 = the worker's default 5 analysed frames a second
TARGET_FPS = 10.0
HAND_COUNT = (2, 1)
# Analysed frames per second of scene the counts are taken at (the clip has 50 fps).
RATES = (10.0, 5.0, 2.5)


@dataclass(frozen=True)
class Option:
    """One detector configuration at one frame size."""

    name: str
    size: tuple[int, int]
    columns: int
    rows: int
    band: float = 0.0

    def settings(self) -> CounterSettings:
        detector = {"tile_columns": self.columns, "tile_rows": self.rows, "line_band": self.band}
        return CounterSettings.model_validate({"detector": detector})


OPTIONS = [
    Option("1280x720, 3x2 tiles (default)", (1280, 720), 3, 2),
    Option("640x480,  3x2 tiles (default)", (640, 480), 3, 2),
    Option("640x480,  2x2 tiles", (640, 480), 2, 2),
    Option("640x480,  2x1 tiles", (640, 480), 2, 1),
    Option("640x480,  1x1 tile", (640, 480), 1, 1),
    Option("640x480,  line band 0.25, 1x2", (640, 480), 1, 2, 0.25),
]


def load_frames() -> list[np.ndarray]:
    """Every frame of the clip, BGR at 1280x720."""
    capture = cv2.VideoCapture(str(VIDEO))
    frames = []
    while True:
        ok, frame = capture.read()
        if not ok:
            break
        frames.append(frame)
    capture.release()
    return frames


def resized(frames: Iterable[np.ndarray], size: tuple[int, int]) -> list[np.ndarray]:
    """The frames at width x height (as a 640x480 camera would send them)."""
    return [f if (f.shape[1], f.shape[0]) == size else cv2.resize(f, size) for f in frames]


def timings(option: Option, frames: list[np.ndarray]) -> list[float]:
    """Seconds of detection + tracking (+ line, faces) per frame, in clip order."""
    pipeline = CountingPipeline(option.settings())
    return [pipeline.process(frame).total_s for frame in frames]


def counts(option: Option, frames: list[np.ndarray]) -> list[tuple[int, int, str]]:
    """(frame index, track id, direction) of every crossing."""
    pipeline = CountingPipeline(option.settings())
    found = []
    for index, frame in enumerate(frames):
        found += [(index, c.track_id, c.direction.value) for c in pipeline.process(frame).crossings]
    return found


def in_out(crossings: list[tuple[int, int, str]]) -> tuple[int, int]:
    directions = [d for _, _, d in crossings]
    return directions.count("in"), directions.count("out")


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def report(option: Option, frames: list[np.ndarray]) -> tuple[float, bool]:
    """Print one option's line; returns its sustained frames per second and whether it
    counts right at 10 analysed frames a second."""
    sized = resized(frames, option.size)
    seconds = timings(option, sized[::TIMED_STEP])
    fps = 1.0 / statistics.fmean(seconds)
    found = {rate: in_out(counts(option, sized[:: round(50 / rate)])) for rate in RATES}
    print(
        f"  {option.name:31} {1000 * percentile(seconds, 0.5):5.0f} / "
        f"{1000 * percentile(seconds, 0.99):5.0f} ms {fps:5.1f}/s   "
        + ", ".join(f"{rate:g}/s {found[rate]}" for rate in RATES)
    )
    return fps, found[TARGET_FPS] == HAND_COUNT


def main() -> None:
    print("\n== people counter (detection + tracking per frame, one core: cv2.setNumThreads(1))")
    if not VIDEO.exists():
        print(f"  skipped: {VIDEO} is not there")
        return
    cv2.setNumThreads(1)
    frames = load_frames()
    print(f"  {len(frames)} frames; every {TIMED_STEP}th timed; hand count IN/OUT {HAND_COUNT}")
    print(f"  {'option':31} {'p50':>5} / {'p99':>5} ms frames/s  IN/OUT counted at")
    results = {option.name: report(option, frames) for option in OPTIONS}
    default = OPTIONS[0]
    first, second = (counts(default, frames[::LIVE_STEP]) for _ in range(2))
    agree = "agree" if first == second else "DIFFER"
    print(
        f"  two runs at 5/s, {default.name}: {in_out(first)} and {in_out(second)}, "
        f"crossings {agree} exactly"
    )
    good = [
        n
        for n, (fps, right) in results.items()
        if n.startswith("640") and fps >= TARGET_FPS and right
    ]
    print(
        f"  640x480 default: {results[OPTIONS[1].name][0]:.1f}/s (target >= {TARGET_FPS:.0f}/s);"
        f" at >= {TARGET_FPS:.0f}/s and counting right at that rate: "
        + (", ".join(" ".join(n.split()) for n in good) or "none")
    )


if __name__ == "__main__":
    main()
