"""A warning that a peer can trigger at will, logged at most once per interval."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass


@dataclass
class ThrottledLog:
    """One line per `interval_s` at most; the next line says how many were left out."""

    logger: logging.Logger
    interval_s: float = 10.0
    _next_at: float = 0.0
    _suppressed: int = 0

    def warning(self, message: str, *args: object) -> None:
        now = time.monotonic()
        if now < self._next_at:
            self._suppressed += 1
            return
        if self._suppressed:
            message += f" (and {self._suppressed} more like it since the last such line)"
        self.logger.warning(message, *args)
        self._next_at, self._suppressed = now + self.interval_s, 0
