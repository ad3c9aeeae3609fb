"""High-traffic events (CONTRACT §3): start above N INs in a window, end after M quiet hours.

Time comes in as an argument (aware datetimes), never from the system clock, so the state
machine is exact and testable. "Quiet" means the rolling count is at or below N again; the
event ends M hours after it last became quiet, and end_time is that instant even when the
caller looks later. An event's count_in counts the IN crossings from the one that started it.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from camrelay.workers.counter.config import EventSettings


class EventStatus(StrEnum):
    """The two event notifications of the feed."""

    STARTED = "started"
    ENDED = "ended"


@dataclass(frozen=True, slots=True)
class EventChange:
    """An event started or ended; end is None while started."""

    status: EventStatus
    start: datetime
    end: datetime | None
    count_in: int


@dataclass(frozen=True, slots=True)
class EventState:
    """Everything needed to resume the event machine after a restart."""

    ins: tuple[datetime, ...] = ()
    active_start: datetime | None = None
    active_count_in: int = 0
    quiet_since: datetime | None = None


class TrafficEvents:
    """The event state machine over IN crossings."""

    def __init__(self, settings: EventSettings, state: EventState | None = None) -> None:
        state = state or EventState()
        self._threshold = settings.threshold_in
        self._window = timedelta(seconds=settings.window_s)
        self._quiet = timedelta(hours=settings.quiet_hours)
        self._ins: deque[datetime] = deque(state.ins)
        self._start = state.active_start
        self._count_in = state.active_count_in
        self._quiet_since = state.quiet_since

    @property
    def active(self) -> bool:
        """True while an event is on."""
        return self._start is not None

    @property
    def current_count_in(self) -> int:
        """INs of the active event, 0 when none is active."""
        return self._count_in if self.active else 0

    def state(self) -> EventState:
        """A frozen copy of the state for the store."""
        return EventState(tuple(self._ins), self._start, self._count_in, self._quiet_since)

    def record_in(self, now: datetime) -> list[EventChange]:
        """One person came IN at now; may end a quiet event first, then start a new one."""
        changes = self.tick(now)
        self._ins.append(now)
        high = len(self._ins) > self._threshold
        if self._start is not None:
            self._count_in += 1
            if high:
                self._quiet_since = None
        elif high:
            self._start, self._count_in, self._quiet_since = now, 1, None
            changes.append(EventChange(EventStatus.STARTED, now, None, 1))
        return changes

    def tick(self, now: datetime) -> list[EventChange]:
        """Ages the window to now and ends the event once it has been quiet long enough."""
        self._expire(now)
        if self._start is None or self._quiet_since is None:
            return []
        end = self._quiet_since + self._quiet
        return self._end(end) if now >= end else []

    def end_now(self, at: datetime) -> list[EventChange]:
        """Ends any active event at `at` and empties the window (the daily reset)."""
        self._ins.clear()
        return self._end(at) if self._start is not None else []

    def _expire(self, now: datetime) -> None:
        """Drops INs older than the window, noting when the count fell to N or below."""
        while self._ins and self._ins[0] + self._window <= now:
            dropped_at = self._ins.popleft() + self._window
            quiet = len(self._ins) <= self._threshold
            if self._start is not None and self._quiet_since is None and quiet:
                self._quiet_since = dropped_at

    def _end(self, at: datetime) -> list[EventChange]:
        """Closes the active event."""
        assert self._start is not None
        change = EventChange(EventStatus.ENDED, self._start, at, self._count_in)
        self._start, self._count_in, self._quiet_since = None, 0, None
        return [change]
