"""Media records: blobs with the sending device, a meta text and a stamp, per account."""

from __future__ import annotations

from dataclasses import dataclass

import aiosqlite

from .db import Database, scalar
from .errors import EmptyRequest, MalformedRequest, NoDataReturned, NoSuchRecord
from .group_commit import GroupCommit
from .stamps import StampSource


@dataclass(frozen=True)
class RecordEntry:
    """A record as getRecordCount.json lists it."""

    rid: int
    device: str
    stamp: str


@dataclass(frozen=True)
class RecordMeta:
    """A record's description as getRecordMeta.json returns it."""

    device: str
    meta: str
    stamp: str


@dataclass(frozen=True)
class _NewRecord:
    account_id: int
    device: str
    meta: str
    data: bytes


class Records:
    """Stores, lists, reads and deletes the records of an account."""

    def __init__(self, db: Database, stamps: StampSource, page_size: int) -> None:
        self._db = db
        self._stamps = stamps
        self._page_size = page_size
        self._writes: GroupCommit[_NewRecord, RecordEntry] = GroupCommit(self._store)

    async def add(self, account_id: int, device: str, meta: str, data: bytes) -> RecordEntry:
        """Store a blob; EmptyRequest when there is no data. Returns once committed."""
        if not data:
            raise EmptyRequest("record data")
        return await self._writes.submit(_NewRecord(account_id, device, meta, data))

    async def _store(self, batch: list[_NewRecord]) -> list[RecordEntry]:
        async def insert(conn: aiosqlite.Connection) -> list[RecordEntry]:
            rows = [
                (r.account_id, r.device, r.meta, self._stamps.next(), len(r.data), r.data)
                for r in batch
            ]
            await conn.executemany(
                "INSERT INTO records(account_id, device, meta, stamp, size, data) "
                "VALUES(?,?,?,?,?,?)",
                rows,
            )
            # AUTOINCREMENT under one write transaction hands out consecutive ids.
            first = await scalar(conn, "SELECT last_insert_rowid()") - len(rows) + 1
            return [RecordEntry(first + i, row[1], row[3]) for i, row in enumerate(rows)]

        return await self._db.write(insert)

    async def since(self, account_id: int, after: str | None) -> list[RecordEntry]:
        """One page of records later than `after` (a normalized stamp), oldest first."""
        rows = await self._db.fetchall(
            "SELECT id, device, stamp FROM records WHERE account_id=? AND stamp>? "
            "ORDER BY stamp LIMIT ?",
            (account_id, after or "", self._page_size),
        )
        return [RecordEntry(*row) for row in rows]

    async def meta(self, account_id: int, rid: int) -> RecordMeta:
        """The description of one record of the account."""
        row = await self._db.fetchone(
            "SELECT device, meta, stamp FROM records WHERE id=? AND account_id=?",
            (rid, account_id),
        )
        if row is None:
            raise NoSuchRecord()
        return RecordMeta(*row)

    async def data(self, account_id: int, rid: int) -> tuple[bytes, str]:
        """The blob and meta text of one record of the account."""
        row = await self._db.fetchone(
            "SELECT data, meta FROM records WHERE id=? AND account_id=?", (rid, account_id)
        )
        if row is None:
            raise NoSuchRecord()
        if not row[0]:
            raise NoDataReturned()
        return bytes(row[0]), row[1]

    async def delete(self, account_id: int, rids: list[int]) -> int:
        """Delete the listed records of the account; a negative id also deletes every record
        older than the oldest one listed. Ids of other accounts or unknown ids are ignored."""
        listed = [rid for rid in rids if rid >= 0]
        if not listed:
            raise MalformedRequest("records")
        marks = ",".join("?" * len(listed))

        async def delete(conn: aiosqlite.Connection) -> int:
            deleted = 0
            if any(rid < 0 for rid in rids):
                deleted += await _delete_older_than_listed(conn, account_id, listed, marks)
            cursor = await conn.execute(
                f"DELETE FROM records WHERE account_id=? AND id IN ({marks})",
                (account_id, *listed),
            )
            return deleted + cursor.rowcount

        return await self._db.write(delete)

    async def purge_older(self, account_id: int, cutoff: str) -> int:
        """Delete the account's records stamped before `cutoff` (retention, kind 1)."""

        async def purge(conn: aiosqlite.Connection) -> int:
            cursor = await conn.execute(
                "DELETE FROM records WHERE account_id=? AND stamp<?", (account_id, cutoff)
            )
            return cursor.rowcount

        return await self._db.write(purge)


async def _delete_older_than_listed(
    conn: aiosqlite.Connection, account_id: int, listed: list[int], marks: str
) -> int:
    oldest = await scalar(
        conn,
        f"SELECT MIN(stamp) FROM records WHERE account_id=? AND id IN ({marks})",
        (account_id, *listed),
    )
    if oldest is None:
        return 0
    cursor = await conn.execute(
        "DELETE FROM records WHERE account_id=? AND stamp<?", (account_id, oldest)
    )
    return int(cursor.rowcount)
