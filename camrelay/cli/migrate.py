"""`camrelay migrate`: bring a store to this camrelay's schema (a shared store never migrates by
itself: its nodes refuse to start on an older schema)."""

from __future__ import annotations

import argparse

from ..server.core.db import LATEST_SCHEMA, Database
from ..server.core.store_url import StoreError, shown
from .main import COMMANDS
from .store_access import add_store_command, run_on_url


def add_parser(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Register `migrate`."""
    add_store_command(commands, "migrate", COMMANDS["migrate"][1], run)


async def migrate(db: Database, url: str) -> None:
    """Apply the migrations the store lacks; print what was done."""
    before = await db.schema_version()
    if before > LATEST_SCHEMA:
        raise StoreError(
            f"the store at {shown(url)} has schema {before}, newer than this camrelay's "
            f"{LATEST_SCHEMA}: run a newer camrelay"
        )
    if before == LATEST_SCHEMA:
        print(f"schema {LATEST_SCHEMA}: up to date")
        return
    await db.migrate()
    print(f"schema {before} -> {await db.schema_version()}")


def run(args: argparse.Namespace) -> int:
    """Migrate the store of --store (or the settings)."""
    return run_on_url(args, "migrate", migrate, migrate=False)
