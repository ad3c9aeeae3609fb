"""The core's SQL is written once, in SQLite's dialect; this turns it into PostgreSQL's.

Only what the core uses is translated: `?` placeholders, `INSERT OR IGNORE`, and the id an
INSERT made (cursor.lastrowid, which PostgreSQL gives through RETURNING). Constructs too
particular to SQLite are written in the core in a form both engines accept instead.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

# Tables whose rows get an id from an identity column (SQLite: INTEGER PRIMARY KEY).
ID_TABLES = frozenset({"accounts", "users", "records", "messages"})
_INSERT_RE = re.compile(r"^\s*INSERT\s+(OR\s+IGNORE\s+)?INTO\s+(\w+)", re.IGNORECASE)
_RETURNING_RE = re.compile(r"\bRETURNING\b", re.IGNORECASE)


@dataclass(frozen=True)
class Statement:
    """A statement in PostgreSQL's dialect; `returns_id`: RETURNING id was added for lastrowid."""

    sql: str
    returns_id: bool = False


@lru_cache(maxsize=1024)
def translate(sql: str) -> Statement:
    """PostgreSQL's form of one of the core's statements (cached: the core's SQL is fixed text)."""
    # Without `?` the statement runs without parameters, and psycopg leaves `%` alone.
    text = sql.replace("%", "%%").replace("?", "%s") if "?" in sql else sql
    insert = _INSERT_RE.match(text)
    if insert is None:
        return Statement(text)
    ignore, table = insert.groups()
    returning = ""
    found = _RETURNING_RE.search(text)
    if found is not None:
        text, returning = text[: found.start()].rstrip(), " " + text[found.start() :]
    if ignore:
        text = text.replace(insert.group(0), insert.group(0).replace(ignore, ""), 1)
        text += " ON CONFLICT DO NOTHING"
    if not returning and table.lower() in ID_TABLES and ignore is None:
        return Statement(text + " RETURNING id", returns_id=True)
    return Statement(text + returning)


def plain(value: object) -> object:
    """A parameter as PostgreSQL should see it: SQLite stores booleans as integers."""
    return int(value) if isinstance(value, bool) else value
