"""Real footage: pedestrians-1280x720.avi (grey, 50 fps, 341 frames of a crowded plaza).

Measured with OpenCV 4.14 (counts at 640x360):
- every frame, back to back: 9,176–23,642 changed pixels, median ~12,900; 17 frames fall
  just under the default pixel_threshold_hi of 10,000, in 15 of 171 seconds when the
  frames are replayed at processing.fps (2).
- sampled at 2 fps on the file's own 50 fps time line (every 25th frame), as a live
  stream would be: 57,981–90,811, far above the default high threshold. The defaults are
  tuned for a quiet room; a crowd with a slightly drifting camera is, to them, a "lights"
  change. With pixel_threshold_hi raised for a crowd the same samples alarm.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import cv2
import pytest

from camrelay.workers.alarm.changed_pixels import MotionDetector, MotionResult
from camrelay.workers.alarm.config import AlarmConfig, apply_update
from camrelay.workers.alarm.state import AlarmStateMachine
from camrelay.workers.alarm.status import AlarmState
from tests.support.clip import clip_iter

T0 = 1_700_000_000.0
CROWD = {"pixel_threshold_hi": 150_000}  # about two thirds of a 640x360 frame


@dataclass(frozen=True)
class Runs:
    """Per-frame results of one pass over the file with three detectors."""

    fps: float
    every_frame: list[MotionResult]
    live_2fps: list[MotionResult]
    live_2fps_crowd: list[MotionResult]


@pytest.fixture(scope="module")
def runs(footage_file: Path) -> Runs:
    capture = cv2.VideoCapture(str(footage_file))
    fps = capture.get(cv2.CAP_PROP_FPS)
    capture.release()
    step = round(fps / AlarmConfig().processing.fps)
    crowd = apply_update(AlarmConfig(), {"processing": CROWD}).processing
    every, live, live_crowd = (
        MotionDetector(AlarmConfig().processing),
        MotionDetector(AlarmConfig().processing),
        MotionDetector(crowd),
    )
    results: tuple[list[MotionResult], list[MotionResult], list[MotionResult]] = ([], [], [])
    for index, frame in enumerate(clip_iter(footage_file)):
        results[0].append(every.update(frame))
        if index % step == 0:
            results[1].append(live.update(frame))
            results[2].append(live_crowd.update(frame))
    return Runs(fps, *results)


def movement_seconds(results: list[MotionResult], fps: float) -> set[int]:
    """Seconds (from 0) with at least one in-range frame, frames spaced 1/fps apart."""
    return {int(i / fps) for i, result in enumerate(results) if result.in_range}


def test_the_file_is_what_the_tests_expect(runs: Runs) -> None:
    assert runs.fps == 50
    assert len(runs.every_frame) == 341
    assert len(runs.live_2fps) == 14


def test_the_scene_never_stands_still(runs: Runs) -> None:
    assert runs.every_frame[0].changed_pixels == 0
    assert min(r.changed_pixels for r in runs.every_frame[1:]) > 5000


def test_replayed_frame_by_frame_the_defaults_see_movement_seconds(runs: Runs) -> None:
    seconds = movement_seconds(runs.every_frame, fps=2)
    in_range = [r.changed_pixels for r in runs.every_frame if r.in_range]
    assert len(seconds) >= 10, sorted(seconds)
    assert all(9000 <= count <= 10000 for count in in_range), in_range


def test_live_at_2fps_the_defaults_take_the_crowd_for_a_global_change(runs: Runs) -> None:
    counts = [r.changed_pixels for r in runs.live_2fps[1:]]
    assert min(counts) > 5 * AlarmConfig().processing.pixel_threshold_hi, counts
    assert movement_seconds(runs.live_2fps, fps=2) == set()


def test_live_at_2fps_with_crowd_thresholds_the_alarm_goes_off(runs: Runs) -> None:
    config = apply_update(
        AlarmConfig(),
        {
            "processing": CROWD,
            "server": {"timezone": "UTC"},
            "alerting": {
                "start_time": "00:00",
                "end_time": "00:00",
                "alert_time_s": 5,
                "min_movement_s": 1,
            },
        },
    )
    machine = AlarmStateMachine(config, T0)
    steps = [machine.observe(T0 + i / 2, result) for i, result in enumerate(runs.live_2fps_crowd)]
    assert movement_seconds(runs.live_2fps_crowd, fps=2) == set(range(7))
    alarms = [T0 + i / 2 for i, step in enumerate(steps) if step.status.state is AlarmState.ALARM]
    assert alarms[0] == T0 + 5
    assert sum(len(step.alerts) for step in steps) == 1
