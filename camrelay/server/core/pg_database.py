"""The PostgreSQL store: the same interface as db.py's Database, for several nodes sharing one
database.

Each node writes through one connection, one transaction per job, so its own stamps commit in
order; stamps across nodes come from a one-row table (claim_stamp) whose row lock is held until
commit, so a stamp is only taken once every smaller one is committed. Reads use a small pool.
Every statement has a deadline and every lost connection is replaced on the next use: while
PostgreSQL is away, requests answer code 3 (DatabaseFail) instead of waiting.
A node never migrates the shared schema itself (`migrates_itself`); `camrelay migrate` does.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Sequence
from contextlib import asynccontextmanager
from typing import Any, TypeVar

import psycopg
from psycopg import AsyncConnection, AsyncCursor

from camrelay.protocol.errors import DatabaseFail

from .db import migration_scripts
from .pg_blob_reads import PgBlobReads
from .pg_dialect import Statement, plain, translate
from .pg_rows import Row, row_factory
from .store_snapshot import substr_pieces
from .store_tables import SEQUENCED

log = logging.getLogger("camrelay.store")
T = TypeVar("T")
CONNECT_TIMEOUT_S = 5
STATEMENT_TIMEOUT_S = 10.0
JOB_TIMEOUT_S = 10.0  # a job or read that takes longer (a frozen server) fails with code 3
WAIT_S = 15.0  # the longest a caller waits for its write, queue included
READ_CONNECTIONS = 4
_MIGRATE_LOCK = 0x63616D72  # advisory lock key: one `camrelay migrate` at a time


LATEST_SCHEMA = migration_scripts("migrations_pg")[-1][0]


class PgCursor:
    """What a statement answered, read the way the core reads an aiosqlite cursor."""

    def __init__(self, cursor: AsyncCursor[Row], lastrowid: int | None) -> None:
        self._cursor = cursor
        self.lastrowid = lastrowid
        self.rowcount = cursor.rowcount

    async def fetchone(self) -> Row | None:
        return await self._cursor.fetchone() if self._cursor.description else None

    async def fetchall(self) -> list[Row]:
        return await self._cursor.fetchall() if self._cursor.description else []

    async def fetchmany(self, size: int) -> list[Row]:
        return await self._cursor.fetchmany(size) if self._cursor.description else []

    async def close(self) -> None:
        await self._cursor.close()


class PgConnection:
    """A write job's connection: runs the core's SQLite-dialect SQL on PostgreSQL."""

    def __init__(self, conn: AsyncConnection[Row]) -> None:
        self._conn = conn

    async def execute(self, sql: str, params: Sequence[Any] = ()) -> PgCursor:
        statement = translate(sql)
        cursor = self._conn.cursor()
        await cursor.execute(statement.sql, [plain(p) for p in params] or None)
        lastrowid = None
        if statement.returns_id:
            row = await cursor.fetchone()
            lastrowid = int(row[0]) if row else None
        return PgCursor(cursor, lastrowid)

    async def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> PgCursor:
        statement = translate(sql)
        text = (
            statement.sql.removesuffix(" RETURNING id") if statement.returns_id else statement.sql
        )
        cursor = self._conn.cursor()
        await cursor.executemany(text, [[plain(p) for p in row] for row in rows])
        return PgCursor(cursor, None)

    async def run_script(self, script: str) -> None:
        """Run a migration: several statements, no parameters, in this transaction."""
        await self._conn.execute(script.encode())

    async def hold_stamps(self) -> None:
        """Lock the stamp clock now, before the job reads what its writes depend on."""
        await self.execute("SELECT last FROM stamp_clock FOR UPDATE")

    async def claim_stamp(self, micros: int) -> int:
        """The cluster's next stamp, at least `micros`: later than every stamp any node took.
        The row stays locked until this transaction ends, so stamps commit in order."""
        cursor = await self.execute(
            "UPDATE stamp_clock SET last=GREATEST(last + 1, ?) RETURNING last", (micros,)
        )
        row = await cursor.fetchone()
        assert row is not None, "stamp_clock has its row since migration 1"
        return int(row[0])


Job = Callable[[PgConnection], Awaitable[T]]


async def _connect(url: str) -> AsyncConnection[Row]:
    try:
        return await AsyncConnection.connect(
            url,
            autocommit=True,
            row_factory=row_factory,
            connect_timeout=CONNECT_TIMEOUT_S,
            options=f"-c statement_timeout={int(STATEMENT_TIMEOUT_S * 1000)}",
            keepalives=1,
            keepalives_idle=10,
            keepalives_interval=5,
            keepalives_count=3,
        )
    except psycopg.Error as exc:
        raise DatabaseFail(f"cannot connect to PostgreSQL: {exc}") from exc


async def _discard(conn: AsyncConnection[Row] | None) -> None:
    """Close a connection in an unknown state; PostgreSQL rolls back what it left open."""
    if conn is not None:
        try:
            await conn.close()
        except Exception:  # already broken: nothing more to free
            pass


class PgDatabase:
    """A PostgreSQL database as the core's store; open with `PgDatabase.open(url)`."""

    migrates_itself = False
    path = None  # no file: blob answers read through `blob_reads()`

    def __init__(self, url: str) -> None:
        self.url = url
        self._writer: AsyncConnection[Row] | None = None
        self._write_lock = asyncio.Lock()
        self._idle: list[AsyncConnection[Row]] = []
        self._read_slots = asyncio.Semaphore(READ_CONNECTIONS)

    @classmethod
    async def open(cls, url: str, *, migrate: bool = False) -> PgDatabase:
        """Connect to the database at `url`; bring it to the newest schema when `migrate`."""
        db = cls(url)
        try:
            async with db._reading():
                pass  # fails here, with the reason, when the server cannot be reached
            if migrate:
                await db.migrate()
        except BaseException:
            await db.close()
            raise
        return db

    async def close(self) -> None:
        """Close every connection."""
        async with self._write_lock:
            await _discard(self._writer)
            self._writer = None
        idle, self._idle = self._idle, []
        for conn in idle:
            await _discard(conn)

    async def schema_version(self) -> int:
        """The newest migration applied; 0 for an empty database."""
        row = await self.fetchone("SELECT to_regclass('schema_version') IS NOT NULL")
        if not row or not row[0]:
            return 0
        row = await self.fetchone("SELECT version FROM schema_version")
        return int(row[0]) if row else 0

    async def migrate(self) -> None:
        """Apply every migration newer than the schema version, each in its own transaction."""
        for number, script in migration_scripts("migrations_pg"):

            async def apply(conn: PgConnection, number: int = number, script: str = script) -> None:
                await conn.execute("SELECT pg_advisory_xact_lock(?)", (_MIGRATE_LOCK,))
                found = await conn.execute("SELECT to_regclass('schema_version') IS NOT NULL")
                exists = await found.fetchone()
                version = 0
                if exists and exists[0]:
                    row = await (
                        await conn.execute("SELECT version FROM schema_version")
                    ).fetchone()
                    version = int(row[0]) if row else 0
                if number > version:
                    await conn.run_script(script)
                    await conn.execute("UPDATE schema_version SET version=?", (number,))

            await self.bulk_write(apply)  # a big table's rewrite takes what it takes

    async def after_import(self, highest: dict[str, int]) -> None:
        """After rows were copied in with their ids and stamps: new ids follow both the copied
        ids and `highest` (the source's counters: a deleted id is never handed out again), new
        stamps follow the copied ones."""
        from .stamps import parse_micros

        async def reset(conn: PgConnection) -> None:
            for table in SEQUENCED:
                await conn.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"GREATEST(?, COALESCE((SELECT MAX(id) FROM {table}), 0)) + 1, false)",
                    (highest.get(table, 0),),
                )
            row = await (
                await conn.execute(
                    "SELECT MAX(s) FROM (SELECT MAX(stamp) AS s FROM records "
                    "UNION ALL SELECT MAX(stamp) FROM messages) AS stamps"
                )
            ).fetchone()
            if row and row[0]:
                await conn.execute(
                    "UPDATE stamp_clock SET last=GREATEST(last, ?)", (parse_micros(row[0]),)
                )

        await self.bulk_write(reset)  # part of the import: its deadline is the stream's

    @asynccontextmanager
    async def snapshot(self) -> AsyncIterator[PgSnapshot]:
        """One REPEATABLE READ READ ONLY transaction for the block: every read in it sees the
        database as it was at its first statement (for `camrelay export` while nodes write)."""
        async with self._reading() as conn:
            try:
                await conn.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
            except psycopg.Error as exc:
                raise DatabaseFail(f"PostgreSQL read failed: {exc}") from exc
            try:
                yield PgSnapshot(conn)
            finally:
                if not conn.broken:
                    await conn.execute("ROLLBACK")

    async def write(self, job: Job[T]) -> T:
        """Run `job(conn)` in one transaction, to its end whatever happens to the caller;
        returns its result once committed."""
        task = asyncio.ensure_future(self._run(job))
        # Retrieve a failure even when nobody awaits it any more (the caller was cancelled).
        task.add_done_callback(lambda done: done.cancelled() or done.exception())
        try:
            return await asyncio.wait_for(asyncio.shield(task), WAIT_S)
        except TimeoutError as exc:
            # The caller hears code 3 now and may try again: the job must not be stored
            # later (twice), so it is stopped, running or still queued.
            task.cancel()
            raise DatabaseFail("PostgreSQL did not answer in time") from exc

    async def write_at_once(self, job: Job[T], bulk_bytes: int = 0) -> T:
        """`write` (SQLite runs such a job on its writer's thread and checkpoints `bulk_bytes`
        off it; here it is the same as `write`)."""
        return await self.write(job)

    async def bulk_write(self, job: Job[T]) -> T:
        """Run a job as long as its input (`camrelay import`: its stream) in one transaction,
        without the deadlines that keep a node's requests from waiting on a frozen server."""

        async def unhurried(conn: PgConnection) -> T:
            await conn.execute("SET LOCAL statement_timeout = 0")
            return await job(conn)

        return await self._run(unhurried, timed=False)

    async def _run(self, job: Job[T], timed: bool = True) -> T:
        deadline = JOB_TIMEOUT_S if timed else None
        async with self._write_lock:
            if self._writer is None or self._writer.closed or self._writer.broken:
                self._writer = await _connect(self.url)
            conn = self._writer
            try:
                try:
                    return await asyncio.wait_for(self._transaction(conn, job), deadline)
                except psycopg.errors.UniqueViolation:
                    # Another node inserted the same key between this job's check and its
                    # insert (one SQLite writer never interleaves them): once more, its check
                    # now sees that row and answers as on one node (NameTaken, not code 3).
                    return await asyncio.wait_for(self._transaction(conn, job), deadline)
            except (psycopg.OperationalError, TimeoutError) as exc:
                # The connection may be gone or mid-statement: start afresh next time.
                self._writer = None
                await _discard(conn)
                raise DatabaseFail(f"PostgreSQL write failed: {exc!r}") from exc
            except asyncio.CancelledError:
                # Given up (see write): closing the connection ends the transaction uncommitted.
                self._writer = None
                await _discard(conn)
                raise
            except psycopg.Error as exc:
                raise DatabaseFail(str(exc)) from exc

    async def _transaction(self, conn: AsyncConnection[Row], job: Job[T]) -> T:
        await conn.execute("BEGIN")
        try:
            result = await job(PgConnection(conn))
        except Exception:
            if not conn.broken:
                await conn.execute("ROLLBACK")
            raise
        # Cancelled (the deadline passed): the caller discards the connection, which ends the
        # transaction without waiting on a server that may not answer.
        await conn.execute("COMMIT")
        return result

    @asynccontextmanager
    async def _reading(self) -> AsyncIterator[AsyncConnection[Row]]:
        async with self._read_slots:
            conn = self._idle.pop() if self._idle else await _connect(self.url)
            try:
                yield conn
            except BaseException:
                await _discard(conn)
                raise
            if conn.broken or conn.closed:
                await _discard(conn)
            else:
                self._idle.append(conn)

    async def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        """Rows of a read-only query, on a pooled connection (autocommit: no snapshot held)."""
        statement = translate(sql)
        values = [plain(p) for p in params] or None
        for attempt in (1, 2):
            try:
                return await asyncio.wait_for(self._fetch(statement, values), JOB_TIMEOUT_S)
            except psycopg.OperationalError as exc:
                # A pooled connection PostgreSQL closed meanwhile (a restart): one more try
                # on a new one.
                if attempt == 2:
                    raise DatabaseFail(f"PostgreSQL read failed: {exc}") from exc
            except TimeoutError as exc:
                raise DatabaseFail("PostgreSQL read timed out") from exc
            except psycopg.Error as exc:
                raise DatabaseFail(str(exc)) from exc
        raise AssertionError("unreachable")

    async def _fetch(self, statement: Statement, values: list[Any] | None) -> list[Row]:
        async with self._reading() as conn:
            cursor = await conn.execute(statement.sql, values)
            return await cursor.fetchall() if cursor.description else []

    async def fetchone(self, sql: str, params: Sequence[Any] = ()) -> Any:
        """The first row of a read-only query, or None."""
        rows = await self.fetchall(sql, params)
        return rows[0] if rows else None

    loop_reads = None  # no reads on the loop's thread (db.py's LoopReads is SQLite's)
    checkpoints = None  # PostgreSQL checkpoints itself (db.py's WalCheckpoints is SQLite's)
    consecutive_ids = False  # other nodes' inserts take ids between a statement's rows

    async def fetch_small(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        """`fetchall`: PostgreSQL is a server, there is no read to run on the loop's thread."""
        return await self.fetchall(sql, params)

    async def data_version(self) -> int:
        """A number that changes whenever sessions are deleted (by any node or command), so a
        node learns of it without reading the sessions (a trigger counts them)."""
        row = await self.fetchone("SELECT sessions_deleted FROM store_changes")
        return int(row[0]) if row else 0

    def blob_reads(self) -> PgBlobReads:
        """Where a big record's answer reads its pieces."""
        return PgBlobReads(self)


class PgSnapshot:
    """Reads inside one REPEATABLE READ transaction (see PgDatabase.snapshot)."""

    def __init__(self, conn: AsyncConnection[Row]) -> None:
        self._conn = conn

    async def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        try:
            cursor = await asyncio.wait_for(
                self._conn.execute(translate(sql).sql, [plain(p) for p in params] or None),
                JOB_TIMEOUT_S,
            )
            return await cursor.fetchall() if cursor.description else []
        except TimeoutError as exc:
            raise DatabaseFail("PostgreSQL read timed out") from exc
        except psycopg.Error as exc:
            raise DatabaseFail(f"PostgreSQL read failed: {exc}") from exc

    def pieces(self, rid: int, size: int) -> AsyncIterator[bytes]:
        """A record's bytes by substr() (from its uncompressed slices), in the snapshot."""
        return substr_pieces(self, rid, size)

    async def highest_ids(self) -> dict[str, int]:
        """The highest id each identity sequence handed out (0: none yet). Sequences are not
        part of a snapshot: this may be higher than the snapshot's ids, never lower."""
        highest = {}
        for table in SEQUENCED:
            (name,) = (await self.fetchall(f"SELECT pg_get_serial_sequence('{table}', 'id')"))[0]
            (last, called) = (await self.fetchall(f"SELECT last_value, is_called FROM {name}"))[0]
            highest[table] = int(last) if called else int(last) - 1
        return highest
