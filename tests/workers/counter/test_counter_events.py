"""High-traffic events and the daily reset, driven by a fake clock."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from camrelay.workers.counter.config import CounterSettings, EventSettings, ResetSettings
from camrelay.workers.counter.daily import CounterStats, DailyCounter, DailyReport
from camrelay.workers.counter.events import EventChange, EventStatus, TrafficEvents
from camrelay.workers.counter.line import Crossing, Direction
from camrelay.workers.counter.reset_schedule import next_reset_after

T0 = datetime(2024, 5, 10, 8, 0, tzinfo=UTC)
SETTINGS = EventSettings(threshold_in=3, window_s=3600, quiet_hours=2)
IN = Crossing(1, Direction.IN)
OUT = Crossing(2, Direction.OUT)


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def test_event_starts_above_threshold_within_window() -> None:
    events = TrafficEvents(SETTINGS)
    assert [events.record_in(at(m)) for m in (0, 10, 20)] == [[], [], []]
    assert events.record_in(at(30)) == [EventChange(EventStatus.STARTED, at(30), None, 1)]
    assert events.active and events.current_count_in == 1
    events.record_in(at(31))
    assert events.current_count_in == 2


def test_no_event_when_ins_are_spread_beyond_the_window() -> None:
    events = TrafficEvents(SETTINGS)
    for m in (0, 25, 50, 75, 100, 125):
        assert events.record_in(at(m)) == []
    assert not events.active


def test_event_ends_after_quiet_hours_at_the_exact_instant() -> None:
    events = TrafficEvents(SETTINGS)
    for m in (0, 10, 20, 30):
        events.record_in(at(m))
    # the 0-minute IN leaves the window at 60: 3 left, not above N, so quiet from 60
    assert events.tick(at(60 + 119)) == []
    assert events.tick(at(300)) == [EventChange(EventStatus.ENDED, at(30), at(180), 1)]
    assert not events.active and events.current_count_in == 0


def test_high_traffic_again_restarts_the_quiet_clock() -> None:
    events = TrafficEvents(SETTINGS)
    for m in (0, 10, 20, 30):
        events.record_in(at(m))
    for m in (100, 110, 120, 130):  # 4 INs within an hour: high again, not quiet any more
        assert events.record_in(at(m)) == []
    assert events.current_count_in == 5
    assert events.tick(at(189)) == []  # would have ended at 180 without the second burst
    # 100 leaves at 160 → quiet from 160; ends at 160 + 120
    assert events.tick(at(400)) == [EventChange(EventStatus.ENDED, at(30), at(280), 5)]


def test_an_in_after_a_missed_end_first_ends_then_may_start_again() -> None:
    events = TrafficEvents(EventSettings(threshold_in=0, window_s=60, quiet_hours=1))
    assert events.record_in(at(0)) == [EventChange(EventStatus.STARTED, at(0), None, 1)]
    assert events.record_in(at(500)) == [
        EventChange(EventStatus.ENDED, at(0), at(61), 1),
        EventChange(EventStatus.STARTED, at(500), None, 1),
    ]


def settings(zone: str = "Europe/Berlin", reset: time = time(0, 0)) -> CounterSettings:
    return CounterSettings(events=SETTINGS, reset=ResetSettings(at=reset, timezone=zone))


def test_next_reset_in_local_time() -> None:
    berlin = ZoneInfo("Europe/Berlin")
    # 2024-05-10 08:00 UTC is 10:00 in Berlin (UTC+2); midnight Berlin is 22:00 UTC
    assert next_reset_after(T0, time(0, 0), berlin) == datetime(2024, 5, 10, 22, 0, tzinfo=UTC)
    assert next_reset_after(T0, time(9, 59), berlin) == datetime(2024, 5, 11, 7, 59, tzinfo=UTC)
    exactly = datetime(2024, 5, 10, 22, 0, tzinfo=UTC)
    assert next_reset_after(exactly, time(0, 0), berlin) == datetime(2024, 5, 11, 22, 0, tzinfo=UTC)


def test_next_reset_across_dst_changes() -> None:
    berlin = ZoneInfo("Europe/Berlin")
    spring = datetime(2024, 3, 30, 12, 0, tzinfo=UTC)  # clocks jump 02:00 → 03:00 on the 31st
    assert next_reset_after(spring, time(2, 30), berlin) == datetime(2024, 3, 31, 1, 30, tzinfo=UTC)
    autumn = datetime(2024, 10, 26, 12, 0, tzinfo=UTC)  # 02:00-03:00 happens twice on the 27th
    assert next_reset_after(autumn, time(2, 30), berlin) == datetime(
        2024, 10, 27, 0, 30, tzinfo=UTC
    )


def test_daily_counter_counts_and_resets_at_local_midnight() -> None:
    day = DailyCounter.fresh(settings(), T0)
    day.crossing(IN, at(1))
    day.crossing(OUT, at(2))
    day.face_saved(at(3))
    assert day.stats() == CounterStats(1, 1, 1, 0, False, 0)
    midnight = datetime(2024, 5, 10, 22, 0, tzinfo=UTC)
    assert day.tick(midnight - timedelta(seconds=1)) == []
    assert day.tick(midnight + timedelta(seconds=1)) == [
        DailyReport(date(2024, 5, 10), T0, midnight, 1, 1, 1, 0)
    ]
    assert day.stats() == CounterStats(0, 0, 0, 0, False, 0)
    assert day.state().next_reset == midnight + timedelta(days=1)


def test_reset_while_an_event_is_active_ends_and_reports_it() -> None:
    day = DailyCounter.fresh(settings(), T0)
    late = datetime(2024, 5, 10, 21, 30, tzinfo=UTC)
    for s in range(4):
        day.crossing(IN, late + timedelta(seconds=s))
    assert day.stats() == CounterStats(4, 0, 0, 1, True, 1)
    midnight = datetime(2024, 5, 10, 22, 0, tzinfo=UTC)
    notices = day.tick(midnight + timedelta(seconds=0.5))
    assert notices == [
        EventChange(EventStatus.ENDED, late + timedelta(seconds=3), midnight, 1),
        DailyReport(date(2024, 5, 10), T0, midnight, 4, 0, 0, 1),
    ]
    assert day.stats() == CounterStats(0, 0, 0, 0, False, 0)
    # the window emptied at reset: the next IN does not start an event by itself
    assert day.crossing(IN, midnight + timedelta(minutes=1)) == []


def test_missed_reset_is_caught_up_on_restart_before_counting() -> None:
    day = DailyCounter.fresh(settings(), T0)
    for s in range(4):
        day.crossing(IN, at(s))
    saved = day.state()  # the worker stops here, with an event active
    restart = datetime(2024, 5, 12, 9, 0, tzinfo=UTC)  # two local midnights later
    resumed = DailyCounter(settings(), saved)
    midnight = datetime(2024, 5, 10, 22, 0, tzinfo=UTC)
    notices = resumed.crossing(OUT, restart)
    assert notices == [
        EventChange(EventStatus.ENDED, at(3), midnight, 1),
        DailyReport(date(2024, 5, 10), T0, midnight, 4, 0, 0, 1),
    ]
    assert resumed.stats() == CounterStats(0, 1, 0, 0, False, 0)
    assert resumed.state().period_start == midnight
    assert resumed.state().next_reset == datetime(2024, 5, 12, 22, 0, tzinfo=UTC)


def test_quiet_end_is_noticed_by_tick() -> None:
    day = DailyCounter.fresh(settings(), T0)
    for m in (0, 1, 2, 3):
        day.crossing(IN, at(m))
    assert day.tick(at(60 + 120 + 1)) == [EventChange(EventStatus.ENDED, at(3), at(180), 1)]
    assert day.stats() == CounterStats(4, 0, 0, 1, False, 0)
