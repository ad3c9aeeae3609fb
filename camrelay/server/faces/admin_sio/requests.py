"""The `request` event (CONTRACT §6): its shape checked rule by rule, and the one error object
every failure answers, `{"error": {"message", "details", "context"}}`, never echoing a secret."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

COMMANDS = ("list", "create", "read", "update", "delete")
NEEDS_ENTITY = ("read", "update", "delete")
NEEDS_PAYLOAD = ("create", "update")
NO_PAYLOAD = ("read", "delete")
FIELDS = ("command", "module", "requestId", "entity", "payload")
# Events a socket.io client keeps for itself: an answer on one of them would never be seen.
RESERVED_EVENTS = frozenset(
    {"connect", "connect_error", "disconnect", "disconnecting", "newListener", "removeListener"}
)
DELETE_OPTIONS = ("cameras",)  # modules whose delete takes a payload (cameras: purge)
MAX_REQUEST_ID = 256
SECRET_WORDS = ("password", "secret", "token", "shash", "pass")
REDACTED = "[redacted]"

INVALID_REQUEST = "Invalid Request"
UNAUTHORIZED = "Unauthorized"
FORBIDDEN = "Forbidden"
NOT_FOUND = "Not Found"
CONFLICT = "Conflict"
NOT_SUPPORTED = "Not Supported"
INTERNAL = "Internal Error"


class RequestFailed(Exception):
    """A request the face answers with an error object: `message` and its `details`."""

    def __init__(self, message: str, details: list[dict[str, Any]] | str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


def invalid(path: str, message: str) -> RequestFailed:
    """An "Invalid Request" naming the field at fault."""
    return RequestFailed(INVALID_REQUEST, [{"path": path, "message": message}])


@dataclass(frozen=True)
class Request:
    """One valid request: what the module is asked to do."""

    command: str
    module: str
    request_id: str
    entity: str | None = None
    payload: dict[str, Any] = field(default_factory=dict)


def answer_event(data: Any) -> str | None:
    """The event a request's answer goes to: its requestId, or None (then `failure`)."""
    request_id = data.get("requestId") if isinstance(data, dict) else None
    if (
        not isinstance(request_id, str)
        or not request_id
        or len(request_id) > MAX_REQUEST_ID
        or request_id in RESERVED_EVENTS
    ):
        return None
    return request_id


def parse(data: Any) -> Request:
    """The request in `data`, or RequestFailed("Invalid Request") listing every rule broken."""
    if not isinstance(data, dict):
        raise invalid("", "the request must be an object")
    problems = [_problem(name, message) for name, message in _broken_rules(data)]
    if problems:
        raise RequestFailed(INVALID_REQUEST, problems)
    entity = data.get("entity")
    return Request(
        data["command"],
        data["module"],
        data["requestId"],
        None if entity is None else str(entity),
        dict(data.get("payload") or {}),
    )


def _problem(path: str, message: str) -> dict[str, Any]:
    return {"path": path, "message": message}


def _broken_rules(data: dict[str, Any]) -> list[tuple[str, str]]:
    broken = [(name, "is not allowed") for name in data if name not in FIELDS]
    command = data.get("command")
    if command not in COMMANDS:
        broken.append(("command", f"must be one of {', '.join(COMMANDS)}"))
    if not isinstance(data.get("module"), str) or not data["module"]:
        broken.append(("module", "must be a non-empty string"))
    if answer_event(data) is None:
        broken.append(("requestId", "must be a string naming an event of the client's own"))
    entity, payload = data.get("entity"), data.get("payload")
    if command in NEEDS_ENTITY and (
        entity is None or isinstance(entity, bool) or not isinstance(entity, str | int)
    ):
        broken.append(("entity", f"is required for {command} (a string)"))
    elif command in ("list", "create") and entity is not None:
        broken.append(("entity", f"is not allowed for {command}"))
    if command in NEEDS_PAYLOAD and not isinstance(payload, dict):
        broken.append(("payload", f"is required for {command} (an object)"))
    elif command in NO_PAYLOAD and payload is not None and not _delete_options(data):
        broken.append(("payload", f"is not allowed for {command}"))
    elif command == "list" and payload is not None and not isinstance(payload, dict):
        broken.append(("payload", "must be an object"))
    return broken


def _delete_options(data: dict[str, Any]) -> bool:
    """§6 cameras delete takes `payload.purge`: the one delete with options."""
    return (
        data.get("command") == "delete"
        and data.get("module") in DELETE_OPTIONS
        and isinstance(data.get("payload"), dict)
    )


def error_answer(
    message: str, details: list[dict[str, Any]] | str | None, request: Any
) -> dict[str, Any]:
    """The error object of a failed request; its context echoes the request, secrets removed."""
    return {"error": {"message": message, "details": details, "context": redacted(request)}}


def redacted(value: Any) -> Any:
    """`value` with every field whose name speaks of a secret replaced, at any depth."""
    if isinstance(value, dict):
        return {
            key: REDACTED if _secret_name(key) else redacted(item) for key, item in value.items()
        }
    if isinstance(value, list | tuple):
        return [redacted(item) for item in value]
    return value


def _secret_name(key: Any) -> bool:
    return isinstance(key, str) and any(word in key.lower() for word in SECRET_WORDS)
