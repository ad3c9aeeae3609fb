"""The motion pipeline per processed frame (CONTRACT §2): count the pixels that changed.

grey → scale to 640 wide (aspect kept) → Gaussian blur → running average → absolute
difference → threshold → dilations → count. No I/O and no asyncio: the worker runs it in
its own thread or process behind a bounded queue.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt

from camrelay.workers.alarm.config import ProcessingSettings

PROCESS_WIDTH = 640
# OpenCV's default dilation element, spelled out.
_DILATION_KERNEL = np.ones((3, 3), np.uint8)

Frame = cv2.typing.MatLike


@dataclass(frozen=True)
class MotionResult:
    """What one frame showed: how many pixels changed and whether that counts as movement."""

    changed_pixels: int
    in_range: bool


class FrameDecodeError(ValueError):
    """Bytes that are not a decodable image."""


def decode_jpeg(data: bytes) -> Frame:
    """Decode JPEG (or any image OpenCV reads) bytes to a grey frame."""
    # Grey straight from the decoder: the pipeline's first step, and cheaper than colour.
    frame = cv2.imdecode(np.frombuffer(data, dtype=np.uint8), cv2.IMREAD_GRAYSCALE)
    if frame is None:
        raise FrameDecodeError(f"not a decodable image ({len(data)} bytes)")
    return frame


def to_grey(frame: Frame) -> Frame:
    """A single-channel view of a grey, BGR or BGRA frame."""
    if frame.ndim == 2:
        return frame
    if frame.ndim == 3 and frame.shape[2] == 1:
        return frame[:, :, 0]
    if frame.ndim == 3 and frame.shape[2] == 3:
        return cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)
    if frame.ndim == 3 and frame.shape[2] == 4:
        return cv2.cvtColor(frame, cv2.COLOR_BGRA2GRAY)
    raise ValueError(f"expected a grey, BGR or BGRA frame, got shape {frame.shape}")


def scale_to_width(frame: Frame, width: int = PROCESS_WIDTH) -> Frame:
    """Resize to the given width keeping the aspect ratio; unchanged when already there."""
    height, current = frame.shape[:2]
    if current == width:
        return frame
    new_height = max(1, round(height * width / current))
    # INTER_AREA averages when shrinking, which also suppresses sensor noise.
    interpolation = cv2.INTER_AREA if current > width else cv2.INTER_LINEAR
    return cv2.resize(frame, (width, new_height), interpolation=interpolation)


def in_movement_range(changed_pixels: int, settings: ProcessingSettings) -> bool:
    """Whether a count lies within [pixel_threshold_lo, pixel_threshold_hi] and is not zero."""
    # Zero changed pixels is never movement, even with the default lo of 0: the original
    # counted only frames with a non-zero count left after its band-pass filter.
    if changed_pixels == 0:
        return False
    return settings.pixel_threshold_lo <= changed_pixels <= settings.pixel_threshold_hi


class MotionDetector:
    """Counts changed pixels frame by frame against a running average of the scene."""

    def __init__(self, settings: ProcessingSettings) -> None:
        self._settings = settings
        self._average: npt.NDArray[np.float32] | None = None

    @property
    def settings(self) -> ProcessingSettings:
        """The processing settings in use."""
        return self._settings

    def reset(self) -> None:
        """Forget the scene; the next frame becomes the new average and counts zero."""
        self._average = None

    def update(self, frame: Frame) -> MotionResult:
        """Run one frame through the pipeline and return its count."""
        blurred = self._prepare(frame)
        if self._average is None or self._average.shape != blurred.shape:
            # First frame, or the camera changed resolution: start a new average.
            self._average = blurred.astype(np.float32)
        count = self._count_changes(blurred)
        return MotionResult(count, in_movement_range(count, self._settings))

    def _prepare(self, frame: Frame) -> Frame:
        """Grey, 640 wide, blurred."""
        small = scale_to_width(to_grey(frame))
        ksize = self._settings.gauss_ksize
        return cv2.GaussianBlur(small, (ksize, ksize), 0)

    def _count_changes(self, blurred: Frame) -> int:
        """Update the running average, then count pixels that differ from it enough."""
        assert self._average is not None
        settings = self._settings
        cv2.accumulateWeighted(blurred, self._average, settings.avg_weighting)
        delta = cv2.absdiff(self._average, blurred.astype(np.float32))
        _, changed = cv2.threshold(delta, settings.fixed_lvl_threshold, 255, cv2.THRESH_BINARY)
        if settings.dilation_iterations:
            changed = cv2.dilate(changed, _DILATION_KERNEL, iterations=settings.dilation_iterations)
        return int(cv2.countNonZero(changed))
