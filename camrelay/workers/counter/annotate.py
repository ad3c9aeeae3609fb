"""Draws the counting line, track boxes, trails and counters on a frame; returns JPEG bytes."""

from __future__ import annotations

from collections.abc import Iterable

import cv2
import numpy as np

from camrelay.workers.counter.daily import CounterStats
from camrelay.workers.counter.line import CountingLine
from camrelay.workers.counter.tracker import TrackView

_LINE = (0, 0, 255)
_BOX = (0, 200, 0)
_TENTATIVE = (0, 200, 200)
_TRAIL = (255, 128, 0)
_TEXT = (255, 255, 255)


def draw(
    frame: np.ndarray,
    line: CountingLine,
    tracks: Iterable[TrackView],
    stats: CounterStats,
) -> np.ndarray:
    """A colour copy of the frame with everything drawn on it."""
    canvas = cv2.cvtColor(frame, cv2.COLOR_GRAY2BGR) if frame.ndim == 2 else frame.copy()
    a, b = line.endpoints()
    cv2.line(canvas, (int(a.x), int(a.y)), (int(b.x), int(b.y)), _LINE, 2)
    for track in tracks:
        if not track.missed:
            _draw_track(canvas, track)
    _draw_counters(canvas, stats)
    return canvas


def _draw_track(canvas: np.ndarray, track: TrackView) -> None:
    """One track's box, id and trail."""
    box = track.box
    colour = _BOX if track.confirmed else _TENTATIVE
    cv2.rectangle(canvas, (int(box.x0), int(box.y0)), (int(box.x1), int(box.y1)), colour, 2)
    cv2.putText(
        canvas,
        str(track.track_id),
        (int(box.x0), int(box.y0) - 4),
        cv2.FONT_HERSHEY_SIMPLEX,
        0.5,
        colour,
        1,
        cv2.LINE_AA,
    )
    if len(track.trail) > 1:
        points = np.array([[p.x, p.y] for p in track.trail], dtype=np.int32)
        cv2.polylines(canvas, [points], False, _TRAIL, 2)


def _draw_counters(canvas: np.ndarray, stats: CounterStats) -> None:
    """The counters in a dark band at the top left."""
    lines = [f"IN {stats.count_in}  OUT {stats.count_out}  faces {stats.face_count}"]
    event = f"event ON ({stats.current_event_count_in} in)" if stats.event_active else "no event"
    lines.append(f"events today {stats.daily_event_count}  {event}")
    cv2.rectangle(canvas, (0, 0), (440, 12 + 26 * len(lines)), (0, 0, 0), -1)
    for i, text in enumerate(lines):
        cv2.putText(
            canvas, text, (8, 28 + 26 * i), cv2.FONT_HERSHEY_SIMPLEX, 0.6, _TEXT, 1, cv2.LINE_AA
        )


def encode_jpeg(image: np.ndarray, quality: int) -> bytes:
    """JPEG bytes of an image at the given quality (1-100)."""
    ok, encoded = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise ValueError("the frame could not be encoded as JPEG")
    return encoded.tobytes()


def annotated_jpeg(
    frame: np.ndarray,
    line: CountingLine,
    tracks: Iterable[TrackView],
    stats: CounterStats,
    quality: int,
) -> bytes:
    """The `frame` message's JPEG: draw, then encode."""
    return encode_jpeg(draw(frame, line, tracks, stats), quality)
