"""Messages between the devices of an account, with per-device sync points.

A device receives messages addressed to it and broadcasts (empty target), never its own.
Handing out a targeted message marks it given; a fetch also records the newest stamp handed to
the device. A sync (getMsgsAndSync, or addMsgs with "sync") deletes exactly the targeted
messages the device was given and moves its sync point to that newest stamp. A message the
device has not been given is never deleted by a sync. A fetch from a stamp returns what is
stored after it; a fetch without one returns the broadcasts after the sync point and every
targeted message not yet acknowledged, however old, so a device that once fetched from a late
stamp still gets the earlier ones on its next plain poll. A broadcast skipped that way stays
(found from an early stamp) until kind 5 hours; everything lives at most kind 6 days.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import aiosqlite

from .bus import Bus, MessageAdded
from .db import Database, in_scope
from .stamps import StampSource

SYNC = "sync"
_SELECT = (
    "SELECT id, msg, sender, params, stamp, target<>'' AND given=0 FROM messages "
    "WHERE account_id=? AND sender<>? AND "
)
_POINT = "COALESCE((SELECT sync_stamp FROM devices WHERE account_id=? AND device=?), '')"


@dataclass(frozen=True)
class NewMessage:
    """A message as a device sends it; `params` is JSON text."""

    msg: str
    target: str = ""
    params: str = "{}"


@dataclass(frozen=True)
class Message:
    """A message as a device receives it; `params` is JSON text."""

    msg: str
    device: str
    params: str
    stamp: str


class Messages:
    """Stores and hands out the messages of every account."""

    def __init__(self, db: Database, stamps: StampSource, page_size: int, bus: Bus) -> None:
        self._db = db
        self._bus = bus
        self._stamps = stamps
        self._page_size = page_size
        # The newest stamp known to be stored as given, per device: a poll that hands out
        # nothing newer needs no write.
        self._given: dict[tuple[int, str], str] = {}

    async def add(self, account_id: int, sender: str, batch: list[NewMessage]) -> None:
        """Store a batch all or nothing; an entry named 'sync' acknowledges instead."""
        stored = [m for m in batch if m.msg != SYNC]
        stamps: list[str] = []

        async def insert(conn: aiosqlite.Connection) -> None:
            for message in stored:
                stamps.append(await self._stamps.claim(conn))
                await conn.execute(
                    "INSERT INTO messages(account_id, sender, target, msg, params, stamp) "
                    "VALUES(?,?,?,?,?,?)",
                    (account_id, sender, message.target, message.msg, message.params, stamps[-1]),
                )
            if len(stored) < len(batch):
                await _sync(conn, account_id, sender)

        await self._db.write(insert)
        for message, stamp in zip(stored, stamps, strict=True):
            self._bus.publish(MessageAdded(account_id, sender, message.target, message.msg, stamp))

    async def fetch(
        self,
        account_id: int,
        device: str,
        after: str | None,
        sync: bool = False,
        senders: frozenset[str] | None = None,
    ) -> list[Message]:
        """One page of the device's messages later than `after`; without it, those after its
        sync point and every targeted one not yet acknowledged. Only messages from `senders`
        (a scoped user's cameras) when given."""
        rows = await self._page(account_id, device, after, senders)
        messages = [Message(*row[1:5]) for row in rows]
        fresh = [row[0] for row in rows if row[5]]
        key = (account_id, device)
        newer = bool(messages) and messages[-1].stamp > self._given.get(key, "")
        if fresh or newer or sync:

            async def record(conn: aiosqlite.Connection) -> None:
                await _mark_given(conn, fresh)
                if newer:
                    await _given(conn, account_id, device, messages[-1].stamp)
                if sync:
                    await _sync(conn, account_id, device)

            await self._db.write(record)
            if newer:
                self._given[key] = messages[-1].stamp
        return messages

    async def _page(
        self, account_id: int, device: str, after: str | None, senders: frozenset[str] | None
    ) -> list[Any]:
        """Rows of (id, msg, sender, params, stamp, targeted and not yet given)."""
        only, scope = in_scope("sender", senders)
        later = _SELECT + "stamp>? AND (target='' OR target=?)" + only
        params: tuple[Any, ...] = (account_id, device, after, device, *scope)
        if after is None:
            # The sync point read inside the query: one round trip to the store, not two.
            later = _SELECT + f"stamp>{_POINT} AND (target='' OR target=?)" + only
            later += " UNION ALL " + _SELECT + f"stamp<={_POINT} AND target=?" + only
            params = (
                *(account_id, device, account_id, device, device, *scope),
                *(account_id, device, account_id, device, device, *scope),
            )
        return await self._db.fetch_small(
            later + " ORDER BY stamp LIMIT ?", (*params, self._page_size)
        )

    async def params_of(self, account_id: int, sender: str, stamp: str) -> str | None:
        """The params of one stored message (a MessageAdded event's), if it is still stored."""
        row = await self._db.fetchone(
            "SELECT params FROM messages WHERE account_id=? AND sender=? AND stamp=?",
            (account_id, sender, stamp),
        )
        return row[0] if row else None

    async def sync(self, account_id: int, device: str) -> None:
        """Acknowledge everything the device has been given."""
        await self._db.write(lambda conn: _sync(conn, account_id, device))

    async def purge(self, account_id: int, broadcast_cutoff: str, cutoff: str) -> int:
        """Delete broadcasts stamped before `broadcast_cutoff` and anything before `cutoff`."""

        async def purge(conn: aiosqlite.Connection) -> int:
            cursor = await conn.execute(
                "DELETE FROM messages WHERE account_id=? AND (stamp<? OR (target='' AND stamp<?))",
                (account_id, cutoff, broadcast_cutoff),
            )
            return cursor.rowcount

        return await self._db.write(purge)


async def _given(conn: aiosqlite.Connection, account_id: int, device: str, stamp: str) -> None:
    await conn.execute(
        "INSERT INTO devices(account_id, device, given_stamp) VALUES(?,?,?) "
        "ON CONFLICT(account_id, device) DO UPDATE SET "
        "given_stamp=CASE WHEN excluded.given_stamp > devices.given_stamp "
        "THEN excluded.given_stamp ELSE devices.given_stamp END",
        (account_id, device, stamp),
    )


async def _mark_given(conn: aiosqlite.Connection, ids: list[int]) -> None:
    for start in range(0, len(ids), 500):  # SQLite caps the parameters of one statement
        chunk = ids[start : start + 500]
        marks = ",".join("?" * len(chunk))
        await conn.execute(f"UPDATE messages SET given=1 WHERE id IN ({marks})", chunk)


async def _sync(conn: aiosqlite.Connection, account_id: int, device: str) -> None:
    await conn.execute(
        "UPDATE devices SET sync_stamp="
        "CASE WHEN given_stamp > sync_stamp THEN given_stamp ELSE sync_stamp END "
        "WHERE account_id=? AND device=?",
        (account_id, device),
    )
    await conn.execute(
        "DELETE FROM messages WHERE account_id=? AND target=? AND sender<>? AND given=1 "
        "AND stamp<=("
        "SELECT sync_stamp FROM devices WHERE account_id=? AND device=?)",
        (account_id, device, device, account_id, device),
    )
