"""The SQLite store: a writer and a reader aiosqlite connection in WAL mode, and migrations.

Writes go through `transaction()`, one at a time, so stamps handed out inside a transaction
commit in stamp order. Reads use their own connection and see only committed rows.
WAL with synchronous=NORMAL keeps every committed transaction across a killed process.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from importlib import resources
from pathlib import Path
from typing import Any

import aiosqlite

from .errors import DatabaseFail

_PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA synchronous=NORMAL",
    "PRAGMA foreign_keys=ON",
    "PRAGMA busy_timeout=10000",
)


def migration_scripts() -> list[tuple[int, str]]:
    """The numbered SQL files of camrelay/server/migrations, in order."""
    folder = resources.files("camrelay.server") / "migrations"
    scripts = []
    for entry in folder.iterdir():
        if entry.name.endswith(".sql"):
            scripts.append((int(entry.name.split("_", 1)[0]), entry.read_text()))
    return sorted(scripts)


async def _connect(path: Path) -> aiosqlite.Connection:
    conn = await aiosqlite.connect(path, isolation_level=None)
    for pragma in _PRAGMAS:
        await conn.execute(pragma)
    return conn


class Database:
    """The store's two connections; open with `Database.open(path)`."""

    def __init__(self, writer: aiosqlite.Connection, reader: aiosqlite.Connection) -> None:
        self._writer = writer
        self._reader = reader
        self._write_lock = asyncio.Lock()

    @classmethod
    async def open(cls, path: Path) -> Database:
        """Open (creating if needed) and migrate the database file at `path`."""
        path.parent.mkdir(parents=True, exist_ok=True)
        writer = await _connect(path)
        reader = await _connect(path)
        db = cls(writer, reader)
        await db.migrate()
        return db

    async def close(self) -> None:
        """Close both connections."""
        await self._reader.close()
        await self._writer.close()

    async def migrate(self) -> None:
        """Apply every migration newer than PRAGMA user_version, each in its own transaction."""
        for number, script in migration_scripts():
            async with self.transaction() as conn:
                version = (await (await conn.execute("PRAGMA user_version")).fetchone())[0]
                if number <= version:
                    continue
                for statement in _statements(script):
                    await conn.execute(statement)
                await conn.execute(f"PRAGMA user_version={number}")

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        """An immediate write transaction: committed on success, rolled back on error."""
        async with self._write_lock:
            try:
                await self._writer.execute("BEGIN IMMEDIATE")
            except sqlite3.Error as exc:
                raise DatabaseFail(str(exc)) from exc
            try:
                yield self._writer
            except BaseException:
                await self._writer.execute("ROLLBACK")
                raise
            try:
                await self._writer.execute("COMMIT")
            except sqlite3.Error as exc:
                await self._writer.execute("ROLLBACK")
                raise DatabaseFail(str(exc)) from exc

    async def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[sqlite3.Row]:
        """Rows of a read-only query on the reader connection."""
        try:
            async with self._reader.execute(sql, params) as cursor:
                return list(await cursor.fetchall())
        except sqlite3.Error as exc:
            raise DatabaseFail(str(exc)) from exc

    async def fetchone(self, sql: str, params: Sequence[Any] = ()) -> Any:
        """The first row of a read-only query, or None."""
        rows = await self.fetchall(sql, params)
        return rows[0] if rows else None


def _statements(script: str) -> Iterable[str]:
    """Split a migration script into statements (no semicolons inside our SQL literals)."""
    lines = [line for line in script.splitlines() if not line.strip().startswith("--")]
    return [part.strip() for part in "\n".join(lines).split(";") if part.strip()]
