"""`camrelay import`: an export from stdin into an empty store (`camrelay export --store A |
camrelay import --store B` moves an installation)."""

from __future__ import annotations

import argparse
import io
import sys
from typing import BinaryIO

from ..server.core.db import Database
from ..server.core.store_import import import_store
from ..server.core.store_url import schema_checked, shown
from .main import COMMANDS
from .store_access import add_store_command, run_on_url


def add_parser(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Register `import`."""
    add_store_command(commands, "import", COMMANDS["import"][1], run)


def stdin_bytes() -> BinaryIO:
    """stdin as bytes (a test's stdin may be text only)."""
    buffer = getattr(sys.stdin, "buffer", None)
    return buffer if buffer is not None else io.BytesIO(sys.stdin.read().encode())


async def load(db: Database, url: str) -> None:
    """Read the export into the store, which must be empty and at this camrelay's schema."""
    rows = await import_store(await schema_checked(db, url), stdin_bytes())
    print(f"imported {rows} rows into {shown(url)}")


def run(args: argparse.Namespace) -> int:
    """Import into the store of --store (or the settings)."""
    if sys.stdin.isatty():
        print(
            "camrelay import: reads an export from stdin: "
            "camrelay export --store FROM | camrelay import --store TO",
            file=sys.stderr,
        )
        return 2
    return run_on_url(args, "import", load, migrate=False)
