"""Whether state sockets' logins still hold (CONTRACT §4): a logout, a password change, a role
or scope change or the user's deletion must not leave an open socket its old rights."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Protocol

from ...core.identity import Identity
from ...core.relay import Relay

ENDED = {"authenticated": False, "error": "Login no longer valid"}
Source = tuple[str, str]  # what a login is checked against: ("token", t), ("key", id), ("user", n)
log = logging.getLogger(__name__)


@dataclass
class Login:
    """Who a socket logged in as, and with what: a token, or None (a password or a key)."""

    who: Identity
    token: str | None

    @property
    def source(self) -> Source:
        if self.token is not None:
            return ("token", self.token)
        if self.who.key_id is not None:
            return ("key", self.who.key_id)
        return ("user", self.who.name)

    def now(self, found: Identity | None) -> Identity | None:
        """What this login carries given its source's look-up (None: it no longer holds)."""
        if found is not None and self.token is None and found.user_id != self.who.user_id:
            return None  # a new user of the same name
        return found


class Checked(Protocol):
    """A socket whose login is checked: told what the look-up found."""

    def login_checked(self, found: Identity | None) -> None: ...


class LoginChecks:
    """One task looks every open login up again each `every_s`: one look-up per login, however
    many sockets share it, and no wake-up for a socket whose login did not change."""

    def __init__(self, relay: Relay, every_s: float) -> None:
        self._relay = relay
        self.every_s = every_s
        self._sockets: dict[Source, tuple[Login, dict[Checked, None]]] = {}
        self.lookups = 0  # look-ups made, since start

    def add(self, login: Login, sock: Checked) -> None:
        """Check this socket's login from now on."""
        self._sockets.setdefault(login.source, (login, {}))[1][sock] = None

    def discard(self, login: Login, sock: Checked) -> None:
        """Stop checking it (the socket left the login, or closed)."""
        entry = self._sockets.get(login.source)
        if entry is not None:
            entry[1].pop(sock, None)
            if not entry[1]:
                del self._sockets[login.source]

    async def run(self) -> None:
        """Check every login each period, until cancelled."""
        while True:
            await asyncio.sleep(self.every_s)
            await self.check_all()

    async def check_all(self) -> None:
        """Look each login up once and tell its sockets."""
        for source, (login, sockets) in list(self._sockets.items()):
            try:
                found = await self._look_up(login)
            except Exception:  # one failed look-up must not stop the checks of the others
                log.exception("state: could not check a %s login", source[0])
                continue
            for sock in list(sockets):
                sock.login_checked(found)

    async def _look_up(self, login: Login) -> Identity | None:
        self.lookups += 1
        who = login.who
        if login.token is not None:  # a logout, a password, role or scope change end a token
            return await self._relay.tokens.identify(login.token)
        if who.key_id is not None:
            key = await self._relay.keys.find(who.account_id, who.key_id)
            return who if key is not None and key.usable(self._relay.clock.now()) else None
        user = await self._relay.users.find(who.name)
        return user.identity() if user is not None else None
