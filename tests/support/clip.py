"""Every frame of a video file, as the tests and the benches that run on real footage read it.
Only OpenCV and numpy: bench/quantize_counter.py imports it from the NNCF tools venv too."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np


def clip_frames(path: Path, size: tuple[int, int] | None = None) -> list[np.ndarray]:
    """The file's frames in order, BGR, each resized to `size` (width, height) when given."""
    capture = cv2.VideoCapture(str(path))
    frames = []
    try:
        while True:
            ok, frame = capture.read()
            if not ok:
                return frames
            frames.append(frame if size is None else cv2.resize(frame, size))
    finally:
        capture.release()
