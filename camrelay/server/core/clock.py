"""Wall-clock time behind a small protocol, so tests can move time by hand."""

from __future__ import annotations

import time
from typing import Protocol


class Clock(Protocol):
    """Source of the current time as Unix seconds."""

    def now(self) -> float:
        """Return the current time in seconds since the epoch."""
        ...


class SystemClock:
    """The real clock."""

    def now(self) -> float:
        """Return time.time()."""
        return time.time()


class ManualClock:
    """A clock that moves only when told to (tests)."""

    def __init__(self, start: float = 1_700_000_000.0) -> None:
        self.value = start

    def now(self) -> float:
        """Return the time set by the test."""
        return self.value

    def advance(self, seconds: float) -> None:
        """Move the clock forward."""
        self.value += seconds
