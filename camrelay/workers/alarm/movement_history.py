"""Which seconds had movement, and whether recent movement was sustained (CONTRACT §2)."""

from __future__ import annotations

import math
from collections import deque


def second_of(now: float) -> int:
    """The whole Unix second that contains now."""
    return math.floor(now)


class MovementHistory:
    """Remembers movement seconds long enough to judge the last alert_time_s seconds.

    A second is judged once it has ended, so a second still in progress never breaks a
    run. Seconds with no frame at all (stream gap, before start) count as no movement.
    """

    def __init__(self, alert_time_s: int, min_movement_s: int) -> None:
        self._alert_time_s = alert_time_s
        self._min_movement_s = min_movement_s
        self._seconds: deque[int] = deque()

    def resize(self, alert_time_s: int, min_movement_s: int) -> None:
        """Apply new alerting settings, keeping what has been seen."""
        self._alert_time_s = alert_time_s
        self._min_movement_s = min_movement_s

    def clear(self) -> None:
        """Forget every movement second (the alarm was switched off)."""
        self._seconds.clear()

    def record(self, now: float) -> None:
        """Mark the second containing now as a movement second."""
        second = second_of(now)
        # Seconds arrive in order; a late frame from an earlier second is still counted.
        if not self._seconds or second > self._seconds[-1]:
            self._seconds.append(second)
        elif second not in self._seconds:
            self._seconds.append(second)
            self._seconds = deque(sorted(self._seconds))

    def sustained(self, now: float) -> bool:
        """Every min_movement_s window of the last alert_time_s ended seconds had movement.

        Equivalently: within those seconds there is no run of min_movement_s seconds
        without movement, counting the run before the first and after the last movement.
        """
        last = second_of(now) - 1
        first = last - self._alert_time_s + 1
        self._forget_before(first)
        previous = first - 1
        for second in self._seconds:
            if second > last:
                break
            if second - previous - 1 >= self._min_movement_s:
                return False
            previous = second
        return last - previous < self._min_movement_s

    def _forget_before(self, first: int) -> None:
        """Drop seconds older than the window; they can never matter again."""
        while self._seconds and self._seconds[0] < first:
            self._seconds.popleft()
