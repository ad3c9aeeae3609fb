"""The SQLite store: a writer and a reader aiosqlite connection in WAL mode, and migrations.

Writes go through `write(job)`, one transaction at a time, so stamps handed out inside a
transaction commit in stamp order. A write runs in a task of its own and always ends in COMMIT
or ROLLBACK, even when the request that asked for it is cancelled (a client reset its stream):
a statement abandoned half-way would leave the shared writer connection inside a transaction.
Reads use their own connection and see only committed rows; small indexed ones (a device's
messages) are served on the event loop's thread when they can be (loop_reads.py).
WAL with synchronous=NORMAL keeps every committed transaction across a killed process.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from importlib import resources
from pathlib import Path
from typing import Any, TypeVar

import aiosqlite

from camrelay.protocol.errors import DatabaseFail

from .blob_reads import BlobReads
from .loop_reads import LoopReads
from .private_files import private_file, private_folder
from .store_snapshot import SqliteSnapshot, sqlite_snapshot
from .wal_checkpoints import WalCheckpoints
from .writer_thread import run_transaction

T = TypeVar("T")
Job = Callable[[aiosqlite.Connection], Awaitable[T]]

_PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA synchronous=NORMAL",
    "PRAGMA foreign_keys=ON",
    "PRAGMA busy_timeout=10000",
)


async def scalar(conn: aiosqlite.Connection, sql: str, params: Sequence[Any] = ()) -> Any:
    """The first column of the first row of a query inside a write job, or None."""
    row = await (await conn.execute(sql, params)).fetchone()
    return row[0] if row else None


def in_scope(column: str, devices: frozenset[str] | None) -> tuple[str, tuple[str, ...]]:
    """An `AND column IN (...)` clause for a camera scope; nothing when every device is seen."""
    if devices is None:
        return "", ()
    ordered = tuple(sorted(devices))
    return f" AND {column} IN ({','.join('?' * len(ordered))})", ordered


def migration_scripts(folder_name: str = "migrations") -> list[tuple[int, str]]:
    """The numbered SQL files of camrelay/server/<folder_name>, in order."""
    folder = resources.files("camrelay.server") / folder_name
    scripts = []
    for entry in folder.iterdir():
        if entry.name.endswith(".sql"):
            scripts.append((int(entry.name.split("_", 1)[0]), entry.read_text()))
    return sorted(scripts)


async def _connect(path: Path) -> aiosqlite.Connection:
    conn = await aiosqlite.connect(path, isolation_level=None)
    try:
        for pragma in _PRAGMAS:
            await conn.execute(pragma)
    except BaseException:
        await conn.close()  # its thread would keep the process alive (not a database file)
        raise
    return conn


LATEST_SCHEMA = migration_scripts()[-1][0]  # the newest migration: the schema this code needs


class Database:
    """The store's connections; open with `Database.open(path)`."""

    # Embedded: each process brings its own file up to date at start (a shared server never is).
    migrates_itself = True
    # One writer: an INSERT of n rows into an AUTOINCREMENT table gets n consecutive ids.
    consecutive_ids = True

    def __init__(
        self,
        writer: aiosqlite.Connection,
        reader: aiosqlite.Connection,
        path: Path | None = None,
        loop_reads: LoopReads | None = None,
        checkpoints: WalCheckpoints | None = None,
    ) -> None:
        self.path = path  # blob readers open connections of their own on it
        self._writer = writer
        self._reader = reader
        self.loop_reads = loop_reads
        self.checkpoints = checkpoints
        self._write_lock = asyncio.Lock()

    @classmethod
    async def open(cls, path: Path, *, migrate: bool = True, own_folder: bool = True) -> Database:
        """Open (creating if needed) and, unless told not to, migrate the database file; its
        folder is made owner-only when it is ours (a data directory), not one a user named."""
        if own_folder:
            private_folder(path.parent, [path.name, f"{path.name}-wal", f"{path.name}-shm"])
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
        private_file(path)
        writer = await _connect(path)
        try:
            reader = await _connect(path)
        except BaseException:
            await writer.close()
            raise
        try:
            loop_reads = LoopReads(path)
        except BaseException:
            await reader.close()
            await writer.close()
            raise
        db = cls(writer, reader, path, loop_reads, WalCheckpoints(path))
        if migrate:
            try:
                await db.migrate()
            except BaseException:
                await db.close()
                raise
        return db

    async def close(self) -> None:
        """Close every connection."""
        if self.loop_reads is not None:
            self.loop_reads.close()
        if self.checkpoints is not None:
            self.checkpoints.close()
        await self._reader.close()
        await self._writer.close()

    async def migrate(self) -> None:
        """Apply every migration newer than PRAGMA user_version, each in its own transaction."""
        for number, script in migration_scripts():

            async def apply(
                conn: aiosqlite.Connection, number: int = number, script: str = script
            ) -> None:
                if number > await scalar(conn, "PRAGMA user_version"):
                    for statement in _statements(script):
                        await conn.execute(statement)
                    await conn.execute(f"PRAGMA user_version={number}")

            await self.write(apply)

    async def schema_version(self) -> int:
        """The number of the newest migration applied (0: an empty store)."""
        return int(await scalar(self._reader, "PRAGMA user_version"))

    async def write(self, job: Job[T]) -> T:
        """Run `job(conn)` in one immediate write transaction, to its end whatever happens to
        the caller; returns its result once committed."""
        return await _to_the_end(self._run(job))

    async def _run(self, job: Job[T]) -> T:
        async with self._transaction() as conn:
            return await job(conn)

    async def write_at_once(self, job: Job[T], bulk_bytes: int = 0) -> T:
        """`write` for a job that awaits nothing but its connection's calls: run whole on the
        writer's thread, BEGIN to COMMIT, in one hop (writer_thread.py). `bulk_bytes`: the
        blobs it stores, whose WAL pages are checkpointed off that thread (wal_checkpoints.py)."""
        result = await _to_the_end(self._run_at_once(job))
        if bulk_bytes and self.checkpoints is not None:
            self.checkpoints.written(bulk_bytes)
        return result

    async def _run_at_once(self, job: Job[T]) -> T:
        async with self._write_lock:
            # aiosqlite's own hop (its worker runs one call at a time, in order).
            return await self._writer._execute(run_transaction, self._writer._conn, job)

    @asynccontextmanager
    async def _transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        """An immediate write transaction: committed on success, rolled back on error."""
        async with self._write_lock:
            try:
                await self._writer.execute("BEGIN IMMEDIATE")
            except sqlite3.Error as exc:
                raise DatabaseFail(str(exc)) from exc
            try:
                yield self._writer
            except BaseException:
                await self._roll_back()
                raise
            try:
                await self._writer.execute("COMMIT")
            except sqlite3.Error as exc:
                await self._roll_back()
                raise DatabaseFail(str(exc)) from exc

    async def _roll_back(self) -> None:
        # SQLite may have ended the transaction itself (a full disk, an I/O error): the job's
        # own error is the one to report, not "no transaction is active" (as writer_thread's).
        if self._writer.in_transaction:
            await self._writer.execute("ROLLBACK")

    async def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[sqlite3.Row]:
        """Rows of a read-only query on the reader connection."""
        try:
            # One hop to the connection's thread (execute, fetch and close would be three).
            return list(await self._reader.execute_fetchall(sql, params))
        except sqlite3.Error as exc:
            raise DatabaseFail(str(exc)) from exc

    async def fetch_small(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        """Rows of a small read-only query that an index serves (a device's page of messages):
        on the event loop's thread when it can run there at once, else as `fetchall`."""
        if self.loop_reads is not None:
            try:
                rows = self.loop_reads.rows(sql, params)
            except sqlite3.Error as exc:
                raise DatabaseFail(str(exc)) from exc
            if rows is not None:
                return rows
        return await self.fetchall(sql, params)

    def snapshot(self) -> AbstractAsyncContextManager[SqliteSnapshot]:
        """One read transaction on the reader connection for the block: every read in it sees
        the store as it was at its start (for `camrelay export` while servers write)."""
        return sqlite_snapshot(self._reader)

    async def after_import(self, highest: dict[str, int]) -> None:
        """After `camrelay import`: AUTOINCREMENT goes on past `highest` (the source's counters,
        deleted ids included), not just past the ids that were copied in."""

        async def raise_counters(conn: aiosqlite.Connection) -> None:
            for name, seq in highest.items():
                if seq <= 0:
                    continue  # the table never had a row: no counter, as in the source
                found = await conn.execute(
                    "UPDATE sqlite_sequence SET seq=MAX(seq, ?) WHERE name=?", (seq, name)
                )
                if found.rowcount == 0:
                    await conn.execute(
                        "INSERT INTO sqlite_sequence(name, seq) VALUES(?, ?)", (name, seq)
                    )

        await self.write(raise_counters)

    async def data_version(self) -> int:
        """A number that changes whenever a commit lands (ours or another process's), so a
        watcher learns of a change without reading the tables."""
        return int(await scalar(self._reader, "PRAGMA data_version"))

    async def fetchone(self, sql: str, params: Sequence[Any] = ()) -> Any:
        """The first row of a read-only query, or None."""
        rows = await self.fetchall(sql, params)
        return rows[0] if rows else None

    def blob_reads(self) -> BlobReads:
        """Where a big record's answer reads its pieces (incremental blob I/O on the file)."""
        assert self.path is not None, "a database opened without its path has no blob reader"
        return BlobReads(self.path)


async def _to_the_end(write: Awaitable[T]) -> T:
    """A write's result, the write going on to its end even when the caller is cancelled."""
    task = asyncio.ensure_future(write)
    # Retrieve a failure even when nobody awaits it any more (the caller was cancelled).
    task.add_done_callback(lambda done: done.cancelled() or done.exception())
    return await asyncio.shield(task)


def _statements(script: str) -> Iterable[str]:
    """Split a migration script into statements; a trigger's BEGIN ... END is one statement."""
    lines = [line for line in script.splitlines() if not line.strip().startswith("--")]
    statements, pending = [], ""
    for line in lines:
        pending += line + "\n"
        if sqlite3.complete_statement(pending):
            statements.append(pending.strip().rstrip(";"))
            pending = ""
    if pending.strip():
        statements.append(pending.strip())
    return [statement for statement in statements if statement]
