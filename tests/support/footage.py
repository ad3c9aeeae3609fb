"""Where the tests find real footage, and a clip of their own for tests that need any video.

Real footage (the pedestrian clip of ../shared/data) is looked up in one place: the
CAMRELAY_TEST_FOOTAGE variable, by default `<repo>/../shared/data/pedestrians-1280x720.avi`.
When it is absent the tests that need it skip with one reason, except on CI (CI=true), where
a missing clip is a failure: a CI run that silently skipped them would prove nothing.
"""

from __future__ import annotations

import os
from pathlib import Path

import cv2
import numpy as np
import pytest

ENV = "CAMRELAY_TEST_FOOTAGE"
REPO = Path(__file__).resolve().parents[2]
DEFAULT = REPO.parent / "shared" / "data" / "pedestrians-1280x720.avi"
# The modules that run OpenCV on the real clip for up to a minute a test, all CPU: one unit of
# work under `pytest -n N --dist loadgroup`, so that they take at most one core at a time.
REAL_CLIP = pytest.mark.xdist_group("real-clip")


def footage_path() -> Path:
    """The configured clip's path, whether or not it exists (bench uses it too)."""
    return Path(os.environ.get(ENV) or DEFAULT)


def real_footage() -> Path:
    """The clip's path; skips the test when it is missing (fails on CI)."""
    path = footage_path()
    if path.is_file():
        return path
    reason = (
        f"real footage not found at {path}: put shared/data beside the repository "
        f"or set {ENV}=/path/to/pedestrians-1280x720.avi"
    )
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(reason, pytrace=False)
    pytest.skip(reason)


def write_video(path: Path, frames: int = 60, size: tuple[int, int] = (320, 240)) -> Path:
    """A small MJPEG AVI with a moving square: any video a test can play as a camera."""
    width, height = size
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 25.0, size)
    assert writer.isOpened(), f"OpenCV cannot write {path}"
    for n in range(frames):
        image = np.full((height, width, 3), 40, np.uint8)
        x = n * (width - 40) // max(frames - 1, 1)
        image[height // 2 - 20 : height // 2 + 20, x : x + 40] = (0, 200, 255)
        writer.write(image)
    writer.release()
    return path
