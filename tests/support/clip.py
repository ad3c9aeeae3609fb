"""The frames of a video file, as the tests and the benches that run on real footage read it.
Only OpenCV and numpy: bench/quantize_counter.py imports it from the NNCF tools venv too."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np


def clip_iter(
    path: Path, size: tuple[int, int] | None = None, step: int = 1
) -> Iterator[np.ndarray]:
    """Every `step`-th frame of the file (the first included), BGR, each resized to `size`
    (width, height) when given; read as it is iterated, so the whole clip is never in memory.
    A file that does not open yields nothing."""
    capture = cv2.VideoCapture(str(path))
    try:
        index = 0
        while True:
            ok, frame = capture.read()
            if not ok:
                return
            if index % step == 0:
                yield frame if size is None else cv2.resize(frame, size)
            index += 1
    finally:
        capture.release()


def clip_frames(path: Path, size: tuple[int, int] | None = None) -> list[np.ndarray]:
    """The file's frames in order, as clip_iter() reads them."""
    return list(clip_iter(path, size))
