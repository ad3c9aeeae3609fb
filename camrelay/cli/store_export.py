"""`camrelay export`: the whole store to stdout, for `camrelay import` on another store."""

from __future__ import annotations

import argparse
import sys

from ..server.core.db import Database
from ..server.core.store_export import Sink, export_store
from ..server.core.store_url import schema_checked
from .main import COMMANDS
from .store_access import add_store_command, run_on_url


def add_parser(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Register `export`."""
    add_store_command(commands, "export", COMMANDS["export"][1], run)


class _TextOut:
    """A stdout that takes text only (a test's): the lines written as text."""

    def write(self, data: bytes) -> int:
        return sys.stdout.write(data.decode())

    def flush(self) -> None:
        sys.stdout.flush()


def stdout_bytes() -> Sink:
    """stdout as bytes."""
    buffer = getattr(sys.stdout, "buffer", None)
    return buffer if buffer is not None else _TextOut()


async def export(db: Database, url: str) -> None:
    """Every row to stdout; the store must be at this camrelay's schema."""
    await export_store(await schema_checked(db, url), stdout_bytes())


def run(args: argparse.Namespace) -> int:
    """Export the store of --store (or the settings)."""
    return run_on_url(args, "export", export, migrate=False)
