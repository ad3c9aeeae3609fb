"""Which tiles of a tiled detector each analysed frame goes through.

Counting only happens at the line, so the tiles near it are searched on every frame; each
other tile once every full_every frames, their turns spread evenly so that no frame costs
much more than another (640x480, 3x2 tiles, full_every 8: 2 or 3 tiles a frame instead of
6). Tracks in a tile that was not searched coast on their velocity (tracker.py).
Measured and not used: gating tiles by motion (frame difference at 160x120): on the sample
clip people walk everywhere, every tile has moving pixels on every frame, nothing is saved.
Measured again for issue 14 (640x480, difference > 25 between frames 0.1 s apart): 3x2 tiles
move on 100 % of frames, 4x3 on 98 %, 8x6 (80 px cells) on 81 %; the moving pixels grown by
16 px cover 43 % of the frame and their bounding boxes 72 %: too little to skip for the cost
of a search per region, so every tile (or the whole frame) is searched on every frame.
"""

from __future__ import annotations

from collections.abc import Sequence

from camrelay.workers.counter.geometry import Box


def tiles(width: int, height: int, columns: int, rows: int, overlap: float) -> list[Box]:
    """A columns x rows grid of boxes covering the frame, neighbours overlapping."""
    tw = min(width, round(width / columns * (1 + overlap)))
    th = min(height, round(height / rows * (1 + overlap)))
    xs = [round(c * (width - tw) / max(1, columns - 1)) for c in range(columns)]
    ys = [round(r * (height - th) / max(1, rows - 1)) for r in range(rows)]
    return [Box(x, y, x + tw, y + th) for y in ys for x in xs]


def overlaps(a: Box, b: Box) -> bool:
    """Whether two boxes share some area."""
    return a.x0 < b.x1 and b.x0 < a.x1 and a.y0 < b.y1 and b.y0 < a.y1


class TilePlan:
    """Chooses the tiles of each frame: those near the line always, the others in turn."""

    def __init__(self, full_every: int) -> None:
        self._full_every = full_every
        self._frame = 0

    def choose(self, grid: Sequence[Box], near: Box) -> list[Box]:
        """The tiles of grid to search in this frame, in grid order."""
        frame, every = self._frame, self._full_every
        self._frame += 1
        if every <= 1:
            return list(grid)
        others = [t for t in grid if not overlaps(t, near)]
        turns = {t: k * every // max(1, len(others)) for k, t in enumerate(others)}
        return [t for t in grid if t not in turns or (frame - turns[t]) % every == 0]
