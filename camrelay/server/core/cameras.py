"""Registered cameras (CONTRACT §5, §6): a device is a camera once registered here, once it
holds a device key, or once it uploaded input.raw; the registry keeps its meta and whether its
admin made it public."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import aiosqlite

from camrelay.protocol.errors import MalformedRequest, NameTaken, NoSuchDevice

from .bus import Bus, CameraChanged, RecordsDeleted
from .clock import Clock
from .db import Database, scalar

MAX_META = 4096
Reconcile = Callable[[], Awaitable[None]]


@dataclass(frozen=True)
class CameraInfo:
    """A camera's registry entry."""

    name: str
    meta: str
    public: bool
    created: float


class Cameras:
    """Registers, lists, changes and removes cameras."""

    def __init__(self, db: Database, clock: Clock, bus: Bus, ended: Reconcile) -> None:
        self._db = db
        self._clock = clock
        self._bus = bus
        self._ended = ended  # forgets the live sessions whose rows a removal deleted

    async def list(self, account_id: int) -> list[CameraInfo]:
        """Every camera of the account: registered, holding a key or having streamed."""
        rows = await self._db.fetchall(
            "SELECT name, meta, public, created FROM cameras WHERE account_id=? "
            "UNION SELECT device, '', 0, MIN(created) FROM device_keys WHERE account_id=? "
            "AND device NOT IN (SELECT name FROM cameras WHERE account_id=?) GROUP BY device "
            "ORDER BY 1",
            (account_id, account_id, account_id),
        )
        return [CameraInfo(row[0], row[1], bool(row[2]), row[3]) for row in rows]

    async def find(self, account_id: int, name: str) -> CameraInfo | None:
        """One camera of the account, if it is one."""
        for camera in await self.list(account_id):
            if camera.name == name:
                return camera
        return None

    async def create(
        self, account_id: int, name: str, meta: str = "", public: bool = False
    ) -> CameraInfo:
        """Register a camera; NameTaken if it is registered already."""
        _check(name, meta)
        now = self._clock.now()

        async def insert(conn: aiosqlite.Connection) -> None:
            if await _registered(conn, account_id, name):
                raise NameTaken(name)
            await conn.execute(
                "INSERT INTO cameras(account_id, name, meta, public, created) VALUES(?,?,?,?,?)",
                (account_id, name, meta, int(public), now),
            )

        await self._db.write(insert)
        self._bus.publish(CameraChanged(account_id, name))
        return CameraInfo(name, meta, public, now)

    async def seen(self, account_id: int, name: str) -> None:
        """Register a device that started streaming, if it is not registered yet."""

        async def insert(conn: aiosqlite.Connection) -> None:
            await conn.execute(
                "INSERT OR IGNORE INTO cameras(account_id, name, created) VALUES(?,?,?)",
                (account_id, name, self._clock.now()),
            )

        await self._db.write(insert)

    async def update(
        self, account_id: int, name: str, *, meta: str | None = None, public: bool | None = None
    ) -> CameraInfo:
        """Change a camera's meta or public flag (registering a keyed camera on the way)."""
        camera = await self.find(account_id, name)
        if camera is None:
            raise NoSuchDevice(name)
        meta = camera.meta if meta is None else meta
        public = camera.public if public is None else public
        _check(name, meta)

        async def upsert(conn: aiosqlite.Connection) -> None:
            await conn.execute(
                "INSERT INTO cameras(account_id, name, meta, public, created) VALUES(?,?,?,?,?) "
                "ON CONFLICT(account_id, name) DO UPDATE SET meta=excluded.meta, "
                "public=excluded.public",
                (account_id, name, meta, int(public), camera.created),
            )

        await self._db.write(upsert)
        self._bus.publish(CameraChanged(account_id, name))
        return CameraInfo(name, meta, public, camera.created)

    async def delete(self, account_id: int, name: str, purge: bool = False) -> None:
        """Remove a camera with its keys (their sessions end), and its records when `purge`."""
        if await self.find(account_id, name) is None:
            raise NoSuchDevice(name)

        async def delete(conn: aiosqlite.Connection) -> list[int]:
            await conn.execute(
                "DELETE FROM cameras WHERE account_id=? AND name=?", (account_id, name)
            )
            await conn.execute(
                "DELETE FROM device_keys WHERE account_id=? AND device=?", (account_id, name)
            )
            await conn.execute(
                "DELETE FROM sessions WHERE key_id IS NOT NULL AND key_id NOT IN "
                "(SELECT id FROM device_keys)"
            )
            if not purge:
                return []
            cursor = await conn.execute(
                "DELETE FROM records WHERE account_id=? AND device=? RETURNING id",
                (account_id, name),
            )
            return [row[0] for row in await cursor.fetchall()]

        rids = await self._db.write(delete)
        await self._ended()
        if rids:
            self._bus.publish(RecordsDeleted(account_id, tuple(rids), "camera removed"))
        self._bus.publish(CameraChanged(account_id, name, removed=True))


async def _registered(conn: aiosqlite.Connection, account_id: int, name: str) -> bool:
    found = await scalar(
        conn, "SELECT 1 FROM cameras WHERE account_id=? AND name=?", (account_id, name)
    )
    return found is not None


def _check(name: str, meta: str) -> None:
    if not 0 < len(name) <= 128:
        raise MalformedRequest("camera names are 1-128 characters")
    if len(meta) > MAX_META:
        raise MalformedRequest(f"meta: at most {MAX_META} characters")
