"""The live progress line of `camrelay push` and `camrelay pull`: fps, kB/s, drops."""

from __future__ import annotations

import asyncio
import sys
import time
from dataclasses import dataclass, field
from typing import TextIO


@dataclass
class Throughput:
    """Frames and bytes moved, with drops and reconnects."""

    frames: int = 0
    bytes: int = 0
    drops: int = 0
    reconnects: int = 0

    def add(self, size: int) -> None:
        """Count one frame of `size` bytes."""
        self.frames += 1
        self.bytes += size


@dataclass
class ProgressLine:
    """Prints rates every `every` seconds: in place on a terminal, as lines otherwise."""

    stats: Throughput
    out: TextIO = sys.stderr
    every: float = 1.0
    _last: tuple[float, int, int] = field(default=(0.0, 0, 0))

    def start(self) -> None:
        """Remember where the rates count from."""
        self._last = (time.monotonic(), self.stats.frames, self.stats.bytes)

    def text(self) -> str:
        """The line for the interval since the last call."""
        now = time.monotonic()
        then, frames, size = self._last
        span = max(now - then, 1e-6)
        self._last = (now, self.stats.frames, self.stats.bytes)
        return (
            f"{(self.stats.frames - frames) / span:5.1f} fps  "
            f"{(self.stats.bytes - size) / span / 1000:8.1f} kB/s  "
            f"frames {self.stats.frames}  drops {self.stats.drops}  "
            f"reconnects {self.stats.reconnects}"
        )

    def show(self) -> None:
        """Print the line."""
        tty = self.out.isatty()
        self.out.write(("\r" if tty else "") + self.text() + ("" if tty else "\n"))
        self.out.flush()

    def finish(self) -> None:
        """The line once more at the end of a run (so a run shorter than `every` has one too),
        then a new line."""
        self.show()
        self.out.write("\n")
        self.out.flush()

    async def run(self) -> None:
        """Show the line every `every` seconds until cancelled."""
        self.start()
        while True:
            await asyncio.sleep(self.every)
            self.show()
