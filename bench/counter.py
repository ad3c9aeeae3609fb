"""Issue 5's figures: the people counter's detection + tracking per frame on one core.

On shared/data/pedestrians-1280x720.avi: time per analysed frame (p50/p99) at 1280x720 and
640x480 for SSDLite's 3x2 tiles all searched, fewer tiles, the line band and the tiles near the
line on most frames (detector.full_every), the frames per second one worker sustains (one
vision thread), the counts at 10, 5 and 2.5 analysed frames per second of scene (frame
skipping), the runs out of UNEVEN_SEEDS that count right when the gaps between analysed
frames are drawn at random between 1/10 s and 1/3 s (a loaded live worker), and two runs
at the live rate (every 10th frame of the 50 fps clip = 5 analysed frames a second), which
must agree and match the hand count of 2 IN, 1 OUT. Frames carry the clip's own timestamps.
BENCH_COUNTER_STEP (default 4) chooses which frames are timed; BENCH_COUNTER_QUICK=1 runs
only the every-tile options the target is about, 3x2 tiles and the whole frame, first layer,
in OpenVINO in float32 and in int8 (detector.precision; for repeated runs; medians in the
README). BENCH_COUNTER_OPTIONS="a|b" runs only the options whose names contain one of the
|-separated parts (spaces squeezed), e.g. "every 16" for the default tiling in float32
and int8.

One core: OpenCV runs single-threaded (cv2.setNumThreads(1)) in this one process, and so
does OpenVINO (the detector gives it OpenCV's thread count); each
figure is wall time, and the CPU time the frame took (process CPU seconds / frames) is printed
beside it with the frames/s it implies on one core (on a loaded machine the wall figure drops
while the CPU figure stays). Issue 14's target, printed with PASS/FAIL on the CPU figure:
>= 10 analysed frames/s (<= 100 ms CPU a frame) at 640x480 with every tile searched on every
frame (full_every = 1), counting the hand count at 10, 5 and 2.5 analysed frames a second and
in as many uneven runs as float32 (6 of 8); judged for the float32 and the int8 network (the
int8 one must be chosen: detector.precision).
"""

from __future__ import annotations

import math
import os
import random
import statistics
import time
from collections.abc import Iterable
from dataclasses import dataclass

import cv2
import numpy as np

from bench.verdict import judged
from camrelay.workers.counter.config import CounterSettings
from camrelay.workers.counter.pipeline import CountingPipeline
from tests.support.clip import clip_frames
from tests.support.footage import footage_path

VIDEO = footage_path()  # CAMRELAY_TEST_FOOTAGE, or ../shared/data beside the repository
TIMED_STEP = int(os.environ.get("BENCH_COUNTER_STEP", "4"))
LIVE_STEP = 10  # 50 fps / 10 = the worker's default 5 analysed frames a second
TARGET_FPS = 10.0
HAND_COUNT = (2, 1)
# Analysed frames per second of scene the counts are taken at (the clip has 50 fps).
CLIP_FPS = 50
RATES = (10.0, 5.0, 2.5)
# Uneven analysis: gaps of 5 to 17 clip frames (10 to 3 analysed frames a second).
UNEVEN_GAPS = (5, 17)
UNEVEN_SEEDS = int(os.environ.get("BENCH_COUNTER_SEEDS", "8"))
# Float32's uneven runs counted right in 6 of 8 seeds: the target asks no fewer.
UNEVEN_NEEDED = math.ceil(0.75 * UNEVEN_SEEDS)
QUICK = os.environ.get("BENCH_COUNTER_QUICK") == "1"
ONLY = [p.strip() for p in os.environ.get("BENCH_COUNTER_OPTIONS", "").split("|") if p.strip()]


@dataclass(frozen=True)
class Option:
    """One detector configuration at one frame size."""

    name: str
    size: tuple[int, int]
    columns: int
    rows: int
    band: float = 0.0
    full_every: int = 1
    predictor_layers: int = 6
    whole_frame: bool = False
    runtime: str = "openvino"
    precision: str = "f32"

    def settings(self) -> CounterSettings:
        detector = {
            "tile_columns": self.columns,
            "tile_rows": self.rows,
            "line_band": self.band,
            "full_every": self.full_every,
            "predictor_layers": self.predictor_layers,
            "whole_frame": self.whole_frame,
            "runtime": self.runtime,
            "precision": self.precision,
        }
        return CounterSettings.model_validate({"detector": detector})


OPTIONS = [
    Option("640x480,  3x2 all, 1st, cv2.dnn", (640, 480), 3, 2, 0, 1, 1, False, "opencv"),
    Option("640x480,  whole, 1st, cv2.dnn", (640, 480), 3, 2, 0, 1, 1, True, "opencv"),
    Option("1280x720, 3x2 tiles, all", (1280, 720), 3, 2),
    Option("640x480,  3x2 tiles, all", (640, 480), 3, 2),
    Option("640x480,  3x2 all, 1st layer", (640, 480), 3, 2, predictor_layers=1),
    Option("640x480,  whole, 1st layer", (640, 480), 3, 2, predictor_layers=1, whole_frame=True),
    Option("640x480,  3x2 all, 1st, int8", (640, 480), 3, 2, 0, 1, 1, precision="int8"),
    Option("640x480,  whole, 1st, int8", (640, 480), 3, 2, 0, 1, 1, True, precision="int8"),
    Option("640x480,  2x2 all, 1st layer", (640, 480), 2, 2, predictor_layers=1),
    Option("640x480,  2x2 tiles", (640, 480), 2, 2),
    Option("640x480,  2x1 tiles", (640, 480), 2, 1),
    Option("640x480,  1x1 tile", (640, 480), 1, 1),
    Option("640x480,  line band 0.25, 1x2", (640, 480), 1, 2, 0.25),
    Option("640x480,  3x2, full every 8", (640, 480), 3, 2, full_every=8),
    Option("640x480,  3x2, every 16 (dflt)", (640, 480), 3, 2, full_every=16),
    Option("640x480,  3x2, every 16, int8", (640, 480), 3, 2, full_every=16, precision="int8"),
    Option("1280x720, 3x2, every 16, int8", (1280, 720), 3, 2, full_every=16, precision="int8"),
    Option("1280x720, 3x2, every 16 (dflt)", (1280, 720), 3, 2, full_every=16),
]
DEFAULT_720 = OPTIONS[-1]
# Issue 14's target: every tile searched on every frame (full_every = 1) at 640x480; the
# fastest such option that keeps the counts (detector.py: predictor_layers, whole_frame,
# precision int8), and the same in float32.
EVERY_TILE = OPTIONS[7]
EVERY_TILE_F32 = OPTIONS[5]


def named(option: Option) -> str:
    """The option's name with its alignment spaces squeezed."""
    return " ".join(option.name.split())


def selected() -> list[Option]:
    """The options this run measures: BENCH_COUNTER_OPTIONS, QUICK's four, or all."""
    if ONLY:
        return [o for o in OPTIONS if any(part in named(o) for part in ONLY)]
    # Tiles and the whole frame (first layer) in OpenVINO, float32 then int8 (issue 14).
    return [OPTIONS[4], EVERY_TILE_F32, OPTIONS[6], EVERY_TILE] if QUICK else OPTIONS


def load_frames() -> list[np.ndarray]:
    """Every frame of the clip, BGR at 1280x720."""
    return clip_frames(VIDEO)


def resized(frames: Iterable[np.ndarray], size: tuple[int, int]) -> list[np.ndarray]:
    """The frames at width x height (as a 640x480 camera would send them)."""
    return [f if (f.shape[1], f.shape[0]) == size else cv2.resize(f, size) for f in frames]


def timings(option: Option, frames: list[np.ndarray]) -> tuple[list[float], float]:
    """Seconds of detection + tracking (+ line, faces) per frame, in clip order; and the
    mean CPU seconds per frame of this process (OpenCV runs in the calling thread)."""
    pipeline = CountingPipeline(option.settings())
    started = time.process_time()
    seconds = [
        pipeline.process(frame, i * TIMED_STEP / CLIP_FPS).total_s for i, frame in enumerate(frames)
    ]
    return seconds, (time.process_time() - started) / len(frames)


def counts(
    option: Option, frames: list[np.ndarray], indices: Iterable[int]
) -> list[tuple[int, int, str]]:
    """(frame index, track id, direction) of every crossing, analysing the frames at
    indices (stamped with the clip's time)."""
    pipeline = CountingPipeline(option.settings())
    found = []
    for index in indices:
        result = pipeline.process(frames[index], index / CLIP_FPS)
        found += [(index, c.track_id, c.direction.value) for c in result.crossings]
    return found


def every(step: int, frames: list[np.ndarray]) -> range:
    return range(0, len(frames), step)


def uneven(seed: int, frames: list[np.ndarray]) -> list[int]:
    """Frame indices with seeded random gaps of UNEVEN_GAPS clip frames."""
    rng = random.Random(seed)
    indices, index = [], 0
    while index < len(frames):
        indices.append(index)
        index += rng.randint(*UNEVEN_GAPS)
    return indices


def in_out(crossings: list[tuple[int, int, str]]) -> tuple[int, int]:
    directions = [d for _, _, d in crossings]
    return directions.count("in"), directions.count("out")


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


@dataclass(frozen=True)
class Result:
    """One option's figures: sustained frames/s, CPU ms a frame, counts at 10/s and 5/s,
    and seeded uneven runs that counted right."""

    fps: float
    cpu_ms: float
    found: dict[float, tuple[int, int]]
    uneven_right: int

    @property
    def cpu_fps(self) -> float:
        """The analysed frames a second one core sustains, from the CPU time a frame."""
        return 1000.0 / self.cpu_ms

    @property
    def counts_right(self) -> bool:
        """The hand count at 10 and 5 analysed frames a second."""
        return all(self.found[r] == HAND_COUNT for r in (TARGET_FPS, 5.0))

    @property
    def counts_as_before(self) -> bool:
        """The hand count at every rate, and as many right uneven runs as float32 had."""
        right = all(self.found[r] == HAND_COUNT for r in RATES)
        return right and self.uneven_right >= UNEVEN_NEEDED


def report(option: Option, frames: list[np.ndarray]) -> Result:
    """Print one option's line and return its figures."""
    sized = resized(frames, option.size)
    seconds, cpu_s = timings(option, sized[::TIMED_STEP])
    fps = 1.0 / statistics.fmean(seconds)
    found = {
        rate: in_out(counts(option, sized, every(round(CLIP_FPS / rate), sized))) for rate in RATES
    }
    right = sum(
        in_out(counts(option, sized, uneven(seed, sized))) == HAND_COUNT
        for seed in range(UNEVEN_SEEDS)
    )
    print(
        f"  {option.name:31} {1000 * percentile(seconds, 0.5):5.0f} / "
        f"{1000 * percentile(seconds, 0.99):5.0f} ms {fps:5.1f}/s {1000 * cpu_s:5.0f} ms "
        f"{1 / cpu_s:5.1f}/s  "
        + ", ".join(f"{rate:g}/s {found[rate]}" for rate in RATES)
        + f", uneven {right}/{UNEVEN_SEEDS} right"
    )
    return Result(fps, 1000 * cpu_s, found, right)


def main() -> None:
    print("\n== people counter (detection + tracking per frame, one core: cv2.setNumThreads(1))")
    if not VIDEO.exists():
        print(f"  skipped: {VIDEO} is not there")
        return
    cv2.setNumThreads(1)
    frames = load_frames()
    print(f"  {len(frames)} frames; every {TIMED_STEP}th timed; hand count IN/OUT {HAND_COUNT}")
    lo, hi = (CLIP_FPS / g for g in UNEVEN_GAPS)
    print(f"  uneven: {UNEVEN_SEEDS} seeded runs, gaps drawn between 1/{lo:g} s and 1/{hi:.3g} s")
    print("  runtime: OpenVINO (detector.runtime's default) unless the option names cv2.dnn")
    print("  network: float32 (detector.precision's default) unless the option names int8")
    print(f"  {'option':31} {'p50':>5} / {'p99':>5} ms frames/s   CPU  1 core  IN/OUT counted at")
    results = {option.name: report(option, frames) for option in selected()}
    if not (QUICK or ONLY):
        default = DEFAULT_720
        first, second = (counts(default, frames, every(LIVE_STEP, frames)) for _ in range(2))
        agree = "agree" if first == second else "DIFFER"
        print(
            f"  two runs at 5/s, {default.name}: {in_out(first)} and {in_out(second)}, "
            f"crossings {agree} exactly"
        )
    good = [
        n
        for n, r in results.items()
        if n.startswith("640") and r.cpu_fps >= TARGET_FPS and r.counts_right
    ]
    print(
        f"  at >= {TARGET_FPS:.0f}/s on one core (CPU) and counting right at 10/s and 5/s: "
        + (", ".join(" ".join(n.split()) for n in good) or "none")
    )
    for option in (EVERY_TILE_F32, EVERY_TILE):
        if option.name in results:
            print(verdict(option, results[option.name]))


def verdict(option: Option, result: Result) -> str:
    """Issue 14's target line for one every-tile option, PASS or FAIL."""
    return judged(
        f"640x480, every tile every frame ({named(option)}): "
        f"{result.cpu_ms:.0f} ms CPU a frame = {result.cpu_fps:.1f} frames/s on "
        f"one core ({result.fps:.1f}/s wall on this machine now), "
        f"IN/OUT {result.found[TARGET_FPS]} at 10/s, {result.found[5.0]} at 5/s, "
        f"{result.found[2.5]} at 2.5/s, uneven {result.uneven_right}/{UNEVEN_SEEDS} right",
        f">= {TARGET_FPS:.0f}/s on one core (<= {1000 / TARGET_FPS:.0f} ms CPU), "
        f"{HAND_COUNT} at 10, 5 and 2.5/s, uneven >= {UNEVEN_NEEDED}/{UNEVEN_SEEDS}",
        result.cpu_fps >= TARGET_FPS and result.counts_as_before,
    )


if __name__ == "__main__":
    main()
