"""Keeps person identities across frames by greedy IoU-then-centroid matching.

Each track predicts where its box goes next from a smoothed velocity, so a person who is
missed for a few frames (occlusion, a weak detection) is found again under the same id.
Greedy matching in order of cost is deterministic and, with people far apart relative to
their motion per frame, gives the same pairs as an optimal assignment at a fraction of the code.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass

from .config import TrackerSettings
from .geometry import Box, Detection, Point, iou


@dataclass(frozen=True, slots=True)
class TrackView:
    """What one track looks like after a frame: id, box, trail of centroids, status."""

    track_id: int
    box: Box
    trail: tuple[Point, ...]
    hits: int
    missed: int
    confirmed: bool

    @property
    def center(self) -> Point:
        """The centre of the current box."""
        return self.box.center


class _Track:
    """Mutable per-track state; only the tracker touches it."""

    def __init__(self, track_id: int, detection: Detection, trail_length: int) -> None:
        self.track_id = track_id
        self.box = detection.box
        self.vx = 0.0
        self.vy = 0.0
        self.hits = 1
        self.missed = 0
        self.trail: deque[Point] = deque([detection.box.center], maxlen=trail_length)

    def predicted(self) -> Box:
        """Where the box should be this frame if the person kept walking."""
        steps = self.missed + 1
        return self.box.shifted(self.vx * steps, self.vy * steps)

    def observe(self, box: Box, smoothing: float) -> None:
        """Takes a matched detection's box and updates the velocity estimate."""
        steps = self.missed + 1
        old, new = self.box.center, box.center
        self.vx += smoothing * ((new.x - old.x) / steps - self.vx)
        self.vy += smoothing * ((new.y - old.y) / steps - self.vy)
        self.box = box
        self.hits += 1
        self.missed = 0
        self.trail.append(new)

    def view(self, min_hits: int) -> TrackView:
        """A frozen snapshot for the rest of the pipeline."""
        return TrackView(
            self.track_id,
            self.box,
            tuple(self.trail),
            self.hits,
            self.missed,
            self.hits >= min_hits,
        )


class Tracker:
    """Turns per-frame detections into tracks with stable ids."""

    def __init__(self, settings: TrackerSettings | None = None) -> None:
        self._settings = settings or TrackerSettings()
        self._tracks: list[_Track] = []
        self._next_id = 1

    def update(self, detections: Sequence[Detection]) -> list[TrackView]:
        """Matches one frame's detections to tracks; returns every live track, oldest first."""
        pairs = self._match(detections)
        matched_tracks = {t for t, _ in pairs}
        matched_dets = {d for _, d in pairs}
        for t, d in pairs:
            self._tracks[t].observe(detections[d].box, self._settings.velocity_smoothing)
        for t, track in enumerate(self._tracks):
            if t not in matched_tracks:
                track.missed += 1
        self._tracks = [t for t in self._tracks if t.missed <= self._settings.max_missed]
        for d, det in enumerate(detections):
            if d not in matched_dets:
                self._tracks.append(_Track(self._next_id, det, self._settings.trail_length))
                self._next_id += 1
        return [t.view(self._settings.min_hits) for t in self._tracks]

    def _match(self, detections: Sequence[Detection]) -> list[tuple[int, int]]:
        """Greedy assignment over candidate pairs sorted by cost."""
        candidates = []
        for t, track in enumerate(self._tracks):
            predicted = track.predicted()
            for d, det in enumerate(detections):
                cost = self._cost(predicted, det.box)
                if cost is not None:
                    candidates.append((cost, track.track_id, d, t))
        candidates.sort()
        used_t: set[int] = set()
        used_d: set[int] = set()
        pairs = []
        for _, _, d, t in candidates:
            if t not in used_t and d not in used_d:
                used_t.add(t)
                used_d.add(d)
                pairs.append((t, d))
        return pairs

    def _cost(self, predicted: Box, box: Box) -> float | None:
        """Below 1 for overlapping boxes (1 - IoU), 1 to 2 for near centroids, else None."""
        overlap = iou(predicted, box)
        if overlap >= self._settings.min_iou:
            return 1.0 - overlap
        a, b = predicted.center, box.center
        gate = self._settings.max_distance * max(predicted.height, box.height, 1.0)
        distance = ((a.x - b.x) ** 2 + (a.y - b.y) ** 2) ** 0.5
        return 1.0 + distance / gate if distance <= gate else None
