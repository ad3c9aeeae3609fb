"""The latest JPEG of a stream and a ring of the last seconds of them (snapshots, clips)."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass


@dataclass(frozen=True)
class StampedJpeg:
    """One received JPEG and when it arrived (Unix seconds)."""

    at: float
    jpeg: bytes


class RecentFrames:
    """Keeps the frames of the last `keep_s` seconds, at most `max_frames` of them."""

    def __init__(self, keep_s: float = 10.0, max_frames: int = 600) -> None:
        self.keep_s = keep_s
        self._frames: deque[StampedJpeg] = deque(maxlen=max_frames)

    def __len__(self) -> int:
        return len(self._frames)

    def add(self, jpeg: bytes, at: float) -> None:
        """Remember a frame received at `at`, forgetting those older than keep_s."""
        self._frames.append(StampedJpeg(at, jpeg))
        while self._frames and self._frames[0].at < at - self.keep_s:
            self._frames.popleft()

    @property
    def latest(self) -> StampedJpeg | None:
        """The newest frame, if any arrived."""
        return self._frames[-1] if self._frames else None

    def since(self, start: float, every_s: float = 0.0) -> list[StampedJpeg]:
        """Frames received at or after `start`, oldest first, at least every_s apart."""
        chosen: list[StampedJpeg] = []
        for frame in self._frames:
            if frame.at < start:
                continue
            if chosen and frame.at - chosen[-1].at < every_s:
                continue
            chosen.append(frame)
        return chosen
