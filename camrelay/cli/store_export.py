"""`camrelay export`: the whole store to stdout, for `camrelay import` on another store."""

from __future__ import annotations

import argparse
import sys

from ..server.core.db import Database
from ..server.core.store_export import export_store
from ..server.core.store_url import schema_checked
from .main import COMMANDS
from .store_access import add_store_command, run_on_url


def add_parser(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Register `export`."""
    add_store_command(commands, "export", COMMANDS["export"][1], run)


async def export(db: Database, url: str) -> None:
    """Every row to stdout; the store must be at this camrelay's schema."""
    await export_store(await schema_checked(db, url), sys.stdout.buffer)


def run(args: argparse.Namespace) -> int:
    """Export the store of --store (or the settings)."""
    return run_on_url(args, "export", export, migrate=False)
