"""What an alerter is: the event it receives and the protocol every plugin follows."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Generic, Protocol, TypeVar, runtime_checkable


class AlerterError(Exception):
    """An alerter could not deliver; the message says why, without secrets."""


@dataclass(frozen=True)
class AlertEvent:
    """One alert to deliver: a real alarm or a test from the `test` command."""

    message: str
    at: float
    is_test: bool = False
    # Plugin names the `test` command asked to leave out.
    excluded: frozenset[str] = field(default_factory=frozenset)
    # The latest camera frame as JPEG, attached by the worker when it has one.
    snapshot_jpeg: bytes | None = None


@runtime_checkable
class Alerter(Protocol):
    """An alert plugin: named, switchable, optionally in the test group, async send."""

    @property
    def name(self) -> str:
        """The plugin's name, as in [alerters.<name>] and the test command's excluded list."""
        ...

    @property
    def enabled(self) -> bool:
        """Whether real alarms and tests reach this plugin at all."""
        ...

    @property
    def test_grp(self) -> bool:
        """Whether the `test` command reaches this plugin."""
        ...

    async def send(self, event: AlertEvent) -> None:
        """Deliver the event or raise (AlerterError or a transport error)."""
        ...


class Toggles(Protocol):
    """The two switches every alerter's settings section has."""

    @property
    def enabled(self) -> bool: ...

    @property
    def test_grp(self) -> bool: ...


S = TypeVar("S", bound=Toggles)


class ConfiguredAlerter(Generic[S]):
    """An alerter whose `enabled` and `test_grp` are those of its settings section."""

    def __init__(self, settings: S) -> None:
        self._settings = settings

    @property
    def enabled(self) -> bool:
        """As configured."""
        return self._settings.enabled

    @property
    def test_grp(self) -> bool:
        """As configured."""
        return self._settings.test_grp
