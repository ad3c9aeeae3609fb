"""The root endpoint's commands (silence, test, config_update, shutdown) and their replies.

Each command is checked completely before anything changes; bad data answers
{"error": …} and leaves the machine and the configuration as they were. The effects that
need I/O (send the test, write the file, stop the process) are returned for the face.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from camrelay.workers.alarm.alerters.base import AlertEvent
from camrelay.workers.alarm.config import AlarmConfig, ConfigError, apply_update
from camrelay.workers.alarm.config import describe_errors as _describe
from camrelay.workers.alarm.state import AlarmStateMachine, SilenceRefused, Step

OK_REPLY: dict[str, Any] = {"status": "OK"}
_T = TypeVar("_T", bound="_Data")


class _Data(BaseModel):
    # Extra keys are ignored: accept everything a real client sends (CONTRACT).
    model_config = ConfigDict(frozen=True, extra="ignore")


class _Envelope(_Data):
    command: str
    # "data": null is read as no data, like a missing "data".
    data: dict[str, Any] | None = None


class _SilenceData(_Data):
    silence_for: float = Field(alias="silenceFor", ge=0, allow_inf_nan=False)


class _TestData(_Data):
    excluded: list[str] = Field(default_factory=list)


class _ConfigUpdateData(_Data):
    config: dict[str, Any]


class _ShutdownData(_Data):
    shutdown_in: float = Field(alias="shutdownIn", default=0, ge=0, allow_inf_nan=False)


@dataclass(frozen=True)
class CommandOutcome:
    """The reply for the sender, plus what the face must do next."""

    reply: dict[str, Any]
    step: Step | None = None
    test_alert: AlertEvent | None = None
    new_config: AlarmConfig | None = None
    shutdown_in: float | None = None


class CommandError(ValueError):
    """A command that cannot be carried out; its text goes back as {"error": …}."""


def handle_command(machine: AlarmStateMachine, message: object, now: float) -> CommandOutcome:
    """Carry out one command message (JSON text or already parsed) and say what follows."""
    try:
        envelope = _Envelope.model_validate(_parsed(message))
        handler = _HANDLERS.get(envelope.command)
        if handler is None:
            known = ", ".join(_HANDLERS)
            raise CommandError(f"unknown command {envelope.command!r}; known: {known}")
        return handler(machine, envelope.data or {}, now)
    except ValidationError as exc:
        return CommandOutcome({"error": _describe(exc)})
    except (CommandError, ConfigError, SilenceRefused) as exc:
        return CommandOutcome({"error": str(exc)})


def _parsed(message: object) -> object:
    """The message as a mapping, decoding JSON text first."""
    if isinstance(message, str | bytes | bytearray):
        try:
            message = json.loads(message)
        except ValueError:
            raise CommandError("message is not valid JSON") from None
    if not isinstance(message, Mapping):
        raise CommandError('a command is an object: {"command": …, "data": {…}}')
    return message


def _silence(machine: AlarmStateMachine, data: dict[str, Any], now: float) -> CommandOutcome:
    """silence: from on, alarm or silenced; an error from off."""
    seconds = _validated(_SilenceData, "silence", data).silence_for
    return CommandOutcome(dict(OK_REPLY), step=machine.silence(now, seconds))


def _test(machine: AlarmStateMachine, data: dict[str, Any], now: float) -> CommandOutcome:
    """test: an alert for the test group, minus the excluded plugins."""
    excluded = _validated(_TestData, "test", data).excluded
    return CommandOutcome(dict(OK_REPLY), test_alert=machine.test_alert(now, excluded))


def _config_update(machine: AlarmStateMachine, data: dict[str, Any], now: float) -> CommandOutcome:
    """config_update: merge, validate, apply; the face writes the file back."""
    partial = _validated(_ConfigUpdateData, "config_update", data).config
    new_config = apply_update(machine.config, partial)
    step = machine.reconfigure(new_config, now)
    return CommandOutcome(dict(OK_REPLY), step=step, new_config=new_config)


def _shutdown(machine: AlarmStateMachine, data: dict[str, Any], now: float) -> CommandOutcome:
    """shutdown: stop the worker after shutdownIn seconds."""
    delay = _validated(_ShutdownData, "shutdown", data).shutdown_in
    return CommandOutcome(dict(OK_REPLY), shutdown_in=delay)


def _validated(model: type[_T], command: str, data: dict[str, Any]) -> _T:
    """The command's data as its model, or a CommandError naming the command."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise CommandError(f"{command}: {_describe(exc)}") from None


_HANDLERS: dict[str, Callable[[AlarmStateMachine, dict[str, Any], float], CommandOutcome]] = {
    "silence": _silence,
    "test": _test,
    "config_update": _config_update,
    "shutdown": _shutdown,
}
