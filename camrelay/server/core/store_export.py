"""`camrelay export`: a whole store as a stream (store_tables.py), read a page of rows and one
piece of a record at a time, so memory stays bounded whatever the store's size."""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import Any, Protocol

from .blob_reads import BlobReads
from .db import Database
from .store_tables import PIECE, RECORDS, TABLES, Table, header

PAGE = 500  # rows per query


class Sink(Protocol):
    """Where the stream goes: a binary file such as stdout's buffer."""

    def write(self, data: bytes, /) -> object: ...

    def flush(self) -> object: ...


class StoreChanged(Exception):
    """A record changed while it was being read (a server writes to the store)."""


def line(value: object) -> bytes:
    """One line of the stream."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode() + b"\n"


async def rows_of(db: Database, table: Table) -> AsyncIterator[Sequence[Any]]:
    """Every row of `table` in key order, a page at a time (the key picks up where a page ended)."""
    columns, key = ", ".join(table.columns), ", ".join(table.key)
    first = f"SELECT {columns} FROM {table.name} ORDER BY {key} LIMIT {PAGE}"
    after = (
        f"SELECT {columns} FROM {table.name} WHERE ({key}) > ({', '.join('?' * len(table.key))}) "
        f"ORDER BY {key} LIMIT {PAGE}"
    )
    where = [table.columns.index(name) for name in table.key]
    page = await db.fetchall(first)
    while page:
        for row in page:
            yield tuple(row[i] for i in range(len(table.columns)))  # rows index by number
        if len(page) < PAGE:
            return
        last = page[-1]
        page = await db.fetchall(after, [last[i] for i in where])


class RecordBytes:
    """A record's bytes a piece at a time: incremental blob reads on a SQLite file, else
    substr() queries (which PostgreSQL answers from the value's slices)."""

    def __init__(self, db: Database) -> None:
        self._db = db
        path = getattr(db, "path", None)
        self._blobs = BlobReads(path) if isinstance(path, Path) else None

    async def pieces(self, rid: int, size: int) -> AsyncIterator[bytes]:
        """The record's bytes; StoreChanged when they are not `size` bytes any more."""
        got = 0
        if size == 0:
            return
        if self._blobs is not None:
            answer = await self._blobs.open(rid, size)
            async for piece in answer.pieces():
                got += len(piece)
                yield piece
        else:
            while got < size:
                row = await self._db.fetchone(
                    "SELECT substr(data, ?, ?) FROM records WHERE id = ?",
                    (got + 1, min(PIECE, size - got), rid),
                )
                if row is None or not row[0]:
                    break
                got += len(row[0])
                yield bytes(row[0])
        if got != size:
            raise StoreChanged(f"record {rid} changed while it was read: stop the server first")

    def close(self) -> None:
        """Stop the blob thread."""
        if self._blobs is not None:
            self._blobs.close()


async def export_store(db: Database, out: Sink) -> int:
    """Write every row of `db` (at LATEST_SCHEMA) to `out`; returns the number of rows."""
    out.write(line(header(await db.schema_version())))
    count = 0
    data = RecordBytes(db)
    try:
        for table in TABLES:
            async for row in rows_of(db, table):
                out.write(line({"table": table.name, "row": list(row)}))
                count += 1
                if table.name == RECORDS:
                    async for piece in data.pieces(row[0], row[-1]):
                        out.write(line({"piece": base64.b64encode(piece).decode()}))
    finally:
        data.close()
    out.write(line({"end": {"rows": count}}))
    out.flush()
    return count
