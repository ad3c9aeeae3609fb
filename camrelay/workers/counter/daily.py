"""The day's tallies: IN/OUT counts, faces, events, and the daily reset that cannot be missed.

Every call first checks whether a reset instant has passed, so whatever wakes the worker
(a crossing, a face, the periodic tick, a restart that restores the state) settles a due
reset before counting anything new. A reset missed while the worker was down happens at
once on restart, at its scheduled instant; one catch-up stands for all missed days. An event
active at reset is ended at the reset instant and reported, and the rolling window empties.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime

from camrelay.workers.counter.config import CounterSettings
from camrelay.workers.counter.events import EventChange, EventState, TrafficEvents
from camrelay.workers.counter.line import Crossing, Direction
from camrelay.workers.counter.reset_schedule import next_reset_after, period_day


@dataclass(frozen=True, slots=True)
class CounterStats:
    """The `stats` message's data."""

    count_in: int
    count_out: int
    face_count: int
    daily_event_count: int
    event_active: bool
    current_event_count_in: int


@dataclass(frozen=True, slots=True)
class DailyReport:
    """The totals of one counting period, made at its reset."""

    day: date
    period_start: datetime
    period_end: datetime
    count_in: int
    count_out: int
    face_count: int
    event_count: int


Notice = EventChange | DailyReport


@dataclass(frozen=True, slots=True)
class DayState:
    """All the day's state, for the store; restoring it resumes counting exactly."""

    period_start: datetime
    next_reset: datetime
    count_in: int = 0
    count_out: int = 0
    face_count: int = 0
    event_count: int = 0
    events: EventState = EventState()


class DailyCounter:
    """Counts crossings and faces for the current period and drives events and resets."""

    def __init__(self, settings: CounterSettings, state: DayState) -> None:
        self._settings = settings
        self._state = state
        self._events = TrafficEvents(settings.events, state.events)

    @classmethod
    def fresh(cls, settings: CounterSettings, now: datetime) -> DailyCounter:
        """A first start: the period begins now and the next reset is scheduled."""
        reset = settings.reset
        return cls(settings, DayState(now, next_reset_after(now, reset.at, reset.zone)))

    def state(self) -> DayState:
        """A frozen copy of everything, for the store."""
        return replace(self._state, events=self._events.state())

    def stats(self) -> CounterStats:
        """The numbers the `stats` message carries."""
        s = self._state
        return CounterStats(
            s.count_in,
            s.count_out,
            s.face_count,
            s.event_count,
            self._events.active,
            self._events.current_count_in,
        )

    def tick(self, now: datetime) -> list[Notice]:
        """Settles a due reset and ends a quiet event; call it at least every second."""
        notices = self._reset_if_due(now)
        notices += self._events.tick(now)
        return notices

    def crossing(self, crossing: Crossing, now: datetime) -> list[Notice]:
        """Counts one crossing; an IN may start an event."""
        notices = self.tick(now)
        if crossing.direction is Direction.OUT:
            self._state = replace(self._state, count_out=self._state.count_out + 1)
            return notices
        self._state = replace(self._state, count_in=self._state.count_in + 1)
        changes = self._events.record_in(now)
        started = sum(1 for c in changes if c.end is None)
        self._state = replace(self._state, event_count=self._state.event_count + started)
        return notices + list(changes)

    def face_saved(self, now: datetime) -> list[Notice]:
        """Counts one saved face."""
        notices = self.tick(now)
        self._state = replace(self._state, face_count=self._state.face_count + 1)
        return notices

    def _reset_if_due(self, now: datetime) -> list[Notice]:
        """Ends the period at its scheduled instant if that has passed."""
        at = self._state.next_reset
        if now < at:
            return []
        notices: list[Notice] = list(self._events.end_now(at))
        notices.append(self._report(at))
        reset = self._settings.reset
        following = next_reset_after(max(at, now), reset.at, reset.zone)
        self._state = DayState(at, following)
        return notices

    def _report(self, end: datetime) -> DailyReport:
        """The report of the period that ends at `end`."""
        s = self._state
        day = period_day(s.period_start, self._settings.reset.zone)
        return DailyReport(
            day, s.period_start, end, s.count_in, s.count_out, s.face_count, s.event_count
        )
