"""`camrelay import`: an export stream (store_tables.py) into an empty store at the same schema,
in one write transaction of plain `?` statements in batches, so a stream that is cut, garbled or
refused by the store leaves the store as it was."""

from __future__ import annotations

import base64
import binascii
import json
import sqlite3
from collections.abc import Iterator
from typing import Any, BinaryIO

import aiosqlite

from .db import LATEST_SCHEMA, Database
from .store_tables import (
    BY_NAME,
    DERIVED,
    FORMAT,
    PIECE,
    RECORDS,
    SEQUENCED,
    TABLES,
    VERSION,
    Table,
    header,
)

BATCH = 500  # rows per executemany
MAX_LINE = 4 * PIECE  # a piece line is a third over PIECE; no row comes near it
MAX_RECORD = 1_000_000_000  # SQLite's largest value


class BadExport(Exception):
    """The stream is not a whole export this camrelay can import; the text says where."""


class NotEmpty(Exception):
    """The target store holds rows already."""


async def first_nonempty(db: Database) -> str | None:
    """The name of a table of `db` that holds a row, if any."""
    for name in [table.name for table in TABLES] + list(DERIVED):
        if await db.fetchone(f"SELECT 1 FROM {name} LIMIT 1") is not None:
            return name
    return None


class _Lines:
    """The stream's lines as JSON objects, each with its line number for messages."""

    def __init__(self, source: BinaryIO) -> None:
        self._source = source
        self.number = 0

    def next(self) -> dict[str, Any] | None:
        """The next object; None at the end of the stream."""
        raw = self._source.readline(MAX_LINE + 1)
        if not raw:
            return None
        self.number += 1
        if len(raw) > MAX_LINE:
            raise self.bad(f"longer than {MAX_LINE} bytes")
        if not raw.endswith(b"\n"):
            raise BadExport(f"the stream is cut: line {self.number} ends half-way")
        try:
            value = json.loads(raw)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise self.bad(f"not JSON ({exc})") from None
        if not isinstance(value, dict):
            raise self.bad("not a JSON object")
        return value

    def at_end(self) -> bool:
        """Whether nothing follows (what follows is not read as JSON: it is one too many)."""
        if self._source.read(1):
            self.number += 1
            return False
        return True

    def bad(self, what: str) -> BadExport:
        """An error naming the current line."""
        return BadExport(f"line {self.number}: {what}")

    def __iter__(self) -> Iterator[dict[str, Any]]:
        while (value := self.next()) is not None:
            yield value


def check_header(lines: _Lines) -> None:
    """The first line must be this camrelay's format at this camrelay's schema."""
    first = lines.next()
    if first is None:
        raise BadExport("the stream is empty: no camrelay export header")
    if first.get("format") != FORMAT or first.get("version") != VERSION:
        raise lines.bad(f"not a {FORMAT} export version {VERSION} (camrelay export writes one)")
    if first.get("schema") != LATEST_SCHEMA:
        raise lines.bad(
            f"the export has schema {first.get('schema')}, this camrelay imports schema "
            f"{LATEST_SCHEMA}: export and import with the same camrelay"
        )
    if first.get("tables") != header(LATEST_SCHEMA)["tables"]:
        raise lines.bad("the export's tables differ from this camrelay's schema")


def row_of(lines: _Lines, entry: dict[str, Any]) -> tuple[Table, tuple[Any, ...]]:
    """The table and values of a row line."""
    table = BY_NAME.get(entry.get("table"))  # type: ignore[arg-type]
    row = entry.get("row")
    if table is None or not isinstance(row, list):
        raise lines.bad('expected a row {"table": NAME, "row": [...]} or the end line')
    if len(row) != len(table.columns):
        raise lines.bad(f"a {table.name} row has {len(table.columns)} values, not {len(row)}")
    if not all(v is None or type(v) in (int, float, str) for v in row):
        raise lines.bad("values are numbers, strings or null")
    return table, tuple(row)


def record_pieces(lines: _Lines, size: int) -> Iterator[bytes]:
    """The bytes of the piece lines that follow a record's row, checked against its size."""
    got = 0
    while got < size:
        entry = lines.next()
        if entry is None:
            raise BadExport(f"the stream is cut: a record lacks {size - got} bytes")
        piece = entry.get("piece")
        if not isinstance(piece, str):
            raise lines.bad(f"expected a piece of the record ({size - got} bytes to come)")
        try:
            decoded = base64.b64decode(piece, validate=True)
        except binascii.Error as exc:
            raise lines.bad(f"a piece that is not base64 ({exc})") from None
        if got + len(decoded) > size:
            raise lines.bad(f"the record's pieces hold more than its size {size}")
        got += len(decoded)
        yield decoded


def record_bytes(lines: _Lines, size: int) -> bytearray:
    """A record's bytes joined, for a store that takes a value whole."""
    data = bytearray(size)  # calloc'd: pages cost memory only as pieces fill them
    got = 0
    for piece in record_pieces(lines, size):
        data[got : got + len(piece)] = piece
        got += len(piece)
    return data  # not copied: the drivers take a bytearray as they take bytes


async def sqlite_record(
    conn: aiosqlite.Connection, sql: str, row: tuple[Any, ...], lines: _Lines
) -> None:
    """A record into SQLite a piece at a time: its row with zeroblob(size), then incremental
    blob writes on the writer's thread, inside the import's transaction (aiosqlite has no public
    call for them), so no record is ever whole in memory."""
    await conn.execute(sql, (*row, row[-1]))
    if row[-1] == 0:
        return
    blob = await conn._execute(conn._conn.blobopen, RECORDS, "data", row[0])
    try:
        for piece in record_pieces(lines, row[-1]):
            await conn._execute(blob.write, piece)
    finally:
        await conn._execute(blob.close)


class _Loader:
    """The write job: rows into the store in batches, in the export's table order."""

    def __init__(self, lines: _Lines) -> None:
        self.lines = lines
        self.rows = 0
        self.first = 0  # the line of the batch's first row
        self.highest: dict[str, int] | None = None  # the sequences line: the source's counters

    async def __call__(self, conn: Any) -> int:
        order = [table.name for table in TABLES]
        current, batch = TABLES[0], list[tuple[Any, ...]]()
        for entry in self.lines:
            if "sequences" in entry:
                await self._insert(conn, current, batch)
                self.highest = self._sequences(entry)
                continue
            if self.highest is not None and "end" not in entry:
                raise self.lines.bad("expected the end line after the sequences line")
            if "end" in entry:
                if self.highest is None:
                    raise self.lines.bad("the end line comes without a sequences line before it")
                self._check_end(entry)
                await conn.execute("DELETE FROM record_usage")
                await conn.execute(
                    "INSERT INTO record_usage(account_id, bytes) "
                    "SELECT account_id, SUM(size) FROM records GROUP BY account_id"
                )
                return self.rows
            table, row = row_of(self.lines, entry)
            if order.index(table.name) < order.index(current.name):
                raise self.lines.bad(f"{table.name} rows come before {current.name} rows")
            if table is not current or len(batch) >= BATCH:
                await self._insert(conn, current, batch)
                current, batch = table, []
            if not batch:
                self.first = self.lines.number
            self.rows += 1
            if table.name == RECORDS:
                await self._record(conn, table, row)
            else:
                batch.append(row)
        raise BadExport(f"the stream is cut after line {self.lines.number}: no end line")

    async def _record(self, conn: Any, table: Table, row: tuple[Any, ...]) -> None:
        size = row[-1]
        if type(size) is not int or not 0 <= size <= MAX_RECORD:
            raise self.lines.bad(f"a record size is 0 to {MAX_RECORD}")
        if not isinstance(conn, aiosqlite.Connection):
            await self._insert(conn, table, [row], record_bytes(self.lines, size))
            return
        marks = ", ".join("?" * len(table.columns))
        sql = (
            f"INSERT INTO {RECORDS}({', '.join(table.columns)}, data) VALUES({marks}, zeroblob(?))"
        )
        try:
            await sqlite_record(conn, sql, row, self.lines)
        except sqlite3.Error as exc:
            raise BadExport(f"line {self.first}: the store refused a records row: {exc}") from None

    def _sequences(self, entry: dict[str, Any]) -> dict[str, int]:
        highest = entry["sequences"]
        if self.highest is not None:
            raise self.lines.bad("a second sequences line")
        if (
            not isinstance(highest, dict)
            or sorted(highest) != sorted(SEQUENCED)
            or not all(type(v) is int and v >= 0 for v in highest.values())
        ):
            raise self.lines.bad(f"the sequences line gives {', '.join(SEQUENCED)} ids from 0 up")
        return highest

    def _check_end(self, entry: dict[str, Any]) -> None:
        end = entry["end"]
        if not isinstance(end, dict) or end.get("rows") != self.rows:
            raise self.lines.bad(f"the end line counts other rows than the {self.rows} read")
        if not self.lines.at_end():
            raise self.lines.bad("more after the end line")

    async def _insert(
        self, conn: Any, table: Table, rows: list[tuple[Any, ...]], data: bytearray | None = None
    ) -> None:
        if not rows:
            return
        columns = list(table.columns) + (["data"] if data is not None else [])
        sql = (
            f"INSERT INTO {table.name}({', '.join(columns)}) "
            f"VALUES({', '.join('?' * len(columns))})"
        )
        try:
            if data is not None:
                await conn.execute(sql, (*rows[0], data))
            else:
                await conn.executemany(sql, rows)
        except Exception as exc:  # whatever the store's driver raises: the row is refused
            last = self.first + len(rows) - 1
            where = f"line {self.first}" if last == self.first else f"lines {self.first}-{last}"
            raise BadExport(f"{where}: the store refused a {table.name} row: {exc}") from None
        rows.clear()


async def import_store(db: Database, source: BinaryIO) -> int:
    """Read an export from `source` into the empty store `db`; returns the rows imported."""
    found = await first_nonempty(db)
    if found is not None:
        raise NotEmpty(f"it is not empty ({found} has rows): import needs an empty, migrated store")
    lines = _Lines(source)
    check_header(lines)
    loader = _Loader(lines)
    # A store whose writes have a deadline (PostgreSQL) lifts it: the stream sets the pace.
    rows = await getattr(db, "bulk_write", db.write)(loader)
    assert loader.highest is not None, "the loader ends at an end line after the sequences"
    await db.after_import(loader.highest)  # new ids follow the source's, deleted ones included
    return rows
