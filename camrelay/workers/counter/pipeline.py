"""One analysed frame: people detected, tracked, checked against the line, faces cropped.

Synchronous and single-threaded: the worker runs it in its vision thread, the benchmark
and tests call it directly. The counting line is placed for the first frame's size and
placed again (with a new line counter) if the stream's frame size changes. Each frame is
stamped (by default with the monotonic clock when it is processed: live frames are analysed
at uneven intervals, and the tracker predicts by time); a clip's own timeline can be given.
With detector.full_every = n > 1 only every n-th frame is searched whole, the others only
in the tiles near the line (where counting happens), which costs a fraction of the time.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from camrelay.workers.counter.config import CounterSettings
from camrelay.workers.counter.detector import Detector, TiledDetector, make_detector
from camrelay.workers.counter.face_crops import FaceCropFinder, FaceCropPerTrack, crop
from camrelay.workers.counter.geometry import Box, Detection
from camrelay.workers.counter.line import CountingLine, Crossing, LineCounter
from camrelay.workers.counter.tile_plan import TilePlan
from camrelay.workers.counter.tracker import Tracker, TrackView


@dataclass(frozen=True, slots=True)
class FaceCrop:
    """A face cut from a frame, from the track it belongs to."""

    track_id: int
    image: np.ndarray


@dataclass(frozen=True, slots=True)
class FrameResult:
    """What one frame gave: live tracks, completed crossings, new faces, time spent."""

    tracks: list[TrackView]
    crossings: list[Crossing]
    faces: list[FaceCrop]
    line: CountingLine
    detect_s: float
    total_s: float


class CountingPipeline:
    """Detector, tracker, line counter and face finder over a stream of frames."""

    def __init__(
        self,
        settings: CounterSettings,
        detector: Detector | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._settings = settings
        self._detector = detector or make_detector(settings.detector)
        self._clock = clock
        self._plan = TilePlan(settings.detector.full_every)
        self._tracker = Tracker(settings.tracker)
        self._faces = FaceCropFinder(settings.faces)
        self._face_per_track = FaceCropPerTrack()
        self._counter: LineCounter | None = None

    def line_for(self, width: int, height: int) -> CountingLine:
        """The counting line for this frame size, placing it anew when the size changed."""
        counter = self._counter
        if counter is None or (counter.line.width, counter.line.height) != (width, height):
            line = CountingLine.for_frame(self._settings.line, width, height)
            counter = self._counter = LineCounter(line)
        return counter.line

    def process(self, frame: np.ndarray, at: float | None = None) -> FrameResult:
        """Detect, track, count and look for faces of tracks that have none yet; `at` is
        when the frame was taken, in seconds (default: the pipeline's clock now)."""
        started = time.perf_counter()
        now = self._clock() if at is None else at
        line = self.line_for(frame.shape[1], frame.shape[0])
        assert self._counter is not None
        detections, skipped = self._detect(frame, line)
        detect_s = time.perf_counter() - started
        tracks = self._tracker.update(detections, now, skipped)
        crossings = self._counter.update(tracks)
        faces = self._new_faces(frame, tracks)
        return FrameResult(tracks, crossings, faces, line, detect_s, time.perf_counter() - started)

    def _detect(self, frame: np.ndarray, line: CountingLine) -> tuple[list[Detection], list[Box]]:
        """People in the whole frame, in the band around the line (detector.line_band), or
        on most frames in the tiles near it (detector.full_every); and the parts of the
        frame not searched this time."""
        s = self._settings.detector
        if s.line_band > 0:
            region = line_band(line, s.line_band)
            x0, y0, x1, y1 = int(region.x0), int(region.y0), int(region.x1), int(region.y1)
            found = self._detector.detect(frame[y0:y1, x0:x1])
            return [Detection(d.box.shifted(x0, y0), d.score) for d in found], []
        detector = self._detector
        if s.full_every <= 1 or not isinstance(detector, TiledDetector):
            return detector.detect(frame), []
        grid = detector.grid(frame.shape[1], frame.shape[0])
        chosen = self._plan.choose(grid, line_band(line, s.line_reach))
        return detector.detect_tiles(frame, chosen), [t for t in grid if t not in chosen]

    def _new_faces(self, frame: np.ndarray, tracks: list[TrackView]) -> list[FaceCrop]:
        """One face per confirmed, currently seen track that has not given one yet."""
        wanted = {
            t.box: t.track_id
            for t in tracks
            if t.confirmed and not t.missed and self._face_per_track.wants(t.track_id)
        }
        if not wanted:
            return []
        live = [t.track_id for t in tracks]
        found = []
        for person, face in self._faces.find(frame, wanted):
            track_id = wanted[person]
            self._face_per_track.mark(track_id, live)
            found.append(FaceCrop(track_id, crop(frame, face)))
        return found


def line_band(line: CountingLine, band: float) -> Box:
    """The part of the frame within `band` of its width (or height) either side of the line."""
    if line.vertical:
        half = band * line.width
        return Box(
            max(0.0, line.position - half),
            0.0,
            min(float(line.width), line.position + half),
            float(line.height),
        )
    half = band * line.height
    return Box(
        0.0,
        max(0.0, line.position - half),
        float(line.width),
        min(float(line.height), line.position + half),
    )
