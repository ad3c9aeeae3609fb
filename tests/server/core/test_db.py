"""The store: migrations, and writes that survive their caller being cancelled."""

from __future__ import annotations

import asyncio
import contextlib

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
