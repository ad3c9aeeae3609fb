"""The alarm state machine on a fake clock: sustained movement, silence, hysteresis, episodes."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from camrelay.workers.alarm.changed_pixels import MotionResult
from camrelay.workers.alarm.config import AlarmConfig, apply_update
from camrelay.workers.alarm.state import AlarmStateMachine, SilenceRefused, Step
from camrelay.workers.alarm.status import AlarmState, AlarmStatus

T0 = 1_700_000_000.0  # a whole second; frames come at T0, T0 + 0.5, … (fps 2)
MOVING = MotionResult(1500, True)
STILL = MotionResult(0, False)
LIGHTS = MotionResult(307200, False)
ON, OFF, ALARM, SILENCED = AlarmState.ON, AlarmState.OFF, AlarmState.ALARM, AlarmState.SILENCED


def config(**alerting: object) -> AlarmConfig:
    """Always armed (equal times), UTC, alarm after 10 s with gaps under 2 s allowed."""
    values = {
        "start_time": "00:00",
        "end_time": "00:00",
        "alert_time_s": 10,
        "min_movement_s": 2,
        "alarm_hysteresis_s": 60,
        "initial_alarm_duration_m": 1,
    }
    values.update(alerting)
    return apply_update(AlarmConfig(), {"server": {"timezone": "UTC"}, "alerting": values})


def drive(
    machine: AlarmStateMachine, start: float, stop: float, result: Callable[[float], MotionResult]
) -> list[tuple[float, Step]]:
    """Feed a frame every 0.5 s in [start, stop)."""
    steps = []
    for i in range(round((stop - start) * 2)):
        now = start + i / 2
        steps.append((now, machine.observe(now, result(now))))
    return steps


def first(steps: list[tuple[float, Step]], state: AlarmState) -> float | None:
    return next((now for now, step in steps if step.status.state is state), None)


def alert_times(steps: list[tuple[float, Step]]) -> list[float]:
    return [now for now, step in steps for _ in step.alerts]


def test_still_scene_never_alarms() -> None:
    machine = AlarmStateMachine(config(), T0)
    steps = drive(machine, T0, T0 + 120, lambda now: STILL)
    assert {step.status.state for _, step in steps} == {ON}
    assert alert_times(steps) == []


def test_lights_switching_never_alarms() -> None:
    machine = AlarmStateMachine(config(), T0)
    steps = drive(machine, T0, T0 + 120, lambda now: LIGHTS if int(now) % 2 else STILL)
    assert {step.status.state for _, step in steps} == {ON}


def test_sustained_movement_alarms_once_the_window_is_covered_and_not_before() -> None:
    # Movement in every second from T0. The last 10 ended seconds are [S-10, S-1]; its
    # first 2-second window [S-10, S-9] has movement once S-9 >= T0, so the alarm comes
    # at T0 + 9: a leading gap shorter than min_movement_s is tolerated like any other.
    machine = AlarmStateMachine(config(), T0)
    steps = drive(machine, T0, T0 + 20, lambda now: MOVING)
    assert first(steps, ALARM) == T0 + 9
    assert all(step.status.state is ON for now, step in steps if now < T0 + 9)
    assert alert_times(steps) == [T0 + 9]


def test_with_one_second_windows_the_alarm_needs_the_full_alert_time() -> None:
    machine = AlarmStateMachine(config(min_movement_s=1), T0)
    steps = drive(machine, T0, T0 + 20, lambda now: MOVING)
    assert first(steps, ALARM) == T0 + 10


def test_a_gap_of_min_movement_s_restarts_the_count() -> None:
    machine = AlarmStateMachine(config(), T0)
    # Seconds T0+5 and T0+6 have no movement: a 2-second window without movement.
    steps = drive(machine, T0, T0 + 30, lambda now: STILL if 5 <= now - T0 < 7 else MOVING)
    # Movement again from T0+7, so the window is covered at T0+7+9.
    assert first(steps, ALARM) == T0 + 16


def test_a_one_second_gap_is_tolerated() -> None:
    machine = AlarmStateMachine(config(), T0)
    steps = drive(machine, T0, T0 + 30, lambda now: STILL if 5 <= now - T0 < 6 else MOVING)
    assert first(steps, ALARM) == T0 + 9


def test_one_moving_frame_makes_a_movement_second() -> None:
    machine = AlarmStateMachine(config(), T0)
    # Only the frame at x.5 of each second moves.
    steps = drive(machine, T0, T0 + 20, lambda now: MOVING if now % 1 else STILL)
    assert first(steps, ALARM) == T0 + 9


def test_the_alarm_ends_when_movement_stops() -> None:
    machine = AlarmStateMachine(config(), T0)
    steps = drive(machine, T0, T0 + 40, lambda now: MOVING if now < T0 + 20 else STILL)
    # Last movement second T0+19; seconds T0+20 and T0+21 still → window fails at T0+22.
    assert [now for now, step in steps if step.changed] == [T0 + 9, T0 + 22]
    assert steps[-1][1].status.state is ON


def test_the_heartbeat_also_ends_an_alarm_when_frames_stop() -> None:
    machine = AlarmStateMachine(config(), T0)
    drive(machine, T0, T0 + 15, lambda now: MOVING)
    assert machine.state is ALARM
    assert machine.tick(T0 + 16).status.state is ALARM
    step = machine.tick(T0 + 17)
    assert (step.status.state, step.changed) == (ON, True)


def test_hysteresis_limits_alerts_during_a_long_alarm() -> None:
    machine = AlarmStateMachine(config(alarm_hysteresis_s=60), T0)
    steps = drive(machine, T0, T0 + 200, lambda now: MOVING)
    assert alert_times(steps) == [T0 + 9, T0 + 69, T0 + 129, T0 + 189]


def test_hysteresis_holds_across_separate_alarms() -> None:
    machine = AlarmStateMachine(config(alarm_hysteresis_s=60), T0)

    # Two bursts 10 s apart: both alarm, only the first alerts; a third, later, alerts.
    def moving(now: float) -> MotionResult:
        t = now - T0
        return MOVING if t < 12 or 20 <= t < 32 or 80 <= t < 92 else STILL

    steps = drive(machine, T0, T0 + 100, moving)
    alarms = [now for now, step in steps if step.changed and step.status.state is ALARM]
    assert alarms == [T0 + 9, T0 + 29, T0 + 89]
    assert alert_times(steps) == [T0 + 9, T0 + 89]


def test_initial_alarm_is_the_start_of_the_episode() -> None:
    machine = AlarmStateMachine(config(initial_alarm_duration_m=1, alarm_hysteresis_s=0), T0)
    assert machine.status(T0).initial_alarm == 0.0

    def moving(now: float) -> MotionResult:
        t = now - T0
        return MOVING if t < 12 or 20 <= t < 32 or 70 <= t < 82 else STILL

    steps = dict(drive(machine, T0, T0 + 90, moving))
    assert steps[T0 + 9].status.initial_alarm == T0 + 9
    # A second alarm 20 s later belongs to the same episode.
    assert steps[T0 + 29].status.initial_alarm == T0 + 9
    # One starting 60 s or more after the episode began opens a new one.
    assert steps[T0 + 79].status.initial_alarm == T0 + 79
    assert steps[T0 + 85].status.initial_alarm == T0 + 79


def test_a_long_alarm_opens_a_new_episode_after_the_duration() -> None:
    machine = AlarmStateMachine(config(initial_alarm_duration_m=1), T0)
    steps = dict(drive(machine, T0, T0 + 80, lambda now: MOVING))
    assert steps[T0 + 68.5].status.initial_alarm == T0 + 9
    assert steps[T0 + 69].status.initial_alarm == T0 + 69


def test_silence_from_on_then_it_lifts() -> None:
    machine = AlarmStateMachine(config(), T0)
    step = machine.silence(T0, 30)
    assert (step.status.state, step.status.silenced_till, step.changed) == (SILENCED, T0 + 30, True)
    assert machine.tick(T0 + 29.5).status.state is SILENCED
    lifted = machine.tick(T0 + 30)
    assert (lifted.status.state, lifted.status.silenced_till, lifted.changed) == (ON, None, True)


def test_silence_stops_alerts_and_the_alarm_returns_after_it() -> None:
    machine = AlarmStateMachine(config(alarm_hysteresis_s=0), T0)
    steps = drive(machine, T0, T0 + 12, lambda now: MOVING)
    assert machine.state is ALARM and alert_times(steps) == [
        T0 + 9,
        T0 + 9.5,
        T0 + 10,
        T0 + 10.5,
        T0 + 11,
        T0 + 11.5,
    ]
    silenced = machine.silence(T0 + 12, 20)
    assert silenced.status.state is SILENCED and silenced.alerts == ()
    during = drive(machine, T0 + 12, T0 + 32, lambda now: MOVING)
    assert {step.status.state for _, step in during} == {SILENCED}
    assert alert_times(during) == []
    after = machine.observe(T0 + 32, MOVING)
    assert (after.status.state, len(after.alerts), after.status.silenced_till) == (ALARM, 1, None)


def test_silence_again_while_silenced_moves_the_end() -> None:
    machine = AlarmStateMachine(config(), T0)
    machine.silence(T0, 30)
    step = machine.silence(T0 + 10, 5)
    assert step.status.silenced_till == T0 + 15
    assert machine.tick(T0 + 15).status.state is ON


def test_silence_from_off_is_refused_and_changes_nothing() -> None:
    machine = AlarmStateMachine(config(start_time="08:00", end_time="09:00"), T0)
    assert machine.state is OFF  # T0 is 22:13 UTC
    with pytest.raises(SilenceRefused, match="the alarm is off"):
        machine.silence(T0, 60)
    assert machine.status(T0) == AlarmStatus(int(T0), OFF, 0.0, None)


def test_outside_the_window_the_state_is_off_and_movement_is_ignored() -> None:
    day = datetime(2024, 1, 15, tzinfo=ZoneInfo("UTC")).timestamp()
    machine = AlarmStateMachine(config(start_time="08:00", end_time="09:00"), day)
    opens = day + 8 * 3600
    steps = drive(machine, opens - 30, opens + 12, lambda now: MOVING)
    assert {step.status.state for now, step in steps if now < opens} == {OFF}
    # Movement before the window opened does not count: a full window is needed after.
    assert first(steps, ON) == opens
    assert first(steps, ALARM) == opens + 9
    closing = drive(machine, opens + 3590, opens + 3610, lambda now: MOVING)
    assert first(closing, OFF) == opens + 3600


def test_silenced_till_is_null_while_off() -> None:
    day = datetime(2024, 1, 15, 8, 59, 50, tzinfo=ZoneInfo("UTC")).timestamp()
    machine = AlarmStateMachine(config(start_time="08:00", end_time="09:00"), day)
    machine.silence(day, 600)
    step = machine.tick(day + 10)
    assert (step.status.state, step.status.silenced_till) == (OFF, None)


def test_silent_flag_alarms_without_alerts() -> None:
    silent = apply_update(config(), {"flags": {"silent": True}})
    machine = AlarmStateMachine(silent, T0)
    steps = drive(machine, T0, T0 + 20, lambda now: MOVING)
    assert machine.state is ALARM and alert_times(steps) == []


def test_status_heartbeat_has_the_documents_fields() -> None:
    machine = AlarmStateMachine(config(), T0)
    message = machine.status(T0 + 0.7).as_message()
    assert message == {
        "timeStamp": int(T0),
        "state": "on",
        "initialAlarm": 0.0,
        "silencedTill": None,
    }
    assert list(message) == ["timeStamp", "state", "initialAlarm", "silencedTill"]
    assert type(message["timeStamp"]) is int and type(message["initialAlarm"]) is float


def test_steps_report_a_change_only_when_the_status_changes() -> None:
    machine = AlarmStateMachine(config(), T0)
    assert not machine.tick(T0 + 1).changed
    assert machine.silence(T0 + 2, 5).changed
    assert not machine.tick(T0 + 3).changed


def test_alarm_events_carry_a_readable_message() -> None:
    machine = AlarmStateMachine(config(), T0)
    (event,) = [
        e for _, step in drive(machine, T0, T0 + 10, lambda now: MOVING) for e in step.alerts
    ]
    assert event.message == "Alarm at 2023-11-14 22:13:29 UTC: movement sustained for 10 s"
    assert (event.at, event.is_test, event.snapshot_jpeg) == (T0 + 9, False, None)


def test_reconfigure_keeps_the_movement_seen() -> None:
    machine = AlarmStateMachine(config(alert_time_s=20), T0)
    drive(machine, T0, T0 + 12, lambda now: MOVING)
    assert machine.state is ON
    step = machine.reconfigure(config(alert_time_s=10), T0 + 12)
    assert (step.status.state, step.changed, len(step.alerts)) == (ALARM, True, 1)
    assert machine.config.alerting.alert_time_s == 10
