"""The PostgreSQL store on a real PostgreSQL: stamps across nodes, pieces of big records,
failures that answer code 3, and what the SQLite store does that it must do too."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable

import psycopg
import pytest

from camrelay.protocol.errors import DatabaseFail
from camrelay.server.core import pg_database
from camrelay.server.core.account_config import STORAGE_MIB, AccountConfig
from camrelay.server.core.accounts import Accounts
from camrelay.server.core.blob_reads import PIECE
from camrelay.server.core.bus import LocalBus
from camrelay.server.core.cameras import Cameras
from camrelay.server.core.clock import ManualClock
from camrelay.server.core.db import LATEST_SCHEMA as SQLITE_SCHEMA
from camrelay.server.core.messages import Messages, NewMessage
from camrelay.server.core.passwords import Passwords
from camrelay.server.core.pg_database import LATEST_SCHEMA, PgConnection, PgDatabase
from camrelay.server.core.records import Records
from camrelay.server.core.stamps import StampSource
from tests.support.postgres import fresh_database
from tests.support.relay_server import TEST_HASH, free_port


@pytest.fixture
async def db() -> AsyncIterator[PgDatabase]:
    store = await PgDatabase.open(fresh_database())
    yield store
    await store.close()


async def _account(db: PgDatabase) -> int:
    return (await Accounts(db, ManualClock(), Passwords(cost=TEST_HASH)).add("owner", "pw")).id  # type: ignore[arg-type]


async def test_a_fresh_database_has_the_newest_schema_and_sql_runs_unchanged(
    db: PgDatabase,
) -> None:
    assert await db.schema_version() == LATEST_SCHEMA == SQLITE_SCHEMA
    account = await _account(db)

    async def insert(conn: PgConnection) -> tuple[int, int]:
        await conn.execute(
            "INSERT OR IGNORE INTO devices(account_id, device) VALUES(?,?)", (account, "d")
        )
        again = await conn.execute(
            "INSERT OR IGNORE INTO devices(account_id, device) VALUES(?,?)", (account, "d")
        )
        return again.rowcount, account

    assert await db.write(insert) == (0, account)
    row = await db.fetchone("SELECT account_id, device FROM devices")
    assert (row[0], row["device"], row[:2]) == (account, "d", (account, "d"))


async def test_an_empty_database_has_schema_0_until_migrated() -> None:
    url = fresh_database(migrated=False)
    empty = await PgDatabase.open(url)
    try:
        before = await empty.schema_version()
        await empty.migrate()
        after = await empty.schema_version()
    finally:
        await empty.close()
    assert (before, after) == (0, LATEST_SCHEMA)


async def test_a_migration_takes_as_long_as_it_needs(monkeypatch: pytest.MonkeyPatch) -> None:
    """A node's writes have a deadline; `camrelay migrate` rewriting a big table must not be cut
    by it (here the deadline is shorter than any migration)."""
    monkeypatch.setattr(pg_database, "JOB_TIMEOUT_S", 0.000_1)
    empty = await PgDatabase.open(fresh_database(migrated=False))
    try:
        await empty.migrate()
        monkeypatch.undo()
        after = await empty.schema_version()
    finally:
        await empty.close()
    assert after == LATEST_SCHEMA


async def test_two_nodes_hand_out_increasing_stamps_that_commit_in_order() -> None:
    """Node B's clock runs 5 s behind A's: its stamps still follow A's, and a reader that keeps
    asking for "later than the newest stamp I saw" misses none of either node's messages."""
    url = fresh_database()
    nodes = [await PgDatabase.open(url) for _ in range(2)]
    try:
        account = await _account(nodes[0])
        clocks = [ManualClock(1_800_000_000.0), ManualClock(1_800_000_000.0 - 5)]
        messages = [
            Messages(db, StampSource(clock), 1000, LocalBus())  # type: ignore[arg-type]
            for db, clock in zip(nodes, clocks, strict=True)
        ]
        sent = 60
        seen: dict[str, str] = {}
        done = asyncio.Event()

        async def node(i: int) -> None:
            for n in range(sent):
                clocks[i].advance(0.000_001)
                await messages[i].add(account, f"node{i}", [NewMessage(f"m{i}-{n}")])

        async def follow() -> None:
            after = ""
            while True:
                finished = done.is_set()
                rows = await nodes[0].fetchall(
                    "SELECT msg, stamp FROM messages WHERE stamp>? ORDER BY stamp", (after,)
                )
                for msg, stamp in rows:
                    seen[msg] = stamp
                    after = stamp
                if finished:
                    return
                await asyncio.sleep(0)

        reader = asyncio.create_task(follow())
        await asyncio.gather(node(0), node(1))
        done.set()
        await reader
        rows = await nodes[0].fetchall("SELECT msg, stamp FROM messages ORDER BY id")
    finally:
        for db in nodes:
            await db.close()
    assert len(seen) == 2 * sent  # the reader skipped nothing
    stamps = [stamp for _, stamp in rows]
    assert len(set(stamps)) == len(stamps)
    # Commit order (ids are taken in commit order here: one stamp per transaction) is stamp order.
    assert stamps == sorted(stamps)
    assert {msg[:2] for msg, _ in rows} == {"m0", "m1"}


async def test_two_nodes_never_store_records_beyond_the_quota_together() -> None:
    url = fresh_database()
    nodes = [await PgDatabase.open(url) for _ in range(2)]
    try:
        account = await _account(nodes[0])
        configs = [AccountConfig(db, LocalBus()) for db in nodes]  # type: ignore[arg-type]
        await configs[0].update(account, [(STORAGE_MIB, 1.0)])
        records = [
            Records(db, StampSource(ManualClock(1_800_000_000.0)), 100, config, 1, LocalBus())  # type: ignore[arg-type]
            for db, config in zip(nodes, configs, strict=True)
        ]
        results = await asyncio.gather(
            *(r.add(account, "cam", "", bytes(600 << 10)) for r in records),
            return_exceptions=True,
        )
        usage = await records[0].usage(account)
    finally:
        for db in nodes:
            await db.close()
    assert sorted(type(r).__name__ for r in results) == ["QuotaExceeded", "RecordEntry"]
    assert usage == 600 << 10


async def test_a_batch_of_records_stores_each_one_under_its_own_id(db: PgDatabase) -> None:
    # Here one INSERT a record (other nodes' inserts may take ids between a statement's rows).
    account = await _account(db)
    records = Records(
        db,
        StampSource(ManualClock(1_800_000_000.0)),
        100,
        AccountConfig(db, LocalBus()),
        1,
        LocalBus(),
    )  # type: ignore[arg-type]
    entries = await asyncio.gather(
        *(records.add(account, f"cam{n}", f"meta {n}", bytes([n]) * 1000) for n in range(5))
    )
    assert len({e.rid for e in entries}) == 5
    for n, entry in enumerate(entries):
        found = await records.data(account, entry.rid, "test")
        assert (entry.device, found.meta, found.whole) == (
            f"cam{n}",
            f"meta {n}",
            bytes([n]) * 1000,
        )


async def test_big_records_are_read_in_pieces_and_end_short_once_deleted(db: PgDatabase) -> None:
    account = await _account(db)
    data = bytes(range(256)) * ((3 * PIECE) // 256 + 7)

    async def insert(conn: PgConnection) -> int:
        cursor = await conn.execute(
            "INSERT INTO records(account_id, device, meta, stamp, size, data) VALUES(?,?,?,?,?,?)",
            (account, "cam", "", "2026-01-01 00:00:00.000001", len(data), data),
        )
        assert cursor.lastrowid is not None
        return cursor.lastrowid

    rid = await db.write(insert)
    reads = db.blob_reads()
    answer = await reads.open(rid, len(data))
    assert b"".join([piece async for piece in answer.pieces()]) == data
    closed: list[bool] = []
    answer = await reads.open(rid, len(data), lambda: closed.append(True))
    pieces = answer.pieces()
    first = await anext(pieces)
    await db.write(lambda conn: conn.execute("DELETE FROM records WHERE id=?", (rid,)))
    rest = [piece async for piece in pieces]
    assert (len(first), rest, closed) == (PIECE, [], [True])


async def test_an_unreachable_server_answers_code_3_at_once() -> None:
    url = f"postgresql://postgres@127.0.0.1:{free_port()}/postgres"
    with pytest.raises(DatabaseFail):
        await asyncio.wait_for(PgDatabase.open(url), 10)


async def test_a_lost_connection_fails_one_write_then_the_store_recovers(db: PgDatabase) -> None:
    pid = await db.write(lambda conn: _scalar(conn, "SELECT pg_backend_pid()"))
    with psycopg.connect(db.url, autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
    with pytest.raises(DatabaseFail):
        await db.write(lambda conn: _scalar(conn, "SELECT 1"))
    assert await db.write(lambda conn: _scalar(conn, "SELECT 2")) == 2


async def test_a_write_finishes_when_its_caller_is_cancelled(db: PgDatabase) -> None:
    account = await _account(db)
    started = asyncio.Event()

    async def slow(conn: PgConnection) -> None:
        started.set()
        await asyncio.sleep(0.05)
        await conn.execute("INSERT INTO devices(account_id, device) VALUES(?,?)", (account, "x"))

    caller = asyncio.create_task(db.write(slow))
    await started.wait()
    caller.cancel()
    await db.write(lambda conn: _scalar(conn, "SELECT 1"))  # queued behind it
    assert await db.fetchone("SELECT device FROM devices") == ("x",)


async def test_deleted_sessions_change_the_data_version(db: PgDatabase) -> None:
    account = await _account(db)
    before = await db.data_version()
    await db.write(
        lambda conn: conn.execute(
            "INSERT INTO sessions(shash, account_id, device, created, last_seen) "
            "VALUES('s', ?, 'd', 0, 0)",
            (account,),
        )
    )
    await db.write(lambda conn: conn.execute("DELETE FROM sessions WHERE shash='nothing'"))
    assert await db.data_version() == before
    await db.write(lambda conn: conn.execute("DELETE FROM accounts WHERE id=?", (account,)))
    assert await db.data_version() == before + 1  # a cascade deletes sessions too


async def test_after_import_new_ids_and_stamps_follow_the_source_s_counters(db: PgDatabase) -> None:
    account = await _account(db)
    await db.write(
        lambda conn: conn.execute(
            "INSERT INTO messages(id, account_id, sender, msg, stamp) "
            "VALUES(41, ?, 'd', 'old', '2030-01-01 00:00:00.000000')",
            (account,),
        )
    )
    await db.after_import({"accounts": 0, "users": 0, "messages": 45, "records": 0})
    stamps = StampSource(ManualClock(1_800_000_000.0))
    await Messages(db, stamps, 10, LocalBus()).add(account, "d", [NewMessage("new")])  # type: ignore[arg-type]
    row = await db.fetchone("SELECT id, stamp FROM messages WHERE msg='new'")
    assert (row[0], row[1]) == (46, "2030-01-01 00:00:00.000001")  # 42-45 were handed out


async def _scalar(conn: PgConnection, sql: str) -> object:
    row = await (await conn.execute(sql)).fetchone()
    return row[0] if row else None


async def test_two_nodes_adding_one_name_at_once_answer_name_taken_not_code_3() -> None:
    """Each node checks the name is free, then inserts: on one SQLite writer these never
    interleave; on PostgreSQL the second insert meets the first's row and must still answer
    NameTaken (the documented answer), never a database failure."""
    url = fresh_database()
    nodes = [await PgDatabase.open(url) for _ in range(2)]
    try:
        account = await _account(nodes[0])
        cameras = [Cameras(db, ManualClock(), LocalBus(), _nothing) for db in nodes]  # type: ignore[arg-type]
        results = []
        for n in range(20):
            results += await asyncio.gather(
                *(c.create(account, f"cam{n}") for c in cameras), return_exceptions=True
            )
    finally:
        for db in nodes:
            await db.close()
    answers = sorted(type(r).__name__ for r in results)
    assert answers == ["CameraInfo"] * 20 + ["NameTaken"] * 20


async def _nothing(*_: object) -> None:
    """No sessions to forget here."""


async def test_a_write_answered_code_3_is_never_stored_afterwards(
    db: PgDatabase, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A client told code 3 tries again: the write it was told failed must not appear later
    (stored twice), whether it was running or still queued when its caller gave up."""
    monkeypatch.setattr(pg_database, "WAIT_S", 0.5)
    account = await _account(db)

    def adding(device: str) -> Callable[[PgConnection], Awaitable[object]]:
        async def add(conn: PgConnection) -> object:
            sql = "INSERT INTO devices(account_id, device) VALUES(?,?)"
            return await conn.execute(sql, (account, device))

        return add

    with psycopg.connect(db.url) as holder:  # a server too busy to answer in time
        holder.execute("LOCK TABLE devices IN ACCESS EXCLUSIVE MODE")
        running = asyncio.create_task(db.write(adding("running")))
        queued = asyncio.create_task(db.write(adding("queued")))
        answers = await asyncio.gather(running, queued, return_exceptions=True)
        assert [type(a).__name__ for a in answers] == ["DatabaseFail", "DatabaseFail"]
        holder.rollback()  # the server answers again
    await db.write(lambda conn: _scalar(conn, "SELECT 1"))  # behind whatever was queued
    assert await db.fetchall("SELECT device FROM devices") == []
