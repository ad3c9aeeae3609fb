"""Accounts: the tenants (one site, one fleet) that users, devices, records and messages
belong to. An account is made with its first user, an admin of the same name (CONTRACT §4)."""

from __future__ import annotations

import re
from dataclasses import dataclass

import aiosqlite

from camrelay.protocol.errors import MalformedRequest, NameTaken, NoSuchUser

from .clock import Clock
from .db import Database, scalar
from .passwords import Passwords

NAME_RE = re.compile(r"^[A-Za-z0-9_.@+-]{1,64}$")
KEY_PREFIX = "key_"  # device key ids; no user or account name may start with it


class AccountExists(NameTaken):
    """An account or user of that name exists already."""


@dataclass(frozen=True)
class Account:
    """An account as the rest of the core sees it."""

    id: int
    name: str


@dataclass(frozen=True)
class AccountSummary:
    """An account with the counts `camrelay user list` shows."""

    name: str
    records: int
    sessions: int


class Accounts:
    """Creates, lists and deletes accounts."""

    def __init__(self, db: Database, clock: Clock, passwords: Passwords) -> None:
        self._db = db
        self._clock = clock
        self._passwords = passwords

    async def add(self, name: str, password: str, server_admin: bool = False) -> Account:
        """Create an account with its admin user NAME; AccountExists if the name is taken."""
        check_name(name)
        pw_hash = await self._passwords.hash(password)

        async def insert(conn: aiosqlite.Connection) -> Account:
            if await _taken(conn, name):
                raise AccountExists(name)
            now = self._clock.now()
            cursor = await conn.execute(
                "INSERT INTO accounts(name, created) VALUES(?,?)", (name, now)
            )
            account_id = int(cursor.lastrowid or 0)
            await conn.execute(
                "INSERT INTO users(account_id, name, pw_hash, role, server_admin, created) "
                "VALUES(?,?,?,'admin',?,?)",
                (account_id, name, pw_hash, int(server_admin), now),
            )
            return Account(account_id, name)

        return await self._db.write(insert)

    async def delete(self, name: str) -> None:
        """Delete an account with everything it holds."""

        async def delete(conn: aiosqlite.Connection) -> None:
            cursor = await conn.execute("DELETE FROM accounts WHERE name=?", (name,))
            if cursor.rowcount == 0:
                raise NoSuchUser(name)

        await self._db.write(delete)

    async def summaries(self) -> list[AccountSummary]:
        """Every account with its record and session counts, by name."""
        rows = await self._db.fetchall(
            "SELECT a.name, (SELECT COUNT(*) FROM records r WHERE r.account_id=a.id), "
            "(SELECT COUNT(*) FROM sessions s WHERE s.account_id=a.id) "
            "FROM accounts a ORDER BY a.name"
        )
        return [AccountSummary(name, records, sessions) for name, records, sessions in rows]

    async def names(self) -> dict[int, str]:
        """Every account's name by id."""
        return {row[0]: row[1] for row in await self._db.fetchall("SELECT id, name FROM accounts")}

    async def ids(self) -> list[int]:
        """The ids of every account."""
        return [row[0] for row in await self._db.fetchall("SELECT id FROM accounts")]

    async def find(self, name: str) -> Account | None:
        """The account of that name, if any."""
        row = await self._db.fetchone("SELECT id, name FROM accounts WHERE name=?", (name,))
        return Account(row[0], row[1]) if row else None


async def _taken(conn: aiosqlite.Connection, name: str) -> bool:
    """Whether an account or a user has that name (user names are unique across the server)."""
    found = await scalar(
        conn,
        "SELECT 1 WHERE EXISTS(SELECT 1 FROM accounts WHERE name=?) "
        "OR EXISTS(SELECT 1 FROM users WHERE name=?)",
        (name, name),
    )
    return found is not None


def check_name(name: str) -> None:
    """MalformedRequest unless a valid account or user name."""
    if not NAME_RE.match(name) or name.startswith(KEY_PREFIX):
        raise MalformedRequest(
            "names are 1-64 of: letters, digits, _ . @ + - (and do not start with key_)"
        )
