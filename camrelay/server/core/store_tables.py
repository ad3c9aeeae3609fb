"""What `camrelay export` writes and `camrelay import` reads: every table of the schema with its
columns, parents before the rows that refer to them, and the stream's framing.

The stream is JSON lines: a header {"format", "version", "schema", "tables"}, then one line per
row {"table": NAME, "row": [values in column order]}, a record's row followed by its bytes as
{"piece": BASE64} lines of at most PIECE bytes each, then {"sequences": {TABLE: ID}} with the
highest id each counted table ever handed out (deleted rows included, so a moved store never
hands a deleted id out again), and last {"end": {"rows": COUNT}}, so a cut stream is told from a
whole one. record_usage is not carried: it is recomputed from the records.
Version 2 added the sequences line; no version 1 export was ever released, so only 2 is read.
"""

from __future__ import annotations

from dataclasses import dataclass

from .pg_dialect import ID_TABLES

FORMAT = "camrelay-store"
VERSION = 2
PIECE = 128 << 10  # record bytes per piece line (base64: a third more)


@dataclass(frozen=True)
class Table:
    """One table: its columns in stream order, and the key it is read in order of."""

    name: str
    columns: tuple[str, ...]
    key: tuple[str, ...]


# Parents first: a row's references are in by the time it is inserted.
TABLES = (
    Table("accounts", ("id", "name", "created"), ("id",)),
    Table(
        "users",
        ("id", "account_id", "name", "pw_hash", "role", "cameras", "server_admin", "created"),
        ("id",),
    ),
    Table(
        "device_keys",
        (
            "id",
            "account_id",
            "device",
            "secret_hash",
            "created",
            "expires",
            "revoked",
            "last_used",
            "uses",
        ),
        ("id",),
    ),
    Table("tokens", ("hash", "user_id", "created", "last_used"), ("hash",)),
    Table("cameras", ("account_id", "name", "meta", "public", "created"), ("account_id", "name")),
    Table(
        "sessions",
        (
            "shash",
            "account_id",
            "device",
            "meta",
            "address",
            "created",
            "last_seen",
            "requests",
            "user_id",
            "key_id",
        ),
        ("shash",),
    ),
    Table(
        "devices", ("account_id", "device", "given_stamp", "sync_stamp"), ("account_id", "device")
    ),
    Table("account_config", ("account_id", "kind", "value"), ("account_id", "kind")),
    Table(
        "camera_state", ("account_id", "device", "key", "value"), ("account_id", "device", "key")
    ),
    Table(
        "messages",
        ("id", "account_id", "sender", "target", "msg", "params", "stamp", "given"),
        ("id",),
    ),
    # The bytes (column data) follow each row as piece lines.
    Table("records", ("id", "account_id", "device", "meta", "stamp", "size"), ("id",)),
)
RECORDS = "records"
# Tables whose ids come from a counter (SQLite: AUTOINCREMENT; PostgreSQL: identity columns).
SEQUENCED = tuple(table.name for table in TABLES if table.name in ID_TABLES)
DERIVED = ("record_usage",)  # kept by the store itself from other tables
BY_NAME = {table.name: table for table in TABLES}


def header(schema: int) -> dict[str, object]:
    """The first line of an export of a store at `schema`."""
    return {
        "format": FORMAT,
        "version": VERSION,
        "schema": schema,
        "tables": {table.name: list(table.columns) for table in TABLES},
    }
