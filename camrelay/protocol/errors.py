"""One error tree for the core; each error carries its protocol code (core-http2-api.txt)."""

from __future__ import annotations


class RelayError(Exception):
    """Base of every error the core raises on purpose; `code` is the JSON_BAD code."""

    code = 1

    def __init__(self, detail: str = "") -> None:
        super().__init__(detail or type(self).__name__)
        self.detail = detail


class InternalError(RelayError):
    """Something inside the server failed (code 2)."""

    code = 2


class DatabaseFail(RelayError):
    """The SQLite engine reported an error (code 3)."""

    code = 3


class JsonParserFail(RelayError):
    """The request body is not valid JSON (code 4)."""

    code = 4


class JsonFail(RelayError):
    """The JSON is valid but not shaped as the request needs (code 5)."""

    code = 5


class NoSuchSession(RelayError):
    """The shash is unknown, expired or over its request caps (code 6)."""

    code = 6


class NoSuchUser(RelayError):
    """Wrong account name or password (code 7)."""

    code = 7


class NoDevicesOnline(RelayError):
    """No device of the account is online (code 8)."""

    code = 8


class NoSuchRecord(RelayError):
    """The record id is unknown, erased or of another account (code 9)."""

    code = 9


class NoDataReturned(RelayError):
    """The record exists but holds no data (code 10)."""

    code = 10


class EmptyRequest(RelayError):
    """The request carries no body where one is needed (code 11)."""

    code = 11


class MalformedRequest(RelayError):
    """A required parameter is missing, empty or malformed (code 12)."""

    code = 12


class NoChannel(RelayError):
    """The requested stream does not exist (code 13)."""

    code = 13


class ErroredStream(RelayError):
    """The stream broke: bad frame header, oversized frame, stall (code 14)."""

    code = 14


class NoSuchDevice(RelayError):
    """The account has no device of that name (code 15)."""

    code = 15


class ServerBusy(JsonFail):
    """The server declines for now: too many large answers of one session, or too many request
    bodies in flight (code 5, "other handled server errors"; never 6, which would make a client
    log in again, nor 2, which would report a fault)."""


class NoPermission(RelayError):
    """The role (or device key) may not do this (code 16, CONTRACT §4)."""

    code = 16


class LastAdmin(NoPermission):
    """The request would leave an account without an admin (code 16)."""


class NameTaken(MalformedRequest):
    """A user, account or camera of that name exists already (code 12)."""


class NoSuchKey(NoSuchUser):
    """The device key is unknown, revoked, expired or its secret is wrong (code 7)."""


class QuotaExceeded(RelayError):
    """Storing the record would take the account over its storage quota, kind 7 (code 17)."""

    code = 17


def error_for(code: int) -> RelayError:
    """The error of a JSON_BAD code (clients raise what the server answered)."""
    kinds: dict[int, type[RelayError]] = {}
    for cls in _all_errors():  # the most general class of a code wins (JsonFail, not ServerBusy)
        kinds.setdefault(cls.code, cls)
    kind = kinds.get(code, RelayError)
    error = kind(f"code {code}")
    error.code = code
    return error


def _all_errors() -> list[type[RelayError]]:
    found: list[type[RelayError]] = []
    pending = list(RelayError.__subclasses__())
    while pending:  # breadth first: a base class comes before its subclasses
        cls = pending.pop(0)
        found.append(cls)
        pending.extend(cls.__subclasses__())
    return found
