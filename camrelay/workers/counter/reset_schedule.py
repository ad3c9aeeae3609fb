"""When the daily reset falls: the next local wall-clock time in a zoneinfo zone, DST-safe.

A reset time that a spring-forward gap skips happens when the clock jumps past it (zoneinfo's
fold=0 reading); one that a fall-back repeats happens at its first occurrence.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo


def reset_instant(day: date, at: time, zone: ZoneInfo) -> datetime:
    """The UTC instant of wall time `at` on local date `day`."""
    return datetime.combine(day, at, tzinfo=zone).astimezone(UTC)


def next_reset_after(instant: datetime, at: time, zone: ZoneInfo) -> datetime:
    """The first reset instant strictly after `instant` (an aware datetime), in UTC."""
    local_day = instant.astimezone(zone).date()
    for days in range(-1, 3):
        candidate = reset_instant(local_day + timedelta(days=days), at, zone)
        if candidate > instant:
            return candidate
    raise AssertionError("a daily time always recurs within two days")


def period_day(period_start: datetime, zone: ZoneInfo) -> date:
    """The local date a counting period is reported under: the date it began."""
    return period_start.astimezone(zone).date()
