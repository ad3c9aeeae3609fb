"""Which store a command opens: a store URL (SQLite file or PostgreSQL server) made into a
Database, and the schema check a node makes before it serves from a store it does not migrate."""

from __future__ import annotations

import importlib
import re
import sqlite3
from pathlib import Path

from ...protocol.errors import DatabaseFail
from ...settings import Settings
from .db import LATEST_SCHEMA, Database

DB_FILE = "camrelay.sqlite3"
SQLITE = "sqlite://"
POSTGRES = ("postgresql://", "postgres://")
PG_MODULE = "camrelay.server.core.pg_database"
_SCHEME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
_PASSWORD_RE = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*://[^/:@]*):[^/@]*@")
_PASSWORD_PARAMETER_RE = re.compile(r"([?&]password=)[^&#]*", re.IGNORECASE)  # libpq's form too


class StoreError(Exception):
    """A store that cannot be opened or used as it is; the text says what to do."""


def database_path(data_dir: Path) -> Path:
    """Where the SQLite file of a data directory lives."""
    return data_dir / DB_FILE


def configured_url(settings: Settings) -> str:
    """The store of the settings: `store.url`, else the SQLite file in the data directory."""
    return settings.store.url or str(database_path(settings.server.data_dir))


def shown(url: str) -> str:
    """The URL with its password hidden, for messages and logs."""
    return _PASSWORD_PARAMETER_RE.sub(r"\1***", _PASSWORD_RE.sub(r"\1:***@", url))


def sqlite_path(url: str) -> Path | None:
    """The file of a SQLite store URL or plain path; None for a PostgreSQL URL."""
    if url.startswith(POSTGRES):
        return None
    if url.startswith(SQLITE):
        rest = url[len(SQLITE) :]
        # SQLAlchemy's convention: sqlite:///relative/file, sqlite:////absolute/file.
        if not rest.startswith("/") or len(rest) < 2:
            raise StoreError(f"store.url: {shown(url)!r} names no file (use sqlite:///PATH)")
        return Path(rest[1:])
    if _SCHEME_RE.match(url) or not url:
        raise StoreError(
            f"store.url: unsupported store {shown(url)!r} (use sqlite:///PATH or postgresql://…)"
        )
    return Path(url)


def in_data_dir(settings: Settings) -> bool:
    """Whether the store is the data directory's own file (whose folder camrelay keeps private)."""
    return not settings.store.url


async def open_store(url: str, *, migrate: bool, own_folder: bool = False) -> Database:
    """Open the store at `url`; `migrate` brings it to LATEST_SCHEMA, else it opens as it is.
    `own_folder`: a SQLite file's folder is camrelay's data directory, made owner-only."""
    path = sqlite_path(url)
    if path is not None:
        try:
            return await Database.open(path, migrate=migrate, own_folder=own_folder)
        except (OSError, sqlite3.Error) as exc:
            raise StoreError(f"store.url: cannot open {shown(url)!r}: {exc}") from exc
    try:
        module = importlib.import_module(PG_MODULE)
    except ModuleNotFoundError as exc:
        if exc.name == PG_MODULE:
            raise StoreError(
                f"store.url: {shown(url)!r}: this camrelay has no PostgreSQL store yet"
            ) from exc
        raise StoreError(
            f"store.url: {shown(url)!r}: PostgreSQL stores need the Python package {exc.name} "
            "(pip install 'camrelay[cluster]')"
        ) from exc
    try:
        store: Database = await module.PgDatabase.open(url, migrate=migrate)
    except DatabaseFail as exc:  # unreachable, refused, no such database: one line, exit 2
        raise StoreError(
            f"store.url: cannot open {shown(url)!r}: {' '.join(str(exc).split())}"
        ) from exc
    return store


async def schema_checked(store: Database, url: str) -> Database:
    """The store ready to serve: an embedded one migrated as always; any other refused (and
    closed) unless `camrelay migrate` has brought it to this camrelay's schema."""
    if store.migrates_itself:
        await store.migrate()
        return store
    version = await store.schema_version()
    if version != LATEST_SCHEMA:
        await store.close()
        if version > LATEST_SCHEMA:
            raise StoreError(
                f"the store at {shown(url)} has schema {version}, newer than this camrelay's "
                f"{LATEST_SCHEMA}: run a newer camrelay"
            )
        raise StoreError(
            f"the store at {shown(url)} has schema {version}, this camrelay needs "
            f"{LATEST_SCHEMA}: run camrelay migrate --store {shown(url)}"
        )
    return store


async def open_for_serving(url: str, *, own_folder: bool = False) -> Database:
    """Open the store at `url` and check its schema (see schema_checked)."""
    return await schema_checked(await open_store(url, migrate=False, own_folder=own_folder), url)
