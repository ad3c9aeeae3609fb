"""One consistent view of a whole store for `camrelay export`, so it can run while servers write:
every query of the export, record bytes and id counters included, reads the same moment.

SQLite: one read transaction on the store's reader connection (WAL keeps its snapshot while
writers commit; the WAL cannot be checkpointed past it until the export ends).
PostgreSQL: one REPEATABLE READ READ ONLY transaction (pg_database.PgSnapshot).
"""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any, Protocol

import aiosqlite

from camrelay.protocol.errors import DatabaseFail

from .blob_reads import PIECE
from .store_tables import RECORDS, SEQUENCED


class Snapshot(Protocol):
    """Reads that all see the store as it was when the snapshot began."""

    async def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[Any]: ...

    def pieces(self, rid: int, size: int) -> AsyncIterator[bytes]: ...

    async def highest_ids(self) -> dict[str, int]: ...


async def substr_pieces(snapshot: Snapshot, rid: int, size: int) -> AsyncIterator[bytes]:
    """A record's bytes by substr() queries (PostgreSQL answers them from the value's slices);
    stops early if the record is not there."""
    got = 0
    while got < size:
        rows = await snapshot.fetchall(
            "SELECT substr(data, ?, ?) FROM records WHERE id = ?",
            (got + 1, min(PIECE, size - got), rid),
        )
        if not rows or not rows[0][0]:
            return
        got += len(rows[0][0])
        yield bytes(rows[0][0])


class SqliteSnapshot:
    """Reads inside one read transaction of an aiosqlite connection."""

    def __init__(self, conn: aiosqlite.Connection) -> None:
        self._conn = conn

    async def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        try:
            async with self._conn.execute(sql, params) as cursor:
                return list(await cursor.fetchall())
        except sqlite3.Error as exc:
            raise DatabaseFail(str(exc)) from exc

    async def pieces(self, rid: int, size: int) -> AsyncIterator[bytes]:
        """Incremental blob reads on the snapshot's connection (no record is whole in memory);
        aiosqlite has no public call for them, so they run on its thread by hand."""
        if size == 0:
            return
        conn = self._conn
        try:
            blob = await conn._execute(conn._conn.blobopen, RECORDS, "data", rid, readonly=True)
            try:
                got = 0
                while got < size:
                    piece = await conn._execute(blob.read, min(PIECE, size - got))
                    if not piece:
                        return
                    got += len(piece)
                    yield piece
            finally:
                await conn._execute(blob.close)
        except sqlite3.Error as exc:
            raise DatabaseFail(f"record {rid}: {exc}") from exc

    async def highest_ids(self) -> dict[str, int]:
        """AUTOINCREMENT's counters (no row: the table never had one)."""
        rows = await self.fetchall("SELECT name, seq FROM sqlite_sequence")
        found = {str(row[0]): int(row[1]) for row in rows}
        return {name: found.get(name, 0) for name in SEQUENCED}


@asynccontextmanager
async def sqlite_snapshot(conn: aiosqlite.Connection) -> AsyncIterator[SqliteSnapshot]:
    """A read transaction on `conn` for the block (see Database.snapshot)."""
    await conn.execute("BEGIN")
    try:
        # A deferred transaction takes its snapshot at its first read: take it now.
        await conn.execute("SELECT 1 FROM sqlite_master LIMIT 1")
        yield SqliteSnapshot(conn)
    finally:
        await conn.execute("ROLLBACK")
