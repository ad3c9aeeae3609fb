"""The store: migrations, writes that survive their caller being cancelled, reads on the loop."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3

import pytest

from camrelay.server.core import loop_reads
from camrelay.server.core.accounts import Account
from camrelay.server.core.db import migration_scripts
from camrelay.server.core.messages import NewMessage
from camrelay.server.core.relay import Relay


async def test_migrations_set_the_user_version(relay: Relay) -> None:
    row = await relay.db.fetchone("PRAGMA user_version")
    assert row[0] == migration_scripts()[-1][0] == 5
    await relay.db.migrate()  # a second run changes nothing
    tables = {
        r[0] for r in await relay.db.fetchall("SELECT name FROM sqlite_master WHERE type='table'")
    }
    assert {"accounts", "sessions", "devices", "records", "messages", "account_config"} <= tables
    assert "record_usage" in tables


async def test_a_cancelled_caller_leaves_its_write_whole_and_the_store_usable(
    relay: Relay, owner: Account
) -> None:
    # A client that resets its stream cancels the request; the write it started must still
    # end in COMMIT, not leave the shared writer connection inside a transaction.
    for steps in range(1, 6):
        task = asyncio.create_task(relay.messages.add(owner.id, "cam", [NewMessage(f"m{steps}")]))
        for _ in range(steps):
            await asyncio.sleep(0)
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    await relay.messages.add(owner.id, "cam", [NewMessage("after")])
    got = [m.msg for m in await relay.messages.fetch(owner.id, "phone", None)]
    assert got == ["m1", "m2", "m3", "m4", "m5", "after"]


async def test_a_small_read_on_the_loop_thread_answers_as_the_reader_thread_does(
    relay: Relay, owner: Account, monkeypatch: pytest.MonkeyPatch
) -> None:
    await relay.messages.add(owner.id, "cam", [NewMessage(f"m{i}") for i in range(3)])
    reads = relay.db.loop_reads
    assert reads is not None
    many = "SELECT count(*) FROM messages a, messages b, messages c, messages d, messages e"
    assert await relay.db.fetch_small(many) == await relay.db.fetchall(many) == [(243,)]
    assert (reads.served, reads.handed_off) == (1, 0)
    # Past its budget the read is interrupted and goes to the reader thread, same answer; the
    # statement stopped half-way holds no read transaction a checkpoint would have to wait for.
    monkeypatch.setattr(loop_reads, "BUDGET_S", -1.0)
    assert await relay.db.fetch_small(many) == [(243,)]
    assert (reads.served, reads.handed_off) == (1, 1)
    await relay.messages.add(owner.id, "cam", [NewMessage("after")])
    assert relay.db.path is not None
    with contextlib.closing(sqlite3.connect(relay.db.path)) as other:
        assert other.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0] == 0  # not busy
    monkeypatch.setattr(loop_reads, "BUDGET_S", 0.002)
    got = [m.msg for m in await relay.messages.fetch(owner.id, "phone", None)]
    assert got == ["m0", "m1", "m2", "after"]
    assert reads.served == 2


async def test_a_record_batch_written_on_the_writer_thread_commits_whole_for_a_cancelled_caller(
    relay: Relay, owner: Account
) -> None:
    # addRecord's batch runs BEGIN to COMMIT on the writer's thread in one hop: a caller
    # cancelled at any point still finds its record stored, and the store goes on.
    for steps in range(1, 4):
        task = asyncio.create_task(relay.records.add(owner.id, "cam", "JPEG", b"x" * steps))
        for _ in range(steps):
            await asyncio.sleep(0)
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    await relay.records.add(owner.id, "cam", "JPEG", b"after")
    await relay.db.write_at_once(_nothing)  # the lock and the writer are free again
    sizes = await relay.db.fetchall("SELECT size FROM records ORDER BY id")
    assert [row[0] for row in sizes] == [1, 2, 3, 5]


async def _nothing(conn: object) -> None:
    return None


async def test_a_job_on_the_writer_thread_that_awaits_anything_else_is_rolled_back(
    relay: Relay, owner: Account
) -> None:
    async def waits(conn: object) -> None:
        execute = conn.execute  # type: ignore[attr-defined]
        await execute(
            "INSERT INTO records(account_id, device, meta, stamp, size, data) "
            "VALUES(?, 'cam', '', '2026-01-01 00:00:00.000000', 4, x'00000000')",
            (owner.id,),
        )
        await asyncio.sleep(0)

    with pytest.raises(RuntimeError, match="awaited something else"):
        await relay.db.write_at_once(waits)
    assert await relay.db.fetchall("SELECT id FROM records") == []
    await relay.records.add(owner.id, "cam", "JPEG", b"next")
    assert await relay.records.usage(owner.id) == 4


@pytest.mark.parametrize("way", ["write", "write_at_once"])
async def test_a_job_whose_transaction_sqlite_ended_reports_its_own_error(
    relay: Relay, way: str
) -> None:
    # As SQLite does on a full disk or an I/O error: the transaction is gone when the job fails.
    async def fails(conn: object) -> None:
        await conn.execute("ROLLBACK")  # type: ignore[attr-defined]
        raise ValueError("the job's own error")

    with pytest.raises(ValueError, match="the job's own error"):
        await getattr(relay.db, way)(fails)
    await relay.db.write_at_once(_nothing)  # the writer is free and out of any transaction
