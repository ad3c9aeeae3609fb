"""The state-sync keys (state-sync-ws-api.txt, CONTRACT §5): each key's type, range, default,
who may read and write it, and who applies it. One table, so every face judges alike."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .identity import Can, Identity, Role

Value = bool | int | str


class InvalidValue(ValueError):
    """A value outside its key's rule; the message names the rule."""


@dataclass(frozen=True)
class Key:
    """One state key: how a written value becomes the stored one, and what it is for."""

    name: str
    default: Value
    parse: Callable[[Any], Value] = field(repr=False)
    writable: bool = True  # False: only the camera (its device key, its reports) sets it
    public: bool = False  # readable by anonymous sockets of a public camera
    by_camera: bool = True  # the camera applies it (sent as {"msg":"state"}); else the relay
    trigger: bool = False  # an action, never stored: reads its default


def boolean(value: Any) -> bool:
    """true or false."""
    if not isinstance(value, bool):
        raise InvalidValue("Value must be true or false")
    return value


def integer(low: int, high: int) -> Callable[[Any], int]:
    """An integer from low to high."""

    def parse(value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise InvalidValue(f"Value must be between {low} and {high}")
        return value

    return parse


def choice(*choices: Value) -> Callable[[Any], Value]:
    """One of the given values."""
    shown = ", ".join(f'"{c}"' if isinstance(c, str) else str(c) for c in choices)

    def parse(value: Any) -> Value:
        # By type as well: true is not 1, and 1.0 is not 1.
        if not any(type(value) is type(c) and value == c for c in choices):
            raise InvalidValue(f"Value must be one of {shown}")
        return value  # type: ignore[no-any-return]

    return parse


def auto_mode(value: Any) -> bool:
    """true/false or "auto"/"manual", stored as a boolean (auto: true)."""
    if isinstance(value, bool):
        return value
    if value in ("auto", "manual"):
        return value == "auto"
    raise InvalidValue('Value must be true, false, "auto" or "manual"')


RECORD_WORDS: dict[Any, str] = {"on": "on", "off": "off", "pause": "pause", "pause_release": "on"}


def record_mode(value: Any) -> str:
    """true/false/"on"/"off"/"pause"/"pause_release", stored as "on", "off" or "pause"."""
    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, str) and value in RECORD_WORDS:
        return RECORD_WORDS[value]
    raise InvalidValue('Value must be true, false, "on", "off", "pause" or "pause_release"')


def trigger(value: Any) -> bool:
    """Only true: an action."""
    if value is not True:
        raise InvalidValue("Value must be true (a trigger)")
    return True


PERCENT = integer(0, 100)
RESOLUTIONS = ("1920x1080", "1280x720", "640x480", "320x240")
PIP_MODES = ("off", "pip", "side-by-side")

KEYS: dict[str, Key] = {
    key.name: key
    for key in (
        Key("cam1-light", False, boolean),
        Key("cam2-light", False, boolean),
        Key("cam1-exists", False, boolean, writable=False, public=True),
        Key("cam2-exists", False, boolean, writable=False, public=True),
        Key("main-camera", 1, choice(1, 2), public=True),
        Key("cam1-sensor", 1, integer(1, 4)),
        Key("cam2-sensor", 1, integer(1, 4)),
        Key("resolution", "1280x720", choice(*RESOLUTIONS), public=True),
        Key("fps", 25, integer(5, 60), public=True),
        Key("pip-mode", "off", choice(*PIP_MODES)),
        *(
            Key(name, 50, PERCENT)
            for name in (
                "brightness",
                "contrast",
                "sharpness",
                "saturation",
                "gain",
                "red-gain",
                "blue-gain",
            )
        ),
        Key("auto-exposure", True, auto_mode),
        Key("auto-white-balance", True, auto_mode),
        Key("noise-supression", False, boolean),
        Key("record", "off", record_mode, public=True, by_camera=False),
        Key("snap", False, trigger, by_camera=False, trigger=True),
        Key("jpeg-quality", 85, PERCENT),
    )
}
DEFAULTS: dict[str, Value] = {name: key.default for name, key in KEYS.items()}
# What a camera's state-report may set: what it applies, and the second camera it may have.
# cam1-exists follows the live upload; record and snap are the relay's.
REPORTABLE = frozenset(name for name, key in KEYS.items() if key.by_camera) - {"cam1-exists"}


def may_read(who: Identity | None, key: Key) -> bool:
    """Anonymous sockets (None) read the public keys; every identity reads everything."""
    return key.public if who is None else True


def may_write(who: Identity | None, key: Key) -> bool:
    """People who may CONTROL write the writable keys; a device key writes the read-only
    ones (its reports)."""
    if who is None:
        return False
    if who.role is Role.DEVICE:
        return not key.writable
    return key.writable and who.may(Can.CONTROL)


def writable_keys(who: Identity | None) -> list[str]:
    """The keys `who` may write, in table order (the login answer's permissions)."""
    return [name for name, key in KEYS.items() if may_write(who, key)]


def refusal(error: str, key: str, message: str = "") -> dict[str, Any]:
    """One refused key as §5 renders it."""
    return {"error": error, "key": key, **({"message": message} if message else {})}


def judge(who: Identity | None, writes: dict[str, Any]) -> tuple[dict[str, Value], list[dict]]:
    """Each key alone: known, then allowed (authenticated, role), then its value; the accepted
    values as stored, and one refusal per other key."""
    accepted: dict[str, Value] = {}
    refused: list[dict[str, Any]] = []
    for name, value in writes.items():
        key = KEYS.get(name)
        if key is None:
            refused.append(refusal("Unknown key", name))
        elif not may_write(who, key):
            refused.append(refusal("Permission denied", name))
        else:
            try:
                accepted[name] = key.parse(value)
            except InvalidValue as exc:
                refused.append(refusal("Invalid value", name, str(exc)))
    return accepted, refused


def judge_reads(who: Identity | None, names: list[Any]) -> tuple[list[str], list[dict]]:
    """The keys of a get that `who` may read, and one refusal per other entry."""
    readable: list[str] = []
    refused: list[dict[str, Any]] = []
    for name in names:
        key = KEYS.get(name) if isinstance(name, str) else None
        if key is None:
            refused.append(refusal("Unknown key", name))
        elif not may_read(who, key):
            refused.append(refusal("Permission denied", name))
        else:
            readable.append(name)
    return readable, refused
