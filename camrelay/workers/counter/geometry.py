"""Boxes, points and scored detections in frame pixel coordinates."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Point:
    """A point in pixels, x to the right, y down."""

    x: float
    y: float


@dataclass(frozen=True, slots=True)
class Box:
    """An axis-aligned box in pixels: (x0, y0) top left, (x1, y1) bottom right."""

    x0: float
    y0: float
    x1: float
    y1: float

    @property
    def width(self) -> float:
        """Width in pixels, never negative."""
        return max(0.0, self.x1 - self.x0)

    @property
    def height(self) -> float:
        """Height in pixels, never negative."""
        return max(0.0, self.y1 - self.y0)

    @property
    def area(self) -> float:
        """Area in square pixels."""
        return self.width * self.height

    @property
    def center(self) -> Point:
        """The centre point."""
        return Point((self.x0 + self.x1) / 2, (self.y0 + self.y1) / 2)

    def shifted(self, dx: float, dy: float) -> Box:
        """The same box moved by (dx, dy)."""
        return Box(self.x0 + dx, self.y0 + dy, self.x1 + dx, self.y1 + dy)

    def clipped(self, width: int, height: int) -> Box:
        """The part of the box inside a width x height frame."""
        return Box(
            min(max(self.x0, 0.0), width),
            min(max(self.y0, 0.0), height),
            min(max(self.x1, 0.0), width),
            min(max(self.y1, 0.0), height),
        )

    def scaled(self, factor: float) -> Box:
        """The box with every coordinate multiplied by factor (for a resized frame)."""
        return Box(self.x0 * factor, self.y0 * factor, self.x1 * factor, self.y1 * factor)


def iou(a: Box, b: Box) -> float:
    """Intersection over union of two boxes, 0.0 when either is empty."""
    inter = Box(max(a.x0, b.x0), max(a.y0, b.y0), min(a.x1, b.x1), min(a.y1, b.y1)).area
    union = a.area + b.area - inter
    return inter / union if union > 0 else 0.0


@dataclass(frozen=True, slots=True)
class Detection:
    """One person found in one frame, with the detector's confidence."""

    box: Box
    score: float
