"""`camrelay export`: a whole store as a stream (store_tables.py), read a page of rows and one
piece of a record at a time, so memory stays bounded whatever the store's size, all in one
snapshot (store_snapshot.py), so the stream is the store at one moment."""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator, Sequence
from typing import Any, Protocol

from .db import Database
from .store_snapshot import Snapshot
from .store_tables import RECORDS, TABLES, Table, header

PAGE = 500  # rows per query


class Sink(Protocol):
    """Where the stream goes: a binary file such as stdout's buffer."""

    def write(self, data: bytes, /) -> object: ...

    def flush(self) -> object: ...


class StoreChanged(Exception):
    """A record's bytes are not as long as its row says."""


def line(value: object) -> bytes:
    """One line of the stream."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode() + b"\n"


async def rows_of(snapshot: Snapshot, table: Table) -> AsyncIterator[Sequence[Any]]:
    """Every row of `table` in key order, a page at a time (the key picks up where a page ended)."""
    columns, key = ", ".join(table.columns), ", ".join(table.key)
    first = f"SELECT {columns} FROM {table.name} ORDER BY {key} LIMIT {PAGE}"
    after = (
        f"SELECT {columns} FROM {table.name} WHERE ({key}) > ({', '.join('?' * len(table.key))}) "
        f"ORDER BY {key} LIMIT {PAGE}"
    )
    where = [table.columns.index(name) for name in table.key]
    page = await snapshot.fetchall(first)
    while page:
        for row in page:
            yield tuple(row[i] for i in range(len(table.columns)))  # rows index by number
        if len(page) < PAGE:
            return
        last = page[-1]
        page = await snapshot.fetchall(after, [last[i] for i in where])


async def record_pieces(snapshot: Snapshot, rid: int, size: int) -> AsyncIterator[bytes]:
    """A record's bytes; StoreChanged if they are not `size` bytes (a snapshot never changes:
    only a store broken meanwhile gets here)."""
    got = 0
    async for piece in snapshot.pieces(rid, size):
        got += len(piece)
        yield piece
    if got != size:
        raise StoreChanged(f"record {rid} has {got} bytes, its row says {size}")


async def export_store(db: Database, out: Sink) -> int:
    """Write every row of `db` (at LATEST_SCHEMA) to `out`, all read in one snapshot, so servers
    may go on writing meanwhile; returns the number of rows."""
    schema = await db.schema_version()
    async with db.snapshot() as snapshot:
        out.write(line(header(schema)))
        count = 0
        for table in TABLES:
            async for row in rows_of(snapshot, table):
                out.write(line({"table": table.name, "row": list(row)}))
                count += 1
                if table.name == RECORDS:
                    async for piece in record_pieces(snapshot, row[0], row[-1]):
                        out.write(line({"piece": base64.b64encode(piece).decode()}))
        out.write(line({"sequences": await snapshot.highest_ids()}))
    out.write(line({"end": {"rows": count}}))
    out.flush()
    return count
