"""Device keys (CONTRACT §4): a camera authorizes with a key of its own, not the account's
password. The secret is shown once and stored as a SHA-256 hash: it is 32 random bytes, so a
slow hash would add nothing but cost; a key is checked without an argon2 slot."""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import aiosqlite

from camrelay.protocol.errors import MalformedRequest, NoSuchKey

from .bus import Bus, KeyRefused, KeyUsed
from .clock import Clock
from .db import Database, scalar
from .identity import Identity, Role

# Records about an account carry `account_id` (extra): the admin API sends them to its admins.
log = logging.getLogger("camrelay.keys")

KEY_ID_CHARS = 16
MAX_LIFETIME_S = 100 * 365 * 86400.0
Reconcile = Callable[[], Awaitable[None]]
REVOKED, EXPIRED, WRONG_SECRET = "revoked", "expired", "wrong secret"
_COLUMNS = "k.id, k.device, k.account_id, k.created, k.expires, k.revoked, k.last_used, k.uses"


@dataclass(frozen=True)
class KeyInfo:
    """A device key as lists show it: never its secret."""

    id: str
    device: str
    account_id: int
    created: float
    expires: float | None
    revoked: float | None
    last_used: float | None
    uses: int

    def usable(self, now: float) -> bool:
        """Neither revoked nor expired."""
        return self.revoked is None and (self.expires is None or now < self.expires)


class DeviceKeys:
    """Creates, lists, checks and revokes device keys."""

    def __init__(self, db: Database, clock: Clock, bus: Bus, ended: Reconcile) -> None:
        self._db = db
        self._clock = clock
        self._bus = bus
        self._ended = ended  # forgets the live sessions whose rows a revocation deleted

    async def create(
        self, account_id: int, device: str, expires_in: float | None = None
    ) -> tuple[KeyInfo, str]:
        """A new key for one camera device; the secret is returned here and never again."""
        if not 0 < len(device) <= 128:
            raise MalformedRequest("device: 1-128 characters")
        if expires_in is not None and not 0 < expires_in <= MAX_LIFETIME_S:
            raise MalformedRequest("expiresIn: seconds, more than 0, at most 100 years")
        key_id = "key_" + secrets.token_urlsafe(12)[:KEY_ID_CHARS]
        secret = secrets.token_urlsafe(32)
        now = self._clock.now()
        expires = None if expires_in is None else now + expires_in

        async def insert(conn: aiosqlite.Connection) -> None:
            await conn.execute(
                "INSERT INTO device_keys(id, account_id, device, secret_hash, created, expires) "
                "VALUES(?,?,?,?,?,?)",
                (key_id, account_id, device, _hash(secret), now, expires),
            )

        await self._db.write(insert)
        return KeyInfo(key_id, device, account_id, now, expires, None, None, 0), secret

    async def list(self, account_id: int | None = None) -> list[KeyInfo]:
        """The keys of an account (of every account when None), oldest first."""
        where, args = ("WHERE k.account_id=? ", (account_id,)) if account_id else ("", ())
        rows = await self._db.fetchall(
            f"SELECT {_COLUMNS} FROM device_keys k {where}ORDER BY k.created, k.id", args
        )
        return [KeyInfo(*row) for row in rows]

    async def find(self, account_id: int | None, key_id: str) -> KeyInfo | None:
        """The key of that id (in that account, unless None), if any."""
        row = await self._db.fetchone(
            f"SELECT {_COLUMNS} FROM device_keys k WHERE k.id=?", (key_id,)
        )
        if row is None or (account_id is not None and row[2] != account_id):
            return None
        return KeyInfo(*row)

    async def revoke(self, account_id: int | None, key_id: str) -> KeyInfo:
        """Revoke a key: its sessions and uploads end at once."""
        now = self._clock.now()

        async def revoke(conn: aiosqlite.Connection) -> None:
            owner = await scalar(conn, "SELECT account_id FROM device_keys WHERE id=?", (key_id,))
            if owner is None or (account_id is not None and owner != account_id):
                raise NoSuchKey(key_id)
            await conn.execute(
                "UPDATE device_keys SET revoked=COALESCE(revoked, ?) WHERE id=?", (now, key_id)
            )
            await conn.execute("DELETE FROM sessions WHERE key_id=?", (key_id,))

        await self._db.write(revoke)
        await self._ended()
        found = await self.find(account_id, key_id)
        assert found is not None
        return found

    async def verify(self, key_id: str, secret: str) -> Identity:
        """The identity of a usable key with that secret; NoSuchKey otherwise (published)."""
        row = await self._db.fetchone(
            f"SELECT {_COLUMNS}, k.secret_hash, a.name FROM device_keys k "
            "JOIN accounts a ON a.id = k.account_id WHERE k.id=?",
            (key_id,),
        )
        if row is None:
            raise NoSuchKey()
        key, now = KeyInfo(*row[:8]), self._clock.now()
        reason = _refusal(key, now, hmac.compare_digest(row[8], _hash(secret)))
        if reason:
            self._bus.publish(KeyRefused(key.account_id, key.device, key.id, reason))
            log.warning(
                "device key %s of device %s refused (%s)",
                key.id,
                key.device,
                reason,
                extra={"account_id": key.account_id},
            )
            raise NoSuchKey()
        await self._used(key, now)
        self._bus.publish(KeyUsed(key.account_id, key.device, key.id, first=key.uses == 0))
        return key_identity(key.account_id, row[9], key.id, key.device, key.expires)

    async def _used(self, key: KeyInfo, now: float) -> None:
        async def count(conn: aiosqlite.Connection) -> None:
            await conn.execute(
                "UPDATE device_keys SET uses=uses+1, last_used=? WHERE id=?", (now, key.id)
            )

        await self._db.write(count)


def _refusal(key: KeyInfo, now: float, secret_ok: bool) -> str:
    if not secret_ok:
        return WRONG_SECRET
    if key.revoked is not None:
        return REVOKED
    if key.expires is not None and now >= key.expires:
        return EXPIRED
    return ""


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()


def key_identity(
    account_id: int, account: str, key_id: str, device: str, expires: float | None
) -> Identity:
    """What a session opened with the key may do: its own device, until the key expires."""
    return Identity(
        account_id, account, key_id, Role.DEVICE, frozenset({device}), key_id=key_id, until=expires
    )
