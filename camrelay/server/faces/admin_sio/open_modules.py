"""The modules an anonymous socket may use: `auth` (log in, log out), `health` and `version`."""

from __future__ import annotations

import sys
import time
from importlib import metadata
from typing import Any

from camrelay.protocol.errors import NoSuchUser, RelayError

from ...core.relay import Relay
from .callers import Caller
from .listing import Listing
from .module import Answer, Module, identity_of, only, text
from .requests import UNAUTHORIZED, RequestFailed


class AuthModule(Module):
    """create = log in with {username, password} (the §4 login answer); delete = log out."""

    name = "auth"
    anonymous = True

    def __init__(self, relay: Relay) -> None:
        self.relay = relay

    async def create(self, caller: Caller, payload: dict[str, Any]) -> Answer:
        only(payload, "username", "password")
        username, password = text(payload, "username"), text(payload, "password")
        assert username is not None and password is not None
        try:
            grant = await self.relay.tokens.log_in(username, password, caller.address)
        except NoSuchUser:
            raise RequestFailed(UNAUTHORIZED, "Invalid credentials") from None
        return dict(grant.answer())

    async def delete(self, caller: Caller, entity: str, payload: dict[str, Any]) -> Answer:
        """Revoke the token this socket connected with; the socket goes on, anonymous."""
        identity_of(caller)
        if caller.token is not None:
            await self.relay.tokens.revoke(caller.token)
        return {"loggedOut": True}


class HealthModule(Module):
    """The server's vital signs, one object."""

    name = "health"
    anonymous = True

    def __init__(self, relay: Relay) -> None:
        self.relay = relay
        self.started = time.monotonic()

    async def list(self, caller: Caller, listing: Listing) -> Answer:
        channels = self.relay.streams.channels()
        database = "ok"
        try:
            await self.relay.db.fetchone("SELECT 1")
        except (RelayError, OSError, ValueError):
            database = "error"
        return {
            "status": "ok" if database == "ok" else "degraded",
            "uptime": round(time.monotonic() - self.started, 3),
            "sessions": self.relay.sessions.count(),
            "streams": len(channels),
            "viewers": sum(len(channel.readers) for channel in channels),
            "database": database,
        }


class VersionModule(Module):
    """What is running, one object."""

    name = "version"
    anonymous = True

    async def list(self, caller: Caller, listing: Listing) -> Answer:
        return {
            "name": "camrelay",
            "version": _version(),
            "python": sys.version.split()[0],
            "socketio": _version("python-socketio"),
            "protocol": 5,
        }


def _version(package: str = "camrelay") -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "unknown"
