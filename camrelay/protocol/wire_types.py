"""Typed values of the answers of core-http2-api.txt: what the server hands out and the relay
client returns."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "ConfigKind",
    "DeviceInfo",
    "Message",
    "OutgoingMessage",
    "RecordEntry",
    "RecordMeta",
    "StreamInfo",
]


@dataclass(frozen=True)
class ConfigKind:
    """One configuration kind of the account (getConfig.json)."""

    kind: int
    descr: str
    miv: float
    mav: float
    dv: float
    fv: float


@dataclass(frozen=True)
class Message:
    """A message received (getMsgs.json); `device` is the sender."""

    msg: str
    device: str
    params: Any
    stamp: str


@dataclass(frozen=True)
class OutgoingMessage:
    """A message to send (addMsgs.json); an empty target is a broadcast."""

    msg: str
    target: str = ""
    params: Any = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        """The message as addMsgs.json takes it."""
        return {"msg": self.msg, "target": self.target, "params": self.params}


@dataclass(frozen=True)
class DeviceInfo:
    """An online device of the account (getDevicesOnline.json)."""

    device: str
    meta: str


@dataclass(frozen=True)
class RecordEntry:
    """A record as getRecordCount.json lists it."""

    rid: int
    device: str
    stamp: str


@dataclass(frozen=True)
class RecordMeta:
    """A record's description as getRecordMeta.json returns it."""

    device: str
    meta: str
    stamp: str


@dataclass(frozen=True)
class StreamInfo:
    """A streaming device as getStreams.json lists it."""

    device: str
    subproto: str
    delta: int
