"""What every module of the admin API is: five commands, each refused unless the module has it,
and the small checks they share (who may, what a payload field must be)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from ...core.identity import Can, Identity
from .callers import Caller
from .listing import Listing
from .requests import FORBIDDEN, NOT_SUPPORTED, UNAUTHORIZED, RequestFailed, invalid

Answer = dict[str, Any]


class Module:
    """A module; a command it lacks answers "Not Supported"."""

    name = ""
    anonymous = False  # may anonymous sockets use it

    async def list(self, caller: Caller, listing: Listing) -> Answer:
        raise self._unsupported("list")

    async def create(self, caller: Caller, payload: dict[str, Any]) -> Answer:
        raise self._unsupported("create")

    async def read(self, caller: Caller, entity: str) -> Answer:
        raise self._unsupported("read")

    async def update(self, caller: Caller, entity: str, payload: dict[str, Any]) -> Answer:
        raise self._unsupported("update")

    async def delete(self, caller: Caller, entity: str, payload: dict[str, Any]) -> Answer:
        raise self._unsupported("delete")

    def _unsupported(self, command: str) -> RequestFailed:
        return RequestFailed(NOT_SUPPORTED, f"the {self.name} module has no {command}")


def identity_of(caller: Caller) -> Identity:
    """The socket's identity; "Unauthorized" for an anonymous socket."""
    if caller.identity is None:
        raise RequestFailed(UNAUTHORIZED, "this module needs a token")
    return caller.identity


def allowed(caller: Caller, right: Can) -> Identity:
    """The socket's identity if its role has `right`, else "Forbidden"."""
    identity = identity_of(caller)
    if not identity.may(right):
        raise RequestFailed(FORBIDDEN, f"the role {identity.role.value} may not {right.value}")
    return identity


def only(payload: dict[str, Any], *names: str) -> None:
    """Refuse a payload field the command does not take."""
    for name in payload:
        if name not in names:
            raise invalid(f"payload.{name}", "is not allowed")


def text(payload: dict[str, Any], name: str, required: bool = True) -> str | None:
    """A non-empty string field (None when optional and absent)."""
    value = payload.get(name)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value:
        raise invalid(f"payload.{name}", "must be a non-empty string")
    return value


def flag(payload: dict[str, Any], name: str) -> bool | None:
    """A boolean field, None when absent."""
    value = payload.get(name)
    if value is not None and not isinstance(value, bool):
        raise invalid(f"payload.{name}", "must be true or false")
    return value


def iso(moment: float | None) -> str | None:
    """A UTC ISO 8601 time of a Unix time, None kept."""
    if moment is None:
        return None
    return datetime.fromtimestamp(moment, UTC).isoformat().replace("+00:00", "Z")
