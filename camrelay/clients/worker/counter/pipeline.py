"""One analysed frame: people detected, tracked, checked against the line, faces cropped.

Synchronous and single-threaded: the worker runs it in its vision thread, the benchmark
and tests call it directly. The counting line is placed for the first frame's size and
placed again (with a new line counter) if the stream's frame size changes.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from .config import CounterSettings
from .detector import Detector, make_detector
from .faces import FaceFinder, FacePerTrack, crop
from .geometry import Box, Detection
from .line import CountingLine, Crossing, LineCounter
from .tracker import Tracker, TrackView


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

    def __init__(self, settings: CounterSettings, detector: Detector | None = None) -> None:
        self._settings = settings
        self._detector = detector or make_detector(settings.detector)
        self._tracker = Tracker(settings.tracker)
        self._faces = FaceFinder(settings.faces)
        self._face_per_track = FacePerTrack()
        self._counter: LineCounter | None = None

    def line_for(self, width: int, height: int) -> CountingLine:
        """The counting line for this frame size, placing it anew when the size changed."""
        counter = self._counter
        if counter is None or (counter.line.width, counter.line.height) != (width, height):
            line = CountingLine.for_frame(self._settings.line, width, height)
            counter = self._counter = LineCounter(line)
        return counter.line

    def process(self, frame: np.ndarray) -> FrameResult:
        """Detect, track, count and look for faces of tracks that have none yet."""
        started = time.perf_counter()
        line = self.line_for(frame.shape[1], frame.shape[0])
        assert self._counter is not None
        detections = self._detect(frame, line)
        detect_s = time.perf_counter() - started
        tracks = self._tracker.update(detections)
        crossings = self._counter.update(tracks)
        faces = self._new_faces(frame, tracks)
        return FrameResult(tracks, crossings, faces, line, detect_s, time.perf_counter() - started)

    def _detect(self, frame: np.ndarray, line: CountingLine) -> list[Detection]:
        """People in the whole frame, or only in the band around the line (detector.line_band)."""
        band = self._settings.detector.line_band
        if band <= 0:
            return self._detector.detect(frame)
        region = line_band(line, band)
        x0, y0, x1, y1 = int(region.x0), int(region.y0), int(region.x1), int(region.y1)
        found = self._detector.detect(frame[y0:y1, x0:x1])
        return [Detection(d.box.shifted(x0, y0), d.score) for d in found]

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
