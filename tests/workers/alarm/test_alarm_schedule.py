"""The daily window: same-day, overnight, equal and adjacent times, in server.timezone."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from camrelay.workers.alarm.config import AlarmConfig, apply_update
from camrelay.workers.alarm.schedule import DailyWindow

AUCKLAND = "Pacific/Auckland"


def window(start: str, end: str, timezone: str = AUCKLAND, test: bool = False) -> DailyWindow:
    config = apply_update(
        AlarmConfig(),
        {
            "server": {"timezone": timezone},
            "alerting": {"start_time": start, "end_time": end},
            "flags": {"test": test},
        },
    )
    return DailyWindow.from_config(config)


def at(hhmm: str, timezone: str = AUCKLAND, day: int = 15, month: int = 1) -> float:
    """Unix time of hh:mm on a 2024 day, on that timezone's wall clock."""
    hour, minute = (int(part) for part in hhmm.split(":"))
    return datetime(2024, month, day, hour, minute, tzinfo=ZoneInfo(timezone)).timestamp()


@pytest.mark.parametrize(
    ("clock", "inside"),
    [
        ("07:59", False),
        ("08:00", True),
        ("12:30", True),
        ("16:59", True),
        ("17:00", False),
        ("23:30", False),
        ("00:00", False),
    ],
)
def test_same_day_window(clock: str, inside: bool) -> None:
    assert window("08:00", "17:00").contains(at(clock)) is inside


@pytest.mark.parametrize(
    ("clock", "inside"),
    [
        ("21:59", False),
        ("22:00", True),
        ("23:59", True),
        ("00:00", True),
        ("03:00", True),
        ("05:59", True),
        ("06:00", False),
        ("12:00", False),
    ],
)
def test_overnight_window(clock: str, inside: bool) -> None:
    assert window("22:00", "06:00").contains(at(clock)) is inside


@pytest.mark.parametrize(
    ("start", "end"),
    [("12:00", "12:00"), ("16:55", "16:54"), ("16:54", "16:55"), ("00:00", "23:59")],
)
def test_equal_or_adjacent_times_are_always_on(start: str, end: str) -> None:
    schedule = window(start, end)
    assert all(schedule.contains(at(f"{h:02d}:{m:02d}")) for h in range(24) for m in range(60))


def test_two_minutes_apart_is_a_real_window() -> None:
    schedule = window("16:54", "16:56")
    assert [schedule.contains(at(t)) for t in ("16:53", "16:54", "16:55", "16:56")] == [
        False,
        True,
        True,
        False,
    ]


def test_the_window_follows_the_configured_timezone() -> None:
    instant = at("09:00", "Europe/Berlin")  # 21:00 in Auckland (NZDT, UTC+13)
    assert window("08:00", "17:00", "Europe/Berlin").contains(instant)
    assert not window("08:00", "17:00", AUCKLAND).contains(instant)
    assert window("20:00", "22:00", AUCKLAND).contains(instant)


def test_the_window_keeps_to_the_wall_clock_across_daylight_saving() -> None:
    # Auckland leaves daylight saving on 7 April 2024: 08:00 local is 19:00 UTC the day
    # before in summer time, 20:00 UTC after.
    schedule = window("08:00", "09:00")
    assert schedule.contains(at("08:30", day=6, month=4))
    assert schedule.contains(at("08:30", day=8, month=4))
    assert not schedule.contains(at("07:30", day=8, month=4))


def test_test_mode_ignores_the_schedule() -> None:
    assert window("08:00", "09:00", test=True).contains(at("03:00"))
