"""Media records: blobs with the sending device, a meta text and a stamp, per account."""

from __future__ import annotations

from dataclasses import dataclass

import aiosqlite

from camrelay.protocol.errors import (
    EmptyRequest,
    MalformedRequest,
    NoDataReturned,
    NoSuchRecord,
    QuotaExceeded,
)
from camrelay.protocol.wire_types import RecordEntry, RecordMeta

from .account_config import PURGE_OLDEST, STORAGE_MIB, AccountConfig
from .blob_reads import PIECE, BlobAnswer
from .bus import Bus, RecordAdded, RecordsDeleted
from .db import Database, in_scope, scalar
from .group_commit import GroupCommit
from .read_slots import ReadSlots
from .stamps import StampSource


@dataclass(frozen=True)
class RecordData:
    """What getRecordData answers: the blob whole when it fits one piece, else a stream."""

    meta: str
    size: int
    whole: bytes = b""
    stream: BlobAnswer | None = None


@dataclass(frozen=True)
class _NewRecord:
    account_id: int
    device: str
    meta: str
    data: bytes | bytearray


REQUEST = "request"
RETENTION = "retention"
QUOTA = "quota"
Scope = frozenset[str] | None  # the devices a scoped user sees; None: every device


@dataclass(frozen=True)
class _Quota:
    limit: int  # bytes
    purge: bool  # delete the oldest records to make room instead of refusing


class Records:
    """Stores, lists, reads and deletes the records of an account."""

    def __init__(
        self,
        db: Database,
        stamps: StampSource,
        page_size: int,
        config: AccountConfig,
        reads_per_session: int,
        bus: Bus,
    ) -> None:
        self._db = db
        self._bus = bus
        self._stamps = stamps
        self._page_size = page_size
        self._config = config
        self.blobs = db.blob_reads()
        self.read_slots = ReadSlots(reads_per_session)
        self._writes: GroupCommit[_NewRecord, RecordEntry | QuotaExceeded] = GroupCommit(
            self._store
        )

    async def add(
        self, account_id: int, device: str, meta: str, data: bytes | bytearray
    ) -> RecordEntry:
        """Store a blob; EmptyRequest when there is no data, QuotaExceeded when the account's
        records would outgrow kind 7. Returns once committed."""
        if not data:
            raise EmptyRequest("record data")
        stored = await self._writes.submit(_NewRecord(account_id, device, meta, data))
        if isinstance(stored, QuotaExceeded):
            raise stored
        return stored

    async def _store(self, batch: list[_NewRecord]) -> list[RecordEntry | QuotaExceeded]:
        quotas = {a: await self._quota(a) for a in {r.account_id for r in batch}}
        purged: dict[int, list[int]] = {}  # records deleted to make room, per account

        async def insert(conn: aiosqlite.Connection) -> list[RecordEntry | QuotaExceeded]:
            # Checked inside the write transaction, batch included: two records that together
            # exceed the quota are never both stored, even by two nodes.
            await self._stamps.hold(conn)
            used = await _usage(conn, list(quotas))
            fits = [await _make_room(conn, r, quotas[r.account_id], used, purged) for r in batch]
            # a stamp for each record that fits (None: refused), then the inserts in that order
            claimed = [await self._stamps.claim(conn) if ok else None for ok in fits]
            kept = [(r, stamp) for r, stamp in zip(batch, claimed, strict=True) if stamp]
            ids = iter(await _insert(conn, kept, self._db.consecutive_ids))
            stored: list[RecordEntry | QuotaExceeded] = [
                RecordEntry(next(ids), r.device, stamp) if stamp else QuotaExceeded()
                for r, stamp in zip(batch, claimed, strict=True)
            ]
            return stored

        # awaits nothing but `conn`; the blobs' WAL pages are checkpointed off the writer
        size = sum(len(r.data) for r in batch)
        stored = await self._db.write_at_once(insert, bulk_bytes=size)
        # Published here, once committed, even if a caller stopped waiting.
        for account_id, rids in purged.items():
            self._bus.publish(RecordsDeleted(account_id, tuple(rids), QUOTA))
        for record, entry in zip(batch, stored, strict=True):
            if isinstance(entry, RecordEntry):
                self._bus.publish(
                    RecordAdded(record.account_id, entry.device, entry.rid, entry.stamp)
                )
        return stored

    async def _quota(self, account_id: int) -> _Quota:
        values = await self._config.values(account_id)
        return _Quota(int(values[STORAGE_MIB] * (1 << 20)), values[PURGE_OLDEST] >= 1)

    async def usage(self, account_id: int) -> int:
        """Bytes of records the account stores."""
        row = await self._db.fetchone(
            "SELECT bytes FROM record_usage WHERE account_id=?", (account_id,)
        )
        return int(row[0]) if row else 0

    async def since(
        self, account_id: int, after: str | None, scope: Scope = None
    ) -> list[RecordEntry]:
        """One page of records later than `after` (a normalized stamp), oldest first, of the
        devices in `scope` (every device when None)."""
        only, devices = in_scope("device", scope)
        rows = await self._db.fetchall(
            f"SELECT id, device, stamp FROM records WHERE account_id=? AND stamp>?{only} "
            "ORDER BY stamp LIMIT ?",
            (account_id, after or "", *devices, self._page_size),
        )
        return [RecordEntry(*row) for row in rows]

    async def meta(self, account_id: int, rid: int, scope: Scope = None) -> RecordMeta:
        """The description of one record of the account (of a device in `scope`)."""
        only, devices = in_scope("device", scope)
        row = await self._db.fetchone(
            f"SELECT device, meta, stamp FROM records WHERE id=? AND account_id=?{only}",
            (rid, account_id, *devices),
        )
        if row is None:
            raise NoSuchRecord()
        return RecordMeta(*row)

    async def data(self, account_id: int, rid: int, holder: str, scope: Scope = None) -> RecordData:
        """The blob of one record of the account, with its meta text: whole when it fits one
        piece, else a stream that takes one of `holder`'s read slots (ServerBusy without)."""
        only, devices = in_scope("device", scope)
        row = await self._db.fetchone(
            "SELECT meta, size, CASE WHEN size<=? THEN data END FROM records "
            f"WHERE id=? AND account_id=?{only}",
            (PIECE, rid, account_id, *devices),
        )
        if row is None:
            raise NoSuchRecord()
        meta, size, whole = row
        if not size:
            raise NoDataReturned()
        if whole is not None:
            return RecordData(meta, size, bytes(whole))
        self.read_slots.take(holder)
        stream = await self.blobs.open(rid, size, lambda: self.read_slots.give(holder))
        return RecordData(meta, size, stream=stream)

    async def delete(self, account_id: int, rids: list[int], scope: Scope = None) -> int:
        """Delete the listed records of the account; a negative id also deletes every record
        older than the oldest one listed. Ids of other accounts or unknown ids are ignored,
        and so are records of devices outside `scope`."""
        listed = [rid for rid in rids if rid >= 0]
        if not listed:
            raise MalformedRequest("records")
        if scope is not None:
            listed = await self._in_scope(account_id, listed, scope)
            if not listed:
                return 0
        marks = ",".join("?" * len(listed))

        async def delete(conn: aiosqlite.Connection) -> list[int]:
            deleted = []
            if any(rid < 0 for rid in rids):
                deleted += await _delete_older_than_listed(conn, account_id, listed, marks, scope)
            return deleted + await _deleted_ids(
                conn,
                f"DELETE FROM records WHERE account_id=? AND id IN ({marks})",
                (account_id, *listed),
            )

        return self._deleted(account_id, await self._db.write(delete), REQUEST)

    async def _in_scope(self, account_id: int, rids: list[int], scope: frozenset[str]) -> list[int]:
        """The listed ids that are records of devices in the scope."""
        only, devices = in_scope("device", scope)
        kept: list[int] = []
        for start in range(0, len(rids), 500):
            part = rids[start : start + 500]
            rows = await self._db.fetchall(
                f"SELECT id FROM records WHERE account_id=? AND id IN ({','.join('?' * len(part))})"
                f"{only}",
                (account_id, *part, *devices),
            )
            kept += [row[0] for row in rows]
        return kept

    async def purge_older(self, account_id: int, cutoff: str) -> int:
        """Delete the account's records stamped before `cutoff` (retention, kind 1)."""

        async def purge(conn: aiosqlite.Connection) -> list[int]:
            return await _deleted_ids(
                conn, "DELETE FROM records WHERE account_id=? AND stamp<?", (account_id, cutoff)
            )

        return self._deleted(account_id, await self._db.write(purge), RETENTION)

    def _deleted(self, account_id: int, rids: list[int], reason: str) -> int:
        """Publish what a committed delete removed; how many."""
        if rids:
            self._bus.publish(RecordsDeleted(account_id, tuple(sorted(rids)), reason))
        return len(rids)


async def _deleted_ids(
    conn: aiosqlite.Connection, sql: str, params: tuple[object, ...]
) -> list[int]:
    """Run a DELETE on records and answer the ids it removed."""
    cursor = await conn.execute(sql + " RETURNING id", params)
    rows = await cursor.fetchall()
    await cursor.close()
    return [int(row[0]) for row in rows]


async def _delete_older_than_listed(
    conn: aiosqlite.Connection, account_id: int, listed: list[int], marks: str, scope: Scope
) -> list[int]:
    oldest = await scalar(
        conn,
        f"SELECT MIN(stamp) FROM records WHERE account_id=? AND id IN ({marks})",
        (account_id, *listed),
    )
    if oldest is None:
        return []
    only, devices = in_scope("device", scope)
    return await _deleted_ids(
        conn,
        f"DELETE FROM records WHERE account_id=? AND stamp<?{only}",
        (account_id, oldest, *devices),
    )


async def _usage(conn: aiosqlite.Connection, accounts: list[int]) -> dict[int, int]:
    marks = ",".join("?" * len(accounts))
    cursor = await conn.execute(
        f"SELECT account_id, bytes FROM record_usage WHERE account_id IN ({marks})", accounts
    )
    found = {account: int(used) for account, used in await cursor.fetchall()}
    return {account: found.get(account, 0) for account in accounts}


_INSERT = "INSERT INTO records(account_id, device, meta, stamp, size, data) VALUES"
_ROW = "(?,?,?,?,?,?)"
# Rows of one multi-row INSERT, each blob at most _SMALL: its single cached statement keeps the
# last chunk's blobs bound after it ran (sqlite3 never clears bindings; a statement per batch
# size kept every size's last batch, 330 MB after 128 sizes of 40 KB batches), so at most 2 MiB.
_CHUNK = 8
_SMALL = 256 << 10


async def _insert(
    conn: aiosqlite.Connection, rows: list[tuple[_NewRecord, str]], consecutive_ids: bool
) -> list[int]:
    """Insert the records with their stamps, in order; their ids. Where one INSERT of n rows
    gets n consecutive ids (SQLite: one writer), small records go _CHUNK to a statement: each
    SQLite step lets go of the GIL and the writer's thread then waits for the busy event loop to
    let go of it (~100 us at 100 uploads in flight), once a chunk instead of once a record.
    Elsewhere one by one, each id as inserted (other nodes' inserts interleave)."""
    values = [(r.account_id, r.device, r.meta, stamp, len(r.data), r.data) for r, stamp in rows]
    ids: list[int] = []
    for start in range(0, len(values), _CHUNK):
        chunk = values[start : start + _CHUNK]
        if consecutive_ids and len(chunk) == _CHUNK and all(row[4] <= _SMALL for row in chunk):
            flat = [value for row in chunk for value in row]
            cursor = await conn.execute(_INSERT + ",".join([_ROW] * _CHUNK), flat)
            last = int(cursor.lastrowid or 0)
            ids += range(last - _CHUNK + 1, last + 1)
            continue
        for row in chunk:
            cursor = await conn.execute(_INSERT + _ROW, row)
            ids.append(int(cursor.lastrowid or 0))
    return ids


async def _make_room(
    conn: aiosqlite.Connection,
    record: _NewRecord,
    quota: _Quota,
    used: dict[int, int],
    purged: dict[int, list[int]],
) -> bool:
    """Whether the record fits the account's quota, after deleting its oldest records when the
    account asks for that (kind 8, their ids added to `purged`); counts it in `used` if so."""
    size, account = len(record.data), record.account_id
    excess = used[account] + size - quota.limit
    if excess > 0 and quota.purge and size <= quota.limit:
        used[account] -= await _purge_oldest(conn, account, excess, purged.setdefault(account, []))
        excess = used[account] + size - quota.limit
    if excess > 0:
        return False
    used[account] += size
    return True


async def _purge_oldest(
    conn: aiosqlite.Connection, account_id: int, wanted: int, doomed: list[int]
) -> int:
    """Delete the account's oldest records until `wanted` bytes are freed, their ids added to
    `doomed`; the bytes freed."""
    cursor = await conn.execute(
        "SELECT id, size FROM records WHERE account_id=? ORDER BY stamp", (account_id,)
    )
    first, freed = len(doomed), 0
    while freed < wanted:
        rows = await cursor.fetchmany(256)
        if not rows:
            break
        for rid, size in rows:
            if freed >= wanted:
                break
            doomed.append(rid)
            freed += size
    await cursor.close()
    for start in range(first, len(doomed), 500):
        part = doomed[start : start + 500]
        await conn.execute(f"DELETE FROM records WHERE id IN ({','.join('?' * len(part))})", part)
    return freed
