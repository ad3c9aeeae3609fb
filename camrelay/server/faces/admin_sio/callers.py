"""Who is on each socket: the token it brought (auth, header, query: first found), the identity
it names, and the rooms that carry that identity's events and log lines."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

from ...core.identity import Identity, Role

EVERY_LOG = "logs:*"  # the room of server admins: every log record


@dataclass
class Caller:
    """One socket: its peer address, its identity (None: anonymous) and the token it used."""

    sid: str
    address: str
    identity: Identity | None = None
    token: str | None = None
    checked: float = 0.0  # when the token was last found valid (monotonic)


def token_of(environ: dict[str, Any], auth: Any) -> str | None:
    """The token of a connection: `auth.token`, else `Authorization: Bearer`, else `?token=`."""
    if isinstance(auth, dict) and isinstance(auth.get("token"), str) and auth["token"]:
        return str(auth["token"])
    scheme, _, value = str(environ.get("HTTP_AUTHORIZATION", "")).partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    found = parse_qs(str(environ.get("QUERY_STRING", ""))).get("token")
    return found[0] if found and found[0] else None


def address_of(environ: dict[str, Any]) -> str:
    """The peer's address (the ASGI scope's client; engineio's REMOTE_ADDR is a placeholder)."""
    client = environ.get("asgi.scope", {}).get("client")
    return str(client[0]) if client else "unknown"


def account_room(account_id: int) -> str:
    """Sockets that see every camera of the account."""
    return f"account:{account_id}"


def camera_room(account_id: int, device: str) -> str:
    """Scoped sockets that see this camera."""
    return f"account:{account_id}/camera:{device}"


def log_room(account_id: int) -> str:
    """Admins of the account: its log records."""
    return f"logs:{account_id}"


def camera_event_rooms(account_id: int, device: str) -> list[str]:
    """Where an event about a camera goes: whoever of its account sees it."""
    return [account_room(account_id), camera_room(account_id, device)]


def log_rooms(account_id: int | None) -> list[str]:
    """Where a log record goes: server admins, and its account's admins when it has one."""
    return [EVERY_LOG] if account_id is None else [EVERY_LOG, log_room(account_id)]


def rooms_of(identity: Identity) -> list[str]:
    """The rooms a socket of `identity` joins."""
    if identity.cameras is None:
        rooms = [account_room(identity.account_id)]
    else:
        rooms = [camera_room(identity.account_id, device) for device in sorted(identity.cameras)]
    if identity.role == Role.ADMIN:
        rooms.append(log_room(identity.account_id))
    if identity.server_admin:
        rooms.append(EVERY_LOG)
    return rooms


def receives_logs(identity: Identity | None) -> bool:
    """Whether a socket gets `log` events."""
    return identity is not None and (identity.role == Role.ADMIN or identity.server_admin)


class SocketCounts:
    """Sockets open per account and per address, to refuse one beyond the caps."""

    def __init__(self, per_account: int, per_address: int) -> None:
        self.per_account, self.per_address = per_account, per_address
        self._accounts: Counter[int] = Counter()
        self._addresses: Counter[str] = Counter()
        self.refused = 0

    def admit(self, address: str, identity: Identity | None) -> bool:
        """Count a new socket; False (and nothing counted) when a cap is reached."""
        account = identity.account_id if identity else None
        if self._addresses[address] >= self.per_address or (
            account is not None and self._accounts[account] >= self.per_account
        ):
            self.refused += 1
            return False
        self._addresses[address] += 1
        if account is not None:
            self._accounts[account] += 1
        return True

    def release(self, address: str, identity: Identity | None) -> None:
        """A counted socket went away."""
        self._addresses[address] -= 1
        if self._addresses[address] <= 0:
            del self._addresses[address]
        if identity is not None:
            self._accounts[identity.account_id] -= 1
            if self._accounts[identity.account_id] <= 0:
                del self._accounts[identity.account_id]
