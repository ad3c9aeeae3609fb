"""A SQLite store file left at an older schema, as an older camrelay left it."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from camrelay.server.core.db import migration_scripts


def old_store(path: Path, schema: int) -> sqlite3.Connection:
    """Create `path` with the migrations up to `schema` applied (user_version says so); returns
    the open connection, to add the rows of that time (commit and close it when done)."""
    conn = sqlite3.connect(path)
    for number, script in migration_scripts():
        if number <= schema:
            conn.executescript(script)
    conn.execute(f"PRAGMA user_version={schema}")
    return conn
