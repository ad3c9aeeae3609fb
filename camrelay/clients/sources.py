"""Where a camera's frames come from: a synthetic scene, a looping video file, or a webcam."""

from __future__ import annotations

import math
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

import cv2
import numpy as np


class FrameSource(Protocol):
    """A producer of BGR frames."""

    name: str

    def read(self) -> np.ndarray:
        """The next frame."""
        ...

    def close(self) -> None:
        """Release the device or file."""
        ...


class SyntheticSource:
    """A moving scene with a frame counter and the UTC time, so a viewer sees it is live."""

    def __init__(self, width: int = 640, height: int = 480) -> None:
        self.name = "synthetic"
        self.width, self.height = width, height
        self.count = 0
        ramp = np.linspace(40, 120, width, dtype=np.uint8)
        self._background = np.dstack([np.tile(ramp, (height, 1))] * 3)

    def read(self) -> np.ndarray:
        """Draw the next frame."""
        self.count += 1
        frame = self._background.copy()
        t = time.monotonic()
        w, h = self.width, self.height
        center = (int(w / 2 + w / 3 * math.cos(t)), int(h / 2 + h / 3 * math.sin(1.3 * t)))
        cv2.circle(frame, center, max(8, h // 10), (40, 180, 255), -1)
        x = int((t * 120) % (w + 80)) - 80
        cv2.rectangle(frame, (x, h - h // 4), (x + 80, h - h // 8), (200, 200, 60), -1)
        stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]
        cv2.putText(
            frame,
            f"camrelay {stamp} UTC  #{self.count}",
            (10, 30),
            cv2.FONT_HERSHEY_SIMPLEX,
            0.6,
            (255, 255, 255),
            2,
            cv2.LINE_AA,
        )
        return frame

    def close(self) -> None:
        """Nothing to release."""


class CaptureSource:
    """Frames from OpenCV's VideoCapture: a video file (looped) or a /dev/videoN camera."""

    def __init__(self, target: str | int, loop: bool, size: tuple[int, int] | None) -> None:
        self.name = str(target)
        self._capture = cv2.VideoCapture(target)
        if not self._capture.isOpened():
            raise ValueError(f"cannot open {target}")
        self._loop = loop
        self._size = size

    def read(self) -> np.ndarray:
        """The next frame, from the start again at the end of a file."""
        ok, frame = self._capture.read()
        if not ok and self._loop:
            self._capture.set(cv2.CAP_PROP_POS_FRAMES, 0)
            ok, frame = self._capture.read()
        if not ok:
            raise EOFError(f"no frame from {self.name}")
        if self._size and (frame.shape[1], frame.shape[0]) != self._size:
            frame = cv2.resize(frame, self._size, interpolation=cv2.INTER_AREA)
        return frame

    def close(self) -> None:
        """Release the capture."""
        self._capture.release()


def open_source(spec: str, size: tuple[int, int] | None) -> FrameSource:
    """'synthetic', a /dev/videoN device, or a video file path (which loops)."""
    if spec == "synthetic":
        return SyntheticSource(*(size or (640, 480)))
    if spec.startswith("/dev/video") and spec[10:].isdigit():
        return CaptureSource(int(spec[10:]), loop=False, size=size)
    if not Path(spec).is_file():
        raise ValueError(f"{spec}: not 'synthetic', a /dev/videoN device or a video file")
    return CaptureSource(spec, loop=True, size=size)


def encode_jpeg(frame: np.ndarray, quality: int = 80) -> bytes:
    """A frame as JPEG bytes."""
    ok, data = cv2.imencode(".jpg", frame, [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise ValueError("JPEG encoding failed")
    return data.tobytes()


def parse_size(text: str) -> tuple[int, int]:
    """'640x480' as (640, 480)."""
    width, sep, height = text.lower().partition("x")
    if (
        not sep
        or not width.isdigit()
        or not height.isdigit()
        or not 0 < int(width) <= 8192
        or not 0 < int(height) <= 8192
    ):
        raise ValueError(f"expected WxH such as 640x480, got {text!r}")
    return int(width), int(height)
