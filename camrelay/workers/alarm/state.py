"""The alarm's state machine: on, off, alarm, silenced, with alerts and their hysteresis.

Time is always passed in (`now`, Unix seconds), never read here, so tests drive it with
a fake clock and the worker with time.time().
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from camrelay.workers.alarm.alerters.base import AlertEvent
from camrelay.workers.alarm.changed_pixels import MotionResult
from camrelay.workers.alarm.config import AlarmConfig
from camrelay.workers.alarm.movement_history import MovementHistory
from camrelay.workers.alarm.schedule import DailyWindow
from camrelay.workers.alarm.status import AlarmState, AlarmStatus


class SilenceRefused(Exception):
    """`silence` asked for while the alarm is off."""


@dataclass(frozen=True)
class Step:
    """What one clock step produced: the status, whether it changed, alerts to send."""

    status: AlarmStatus
    changed: bool
    alerts: tuple[AlertEvent, ...] = ()


class AlarmStateMachine:
    """Turns per-frame motion results and the clock into states and alert events."""

    def __init__(self, config: AlarmConfig, now: float) -> None:
        alerting = config.alerting
        self._config = config
        self._window = DailyWindow.from_config(config)
        self._history = MovementHistory(alerting.alert_time_s, alerting.min_movement_s)
        self._silenced_till: float | None = None
        self._last_alert_at: float | None = None
        self._episode_start = 0.0
        self._status = AlarmStatus(int(now), AlarmState.OFF, 0.0, None)
        self._advance(now)

    @property
    def config(self) -> AlarmConfig:
        """The configuration in force."""
        return self._config

    @property
    def state(self) -> AlarmState:
        """The state as of the last step."""
        return self._status.state

    def status(self, now: float) -> AlarmStatus:
        """The heartbeat for now: the last step's state with a fresh time stamp."""
        return AlarmStatus(
            int(now), self.state, self._status.initial_alarm, self._status.silenced_till
        )

    def reconfigure(self, config: AlarmConfig, now: float) -> Step:
        """Apply a new configuration without forgetting the movement seen so far."""
        self._config = config
        self._window = DailyWindow.from_config(config)
        self._history.resize(config.alerting.alert_time_s, config.alerting.min_movement_s)
        return self._advance(now)

    def observe(self, now: float, result: MotionResult) -> Step:
        """Take one processed frame's result into account."""
        if result.in_range and self._window.contains(now):
            self._history.record(now)
        return self._advance(now)

    def tick(self, now: float) -> Step:
        """Let time pass (the heartbeat): silences lift, windows open and close."""
        return self._advance(now)

    def silence(self, now: float, seconds: float) -> Step:
        """Silence alarms for the given seconds, from on, alarm or silenced."""
        if self._derive(now) is AlarmState.OFF:
            raise SilenceRefused("cannot silence: the alarm is off (outside its schedule)")
        self._silenced_till = now + seconds
        return self._advance(now)

    def test_alert(self, now: float, excluded: Iterable[str] = ()) -> AlertEvent:
        """The event the `test` command sends to the test group, minus excluded plugins."""
        return AlertEvent(
            f"Test alert at {self._local_time(now)}",
            now,
            is_test=True,
            excluded=frozenset(excluded),
        )

    def _derive(self, now: float) -> AlarmState:
        """The state the clock, the silence and the movement history imply."""
        if not self._window.contains(now):
            return AlarmState.OFF
        if self._silenced_till is not None and now < self._silenced_till:
            return AlarmState.SILENCED
        if self._history.sustained(now):
            return AlarmState.ALARM
        return AlarmState.ON

    def _advance(self, now: float) -> Step:
        """Move to the state now implies and collect the alerts it calls for."""
        state = self._derive(now)
        if self._silenced_till is not None and now >= self._silenced_till:
            self._silenced_till = None
        alerts: tuple[AlertEvent, ...] = ()
        if state is AlarmState.ALARM:
            self._track_episode(now)
            alerts = self._alerts_due(now)
        silenced_till = self._silenced_till if state is AlarmState.SILENCED else None
        status = AlarmStatus(int(now), state, self._episode_start, silenced_till)
        changed = not status.same_state(self._status)
        self._status = status
        return Step(status, changed, alerts)

    def _track_episode(self, now: float) -> None:
        """Open a new episode on the first alarm, or once the current one has run out."""
        duration_s = self._config.alerting.initial_alarm_duration_m * 60
        if self._episode_start == 0.0 or now - self._episode_start >= duration_s:
            self._episode_start = now

    def _alerts_due(self, now: float) -> tuple[AlertEvent, ...]:
        """One alarm event if the hysteresis allows it and the silent flag is off."""
        hysteresis_s = self._config.alerting.alarm_hysteresis_s
        if self._last_alert_at is not None and now - self._last_alert_at < hysteresis_s:
            return ()
        if self._config.flags.silent:
            return ()
        self._last_alert_at = now
        seconds = self._config.alerting.alert_time_s
        message = f"Alarm at {self._local_time(now)}: movement sustained for {seconds} s"
        return (AlertEvent(message, now),)

    def _local_time(self, now: float) -> str:
        """now on the schedule's wall clock, for messages people read."""
        return datetime.fromtimestamp(now, self._window.timezone).strftime("%Y-%m-%d %H:%M:%S %Z")
