"""Bearer tokens for people (CONTRACT §4): `POST /api/login` gives one, the web page, the
state-sync socket and the admin socket accept it. 32 random bytes, stored as a SHA-256 hash,
valid until idle for `idle_s`, a logout, a password or role change, or the user's removal."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import aiosqlite

from .clock import Clock
from .db import Database
from .identity import Identity
from .login_throttle import LoginThrottle
from .users import Users

MAX_TOKEN = 128
TOUCH_EVERY_S = 60.0  # a token's last use is written at most this often


@dataclass(frozen=True)
class TokenGrant:
    """A fresh token with the identity it stands for."""

    token: str
    expires: float
    identity: Identity

    def answer(self) -> dict[str, Any]:
        """The §4 login answer."""
        return {"token": self.token, "expires": iso_time(self.expires), **self.identity.public()}


class Tokens:
    """Issues, checks and revokes tokens."""

    def __init__(
        self, db: Database, clock: Clock, users: Users, throttle: LoginThrottle, idle_s: float
    ) -> None:
        self._db = db
        self._clock = clock
        self._users = users
        self._throttle = throttle
        self.idle_s = idle_s

    async def log_in(self, username: str, password: str, address: str) -> TokenGrant:
        """A token for a user; NoSuchUser (after the same slow-down as authorize) if wrong."""
        async with self._throttle.turn(address, username):
            identity = await self._users.verify(username, password)
        self._throttle.succeeded(address, username)
        return await self.issue(identity)

    async def issue(self, identity: Identity) -> TokenGrant:
        """A new token for a user's identity."""
        assert identity.user_id is not None, "device keys get sessions, not tokens"
        token, now = secrets.token_urlsafe(32), self._clock.now()

        async def insert(conn: aiosqlite.Connection) -> None:
            await conn.execute(
                "INSERT INTO tokens(hash, user_id, created, last_used) VALUES(?,?,?,?)",
                (_hash(token), identity.user_id, now, now),
            )
            # Tokens idle past their time go as new ones are made: the table stays small.
            await conn.execute("DELETE FROM tokens WHERE last_used<?", (now - self.idle_s,))

        await self._db.write(insert)
        return TokenGrant(token, now + self.idle_s, identity)

    async def identify(self, token: str) -> Identity | None:
        """The identity behind a token, or None (unknown, idle too long, revoked)."""
        if not 0 < len(token) <= MAX_TOKEN:
            return None
        row = await self._db.fetchone(
            "SELECT t.last_used, u.name FROM tokens t JOIN users u ON u.id = t.user_id "
            "WHERE t.hash=?",
            (_hash(token),),
        )
        now = self._clock.now()
        if row is None or now - row[0] > self.idle_s:
            return None
        user = await self._users.find(row[1])
        if user is None:
            return None
        if now - row[0] > TOUCH_EVERY_S:
            await self._touch(token, now)
        return user.identity()

    async def expires(self, token: str) -> float | None:
        """When the token lapses if unused from now on."""
        row = await self._db.fetchone("SELECT last_used FROM tokens WHERE hash=?", (_hash(token),))
        return None if row is None else row[0] + self.idle_s

    async def revoke(self, token: str) -> bool:
        """Log out: the token stops working; whether it existed."""

        async def delete(conn: aiosqlite.Connection) -> bool:
            cursor = await conn.execute("DELETE FROM tokens WHERE hash=?", (_hash(token),))
            return cursor.rowcount > 0

        return await self._db.write(delete)

    async def _touch(self, token: str, now: float) -> None:
        async def touch(conn: aiosqlite.Connection) -> None:
            await conn.execute("UPDATE tokens SET last_used=? WHERE hash=?", (now, _hash(token)))

        await self._db.write(touch)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def iso_time(seconds: float) -> str:
    """UTC ISO 8601 with milliseconds and Z, as the faces show times."""
    moment = datetime.fromtimestamp(seconds, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
