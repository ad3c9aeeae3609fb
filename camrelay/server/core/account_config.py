"""Config kinds 1-8 per account: what they mean, their bounds, and the values in force."""

from __future__ import annotations

from dataclasses import dataclass

import aiosqlite

from camrelay.protocol.errors import MalformedRequest

from .bus import Bus, ConfigChanged, Event
from .db import Database


@dataclass(frozen=True)
class Kind:
    """One configuration kind as getConfig.json lists it."""

    kind: int
    descr: str
    miv: float
    mav: float
    dv: float
    whole: bool = False  # only whole numbers (a switch: 0 or 1)


RECORDS_DAYS = 1
SESSION_MINUTES = 2
SESSION_MAX_REQUESTS = 3
SESSION_MAX_PER_MINUTE = 4
BROADCAST_HOURS = 5
MESSAGES_DAYS = 6
STORAGE_MIB = 7
PURGE_OLDEST = 8

KINDS: dict[int, Kind] = {
    k.kind: k
    for k in (
        Kind(RECORDS_DAYS, "old records timeout (days)", 0.004, 168, 30),
        Kind(SESSION_MINUTES, "dead sessions timeout (minutes)", 3, 30, 10),
        Kind(SESSION_MAX_REQUESTS, "max requests for session", 200, 10000, 1500),
        Kind(SESSION_MAX_PER_MINUTE, "max reqs per min for session", 20, 200, 50),
        Kind(BROADCAST_HOURS, "broadcasts lifetime (hr)", 1, 750, 125),
        Kind(MESSAGES_DAYS, "overall messages lifetime (days)", 1, 120, 30),
        Kind(STORAGE_MIB, "storage quota (MiB)", 1, 1_048_576, 10_240),
        # 1: a record over the quota deletes the account's oldest records instead of answering 17.
        Kind(PURGE_OLDEST, "purge oldest records when over quota", 0, 1, 0, whole=True),
    )
}


@dataclass(frozen=True)
class ConfigValue:
    """A kind with the value in force for one account."""

    kind: Kind
    fv: float


class AccountConfig:
    """Reads and writes the per-account values; caches them, since every request needs some."""

    def __init__(self, db: Database, bus: Bus) -> None:
        self._db = db
        self._bus = bus
        self._cache: dict[int, dict[int, float]] = {}

    async def values(self, account_id: int) -> dict[int, float]:
        """Every kind's value in force for the account (defaults where unset)."""
        cached = self._cache.get(account_id)
        if cached is None:
            rows = await self._db.fetchall(
                "SELECT kind, value FROM account_config WHERE account_id=?", (account_id,)
            )
            cached = {kind: k.dv for kind, k in KINDS.items()}
            cached.update({kind: value for kind, value in rows if kind in KINDS})
            self._cache[account_id] = cached
        return cached

    async def value(self, account_id: int, kind: int) -> float:
        """The value in force of one kind."""
        return (await self.values(account_id))[kind]

    async def listing(self, account_id: int) -> list[ConfigValue]:
        """All kinds with their values, in kind order."""
        values = await self.values(account_id)
        return [ConfigValue(KINDS[kind], values[kind]) for kind in sorted(KINDS)]

    async def update(self, account_id: int, changes: list[tuple[int, float]]) -> None:
        """Set several kinds at once; an unknown kind or a value out of bounds changes nothing."""
        if not changes:
            raise MalformedRequest("config")
        for kind, value in changes:
            spec = KINDS.get(kind)
            if spec is None or not spec.miv <= value <= spec.mav or _fraction(spec, value):
                raise MalformedRequest(f"config kind {kind}")
        rows = [(account_id, kind, value) for kind, value in changes]

        async def upsert(conn: aiosqlite.Connection) -> None:
            await conn.executemany(
                "INSERT INTO account_config(account_id, kind, value) VALUES(?,?,?) "
                "ON CONFLICT(account_id, kind) DO UPDATE SET value=excluded.value",
                rows,
            )

        await self._db.write(upsert)
        self._cache.pop(account_id, None)
        self._bus.publish(ConfigChanged(account_id, tuple((k, float(v)) for k, v in changes)))

    def on_remote(self, node: str, event: Event) -> None:
        """Another node set the account's config: read it again on next use."""
        if isinstance(event, ConfigChanged):
            self.forget(event.account_id)

    async def forget_all(self) -> None:
        """Drop every cached value (changes made elsewhere may have been missed)."""
        self._cache.clear()

    def forget(self, account_id: int) -> None:
        """Drop the cached values of an account (deleted or changed from outside)."""
        self._cache.pop(account_id, None)


def _fraction(spec: Kind, value: float) -> bool:
    return spec.whole and not float(value).is_integer()
