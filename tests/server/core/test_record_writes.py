"""addRecord's batch: the records that fit inserted in order (small ones 8 to a statement), each
caller its own id and blob; the WAL pages of the blobs checkpointed off the writer's thread."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import pytest

from camrelay.protocol.errors import QuotaExceeded
from camrelay.protocol.wire_types import RecordEntry
from camrelay.server.core.account_config import PURGE_OLDEST, STORAGE_MIB
from camrelay.server.core.accounts import Account
from camrelay.server.core.relay import Relay
from tests.support.until import until

SIZE = 30_000  # 34 fit a quota of 1 MiB, the 35th does not


def blob(n: int) -> bytes:
    return bytes([n]) * SIZE


async def stored_blob(relay: Relay, account: Account, rid: int) -> tuple[str, bytes]:
    row = await relay.db.fetchone(
        "SELECT meta, data FROM records WHERE id=? AND account_id=?", (rid, account.id)
    )
    return row[0], bytes(row[1])


@pytest.mark.parametrize("purge", [False, True])
async def test_a_batch_stores_each_callers_blob_under_its_own_id(
    relay: Relay, owner: Account, purge: bool
) -> None:
    await relay.config.update(owner.id, [(STORAGE_MIB, 1.0), (PURGE_OLDEST, float(purge))])
    earlier = [await relay.records.add(owner.id, "old", "JPEG", blob(200)) for _ in range(10)]
    results = await asyncio.gather(
        *(relay.records.add(owner.id, f"cam{n}", f"meta {n}", blob(n)) for n in range(40)),
        return_exceptions=True,
    )
    stored = [(n, r) for n, r in enumerate(results) if isinstance(r, RecordEntry)]
    refused = [n for n, r in enumerate(results) if isinstance(r, QuotaExceeded)]
    # Without purging, 24 fit beside the 10 earlier ones; with it, the 10 earlier ones make
    # room for 10 more. Either way the batch's first ones, in its order.
    fitting = 34 if purge else 24
    assert [n for n, _ in stored] == list(range(fitting))
    assert refused == list(range(fitting, 40))
    old = await relay.db.fetchall("SELECT id FROM records WHERE device='old' ORDER BY id")
    assert [row[0] for row in old] == ([] if purge else [e.rid for e in earlier])
    rids = [entry.rid for _, entry in stored]
    assert rids == sorted(rids) and len(set(rids)) == len(rids)
    assert rids[0] > earlier[-1].rid
    for n, entry in stored:
        assert entry.device == f"cam{n}"
        assert await stored_blob(relay, owner, entry.rid) == (f"meta {n}", blob(n))
    stamps = await relay.db.fetchall(
        f"SELECT stamp FROM records WHERE id IN ({','.join('?' * len(rids))}) ORDER BY id", rids
    )
    assert [row[0] for row in stamps] == [entry.stamp for _, entry in stored]


async def test_small_records_go_eight_to_an_insert_and_only_two_insert_texts_are_cached(
    relay: Relay, owner: Account
) -> None:
    # sqlite3 keeps a cached statement's last blobs bound: one text per batch size would keep
    # every size's last batch; here two texts, the 8-row one only ever holding small blobs.
    executed: list[str] = []
    writer = relay.db._writer  # the trace is set on its own thread, where it is called
    await writer._execute(writer._conn.set_trace_callback, executed.append)
    sizes = [SIZE] * 9 + [300_000] + [SIZE] * 10  # chunks: 8 small | 1 small, 1 big, 6 small | 4
    results = await asyncio.gather(
        *(
            relay.records.add(owner.id, f"cam{n}", "", bytes([n]) * size)
            for n, size in enumerate(sizes)
        )
    )
    await writer._execute(writer._conn.set_trace_callback, None)
    rids = [entry.rid for entry in results]
    assert rids == list(range(rids[0], rids[0] + len(sizes)))
    for n, (entry, size) in enumerate(zip(results, sizes, strict=True)):
        assert await stored_blob(relay, owner, entry.rid) == ("", bytes([n]) * size)
    # (the trace repeats a statement's expanded text for each trigger run it makes)
    inserts = [sql for sql in executed if sql.startswith("INSERT INTO records")]
    statements = [sql for n, sql in enumerate(inserts) if n == 0 or sql != inserts[n - 1]]
    assert [sql.count("),(") + 1 for sql in statements] == [8] + [1] * 12  # rows a statement


async def test_records_past_the_threshold_are_checkpointed_by_the_checkpoint_thread(
    relay: Relay, owner: Account
) -> None:
    checkpoints = relay.db.checkpoints
    assert checkpoints is not None and relay.db.path is not None
    checkpoints._every = 10 * SIZE  # ~75 WAL pages: far below the writer's own checkpoint
    await relay.records.add(owner.id, "cam", "", blob(1))
    await relay.messages.sync(owner.id, "phone")  # small writes never wake it
    frames, backfilled = wal_index(relay.db.path)
    assert checkpoints.runs == 0 and frames > backfilled
    for n in range(9):
        await relay.records.add(owner.id, "cam", "", blob(n))
    await until(lambda: checkpoints.runs == 1, what="the checkpoint thread ran")
    assert checkpoints.failed == 0
    # Every page the commits wrote to the WAL was copied into the database file.
    frames, backfilled = wal_index(relay.db.path)
    assert frames == backfilled > 0


def wal_index(path: Path) -> tuple[int, int]:
    """(mxFrame, nBackfill) of the WAL index: the WAL's valid frames and how many of them are
    in the database file (SQLite's wal-index format: header at 0, checkpoint info at 96)."""
    head = Path(f"{path}-shm").read_bytes()[:100]
    return int.from_bytes(head[16:20], sys.byteorder), int.from_bytes(head[96:100], sys.byteorder)


async def test_closing_the_store_stops_the_checkpoint_thread(relay: Relay) -> None:
    checkpoints = relay.db.checkpoints
    assert checkpoints is not None and checkpoints._thread.is_alive()
    await relay.close()
    assert not checkpoints._thread.is_alive()
