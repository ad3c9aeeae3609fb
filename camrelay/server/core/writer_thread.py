"""A write job run whole on the SQLite writer's own thread: one hop for the transaction.

Through aiosqlite every statement of a job is a hop to the writer's thread and back (its queue,
the loop's self-pipe, a future, the job's coroutines resumed), and each hop waits for a turn of
a busy event loop: an addRecord batch took two per record plus five, so at 100 uploads in flight
the batches, not the CPU, set the pace (py-spy: a third of the loop's idle time). A job that
awaits nothing but its connection runs here instead, statement after statement, its coroutine
driven to the end without an event loop; BEGIN and COMMIT go with it, so a batch is one hop.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar

from camrelay.protocol.errors import DatabaseFail

T = TypeVar("T")


class ThreadCursor:
    """aiosqlite's cursor calls a write job makes, answered at once."""

    def __init__(self, cursor: sqlite3.Cursor) -> None:
        self._cursor = cursor

    @property
    def rowcount(self) -> int:
        return self._cursor.rowcount

    @property
    def lastrowid(self) -> int | None:
        return self._cursor.lastrowid

    async def fetchone(self) -> Any:
        return self._cursor.fetchone()

    async def fetchall(self) -> list[Any]:
        return self._cursor.fetchall()

    async def fetchmany(self, size: int) -> list[Any]:
        return self._cursor.fetchmany(size)

    async def close(self) -> None:
        self._cursor.close()


class ThreadConnection:
    """aiosqlite's connection calls a write job makes, run on the calling (writer) thread."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    async def execute(self, sql: str, params: Sequence[Any] = ()) -> ThreadCursor:
        return ThreadCursor(self._conn.execute(sql, params))

    async def execute_fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        return self._conn.execute(sql, params).fetchall()


def finished(step: Awaitable[T]) -> T:
    """The result of a coroutine that never suspends; RuntimeError (and the coroutine closed)
    if it awaits anything that would need an event loop."""
    coroutine: Any = step.__await__()
    try:
        coroutine.send(None)
    except StopIteration as done:
        return done.value  # type: ignore[no-any-return]
    coroutine.close()
    raise RuntimeError("a write job run on the writer's thread awaited something else")


def run_transaction(conn: sqlite3.Connection, job: Callable[[Any], Awaitable[T]]) -> T:
    """BEGIN IMMEDIATE, the job, COMMIT (ROLLBACK on any error), on the writer's thread;
    the result only once committed."""
    try:
        conn.execute("BEGIN IMMEDIATE")
    except sqlite3.Error as exc:
        raise DatabaseFail(str(exc)) from exc
    try:
        result = finished(job(ThreadConnection(conn)))
    except BaseException:
        _roll_back(conn)
        raise
    try:
        conn.execute("COMMIT")
    except sqlite3.Error as exc:
        _roll_back(conn)
        raise DatabaseFail(str(exc)) from exc
    return result


def _roll_back(conn: sqlite3.Connection) -> None:
    # SQLite may have ended the transaction itself (a full disk, an I/O error): the job's own
    # error is the one to report, not "no transaction is active".
    if conn.in_transaction:
        conn.execute("ROLLBACK")
