"""The daily window in which the alarm is armed, on the wall clock of server.timezone."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from camrelay.workers.alarm.config import AlarmConfig, parse_hhmm

_MINUTES_PER_DAY = 24 * 60


@dataclass(frozen=True)
class DailyWindow:
    """start_time (inclusive) to end_time (exclusive), minute resolution, local time.

    start < end is a same-day window, start > end runs overnight, and equal or adjacent
    times (one minute apart either way) mean always on, as CONTRACT §2 says.
    """

    start_minute: int
    end_minute: int
    timezone: ZoneInfo
    always_on: bool = False

    @classmethod
    def from_config(cls, config: AlarmConfig) -> DailyWindow:
        """The window the settings describe; test mode is always on (the original's -t)."""
        start_h, start_m = parse_hhmm(config.alerting.start_time)
        end_h, end_m = parse_hhmm(config.alerting.end_time)
        return cls(
            start_minute=start_h * 60 + start_m,
            end_minute=end_h * 60 + end_m,
            timezone=ZoneInfo(config.server.timezone),
            always_on=config.flags.test,
        )

    def contains(self, now: float) -> bool:
        """Whether the Unix time now falls inside the window."""
        if self.always_on or self._covers_whole_day():
            return True
        local = datetime.fromtimestamp(now, self.timezone)
        minute = local.hour * 60 + local.minute
        if self.start_minute < self.end_minute:
            return self.start_minute <= minute < self.end_minute
        return minute >= self.start_minute or minute < self.end_minute

    def _covers_whole_day(self) -> bool:
        """Equal or adjacent start and end."""
        gap = (self.start_minute - self.end_minute) % _MINUTES_PER_DAY
        return gap in (0, 1, _MINUTES_PER_DAY - 1)
