"""Counts tracks crossing a counting line, once per track, with a dead band against loitering.

A track's side is only known while its centroid is outside the dead band around the line.
The first side a track is seen on is its origin; the first time a confirmed track is seen on
the other side, it has crossed, in the direction from origin to that side. Someone standing
on the line stays inside the band (no side) or jitters back to the origin side (no change),
and a track that has crossed is never counted again, whatever it does next.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from camrelay.workers.counter.config import InDirection, LineSettings
from camrelay.workers.counter.geometry import Box, Point
from camrelay.workers.counter.tracker import TrackView

# Pixels from the frame's border within which a box counts as cut by it.
EDGE_PX = 3.0


class Direction(StrEnum):
    """The two ways across the line."""

    IN = "in"
    OUT = "out"


@dataclass(frozen=True, slots=True)
class Crossing:
    """One track crossed the line."""

    track_id: int
    direction: Direction


_POSITIVE_IS_IN = {
    InDirection.LEFT_TO_RIGHT: True,
    InDirection.TOP_TO_BOTTOM: True,
    InDirection.RIGHT_TO_LEFT: False,
    InDirection.BOTTOM_TO_TOP: False,
}


@dataclass(frozen=True, slots=True)
class CountingLine:
    """The line in pixels of one frame size; positive side is right (or below)."""

    vertical: bool
    position: float
    margin: float
    positive_is_in: bool
    width: int
    height: int

    @classmethod
    def for_frame(cls, settings: LineSettings, width: int, height: int) -> CountingLine:
        """Places the line of the settings in a width x height frame."""
        vertical = settings.orientation == "vertical"
        span = width if vertical else height
        return cls(
            vertical,
            settings.position * span,
            settings.margin * span,
            _POSITIVE_IS_IN[settings.in_direction],
            width,
            height,
        )

    def side(self, point: Point) -> int:
        """+1 on the positive side, -1 on the negative side, 0 inside the dead band."""
        offset = (point.x if self.vertical else point.y) - self.position
        if offset > self.margin:
            return 1
        if offset < -self.margin:
            return -1
        return 0

    def at_edge(self, box: Box) -> bool:
        """Whether the box touches the frame's border (the person is only partly in view)."""
        edge = EDGE_PX
        return (
            box.x0 <= edge
            or box.y0 <= edge
            or box.x1 >= self.width - edge
            or box.y1 >= self.height - edge
        )

    def endpoints(self) -> tuple[Point, Point]:
        """The two ends of the line at the frame's edges, for drawing."""
        if self.vertical:
            return Point(self.position, 0), Point(self.position, self.height)
        return Point(0, self.position), Point(self.width, self.position)


class LineCounter:
    """Feeds on each frame's tracks and reports the crossings that frame completed."""

    def __init__(self, line: CountingLine) -> None:
        self.line = line
        self._origin: dict[int, int] = {}
        self._counted: set[int] = set()

    def update(self, tracks: Sequence[TrackView]) -> list[Crossing]:
        """Crossings completed in this frame; forgets tracks the tracker has dropped."""
        live = {t.track_id for t in tracks}
        self._origin = {k: v for k, v in self._origin.items() if k in live}
        self._counted &= live
        crossings = []
        for track in tracks:
            crossing = self._check(track)
            if crossing is not None:
                crossings.append(crossing)
        return crossings

    def _check(self, track: TrackView) -> Crossing | None:
        """Looks at one observed track's side against its origin side."""
        if track.missed or track.track_id in self._counted:
            return None
        side = self.line.side(track.center)
        if side == 0:
            return None
        if track.track_id not in self._origin and self.line.at_edge(track.box):
            # Someone coming into view: a box cut by the frame's edge has its centre in the
            # wrong place, so it gives no origin (regression: a false IN at the bottom edge).
            return None
        origin = self._origin.setdefault(track.track_id, side)
        if side == origin or not track.confirmed:
            return None
        self._counted.add(track.track_id)
        positive = side > 0
        direction = Direction.IN if positive == self.line.positive_is_in else Direction.OUT
        return Crossing(track.track_id, direction)
