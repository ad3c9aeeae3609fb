"""Root endpoint commands: the documented replies, and {"error": …} changing nothing."""

from __future__ import annotations

import json

import pytest

from camrelay.workers.alarm.commands import handle_command
from camrelay.workers.alarm.config import AlarmConfig, apply_update, load_config
from camrelay.workers.alarm.state import AlarmStateMachine
from camrelay.workers.alarm.status import AlarmState

T0 = 1_700_000_000.0  # 22:13 UTC


def machine(start: str = "00:00", end: str = "00:00") -> AlarmStateMachine:
    config = apply_update(
        AlarmConfig(),
        {"server": {"timezone": "UTC"}, "alerting": {"start_time": start, "end_time": end}},
    )
    return AlarmStateMachine(config, T0)


def test_silence_answers_ok_and_silences() -> None:
    alarm = machine()
    outcome = handle_command(alarm, {"command": "silence", "data": {"silenceFor": 180}}, T0)
    assert outcome.reply == {"status": "OK"}
    assert outcome.step is not None and outcome.step.changed
    assert alarm.status(T0).as_message()["silencedTill"] == T0 + 180
    assert alarm.state is AlarmState.SILENCED


def test_silence_from_off_is_an_error() -> None:
    alarm = machine("08:00", "09:00")
    outcome = handle_command(alarm, {"command": "silence", "data": {"silenceFor": 180}}, T0)
    assert outcome.reply == {"error": "cannot silence: the alarm is off (outside its schedule)"}
    assert alarm.status(T0).silenced_till is None


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({}, "silence: silenceFor: Field required"),
        ({"silenceFor": -5}, "silence: silenceFor: Input should be greater than or equal to 0"),
        (
            {"silenceFor": "soon"},
            "silence: silenceFor: Input should be a valid number, "
            "unable to parse string as a number",
        ),
    ],
)
def test_bad_silence_data_changes_nothing(data: dict, error: str) -> None:
    alarm = machine()
    outcome = handle_command(alarm, {"command": "silence", "data": data}, T0)
    assert outcome.reply == {"error": error}
    assert (alarm.state, alarm.status(T0).silenced_till) == (AlarmState.ON, None)


def test_test_command_makes_a_test_alert_without_the_excluded() -> None:
    outcome = handle_command(machine(), {"command": "test", "data": {"excluded": ["telegram"]}}, T0)
    assert outcome.reply == {"status": "OK"}
    assert outcome.test_alert is not None
    assert outcome.test_alert.is_test and outcome.test_alert.excluded == {"telegram"}
    assert outcome.test_alert.message == "Test alert at 2023-11-14 22:13:20 UTC"


@pytest.mark.parametrize("message", [{"command": "test"}, {"command": "test", "data": None}])
def test_test_command_without_data_reaches_the_whole_test_group(message: dict) -> None:
    outcome = handle_command(machine(), message, T0)
    assert outcome.test_alert is not None and outcome.test_alert.excluded == frozenset()


def test_config_update_validates_applies_and_returns_the_config_to_write() -> None:
    alarm = machine()
    update = {"alerting": {"start_time": "08:00", "end_time": "09:00"}}
    outcome = handle_command(alarm, {"command": "config_update", "data": {"config": update}}, T0)
    assert outcome.reply == {"status": "OK"}
    assert outcome.new_config is alarm.config
    assert alarm.config.alerting.start_time == "08:00"
    # 22:13 UTC is outside the new window: the state changes at once.
    assert outcome.step is not None and outcome.step.status.state is AlarmState.OFF


def test_config_update_file_round_trip(tmp_path) -> None:
    from camrelay.workers.alarm.config import dump_config

    alarm = machine()
    update = {"processing": {"gauss_ksize": 7}}
    outcome = handle_command(alarm, {"command": "config_update", "data": {"config": update}}, T0)
    assert outcome.new_config is not None
    path = tmp_path / "alarm.toml"
    path.write_text(dump_config(outcome.new_config))
    assert load_config(path) == alarm.config


def test_bad_config_update_changes_nothing() -> None:
    alarm = machine()
    before = alarm.config
    update = {"server": {"host_name": "x"}, "processing": {"gauss_ksize": 6}}
    outcome = handle_command(alarm, {"command": "config_update", "data": {"config": update}}, T0)
    assert outcome.reply == {
        "error": "processing.gauss_ksize: gauss_ksize must be odd and positive, got 6"
    }
    assert outcome.new_config is None and alarm.config is before


def test_config_update_without_config_is_an_error() -> None:
    outcome = handle_command(machine(), {"command": "config_update", "data": {}}, T0)
    assert outcome.reply == {"error": "config_update: config: Field required"}


def test_shutdown_gives_the_delay() -> None:
    outcome = handle_command(machine(), {"command": "shutdown", "data": {"shutdownIn": 5}}, T0)
    assert (outcome.reply, outcome.shutdown_in) == ({"status": "OK"}, 5)


def test_shutdown_refuses_a_negative_delay() -> None:
    outcome = handle_command(machine(), {"command": "shutdown", "data": {"shutdownIn": -1}}, T0)
    assert outcome.reply == {
        "error": "shutdown: shutdownIn: Input should be greater than or equal to 0"
    }
    assert outcome.shutdown_in is None


def test_json_text_is_accepted_and_extra_keys_ignored() -> None:
    text = json.dumps({"command": "silence", "data": {"silenceFor": 60, "by": "me"}, "id": 7})
    assert handle_command(machine(), text, T0).reply == {"status": "OK"}


@pytest.mark.parametrize(
    ("message", "error"),
    [
        ("{not json", "message is not valid JSON"),
        (
            {"command": "reboot"},
            "unknown command 'reboot'; known: silence, test, config_update, shutdown",
        ),
        ({"data": {}}, "command: Field required"),
        ([1, 2], 'a command is an object: {"command": …, "data": {…}}'),
        ("[]", 'a command is an object: {"command": …, "data": {…}}'),
    ],
)
def test_malformed_messages_are_errors(message: object, error: str) -> None:
    assert handle_command(machine(), message, T0).reply == {"error": error}


def test_example_config_drives_a_machine() -> None:
    from pathlib import Path

    example = Path(__file__).parents[3] / "camrelay/workers/alarm/alarm.example.toml"
    # 16:55 to 16:54 is always on.
    assert AlarmStateMachine(load_config(example), T0).state is AlarmState.ON
