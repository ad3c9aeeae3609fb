"""Accounts and their argon2id password hashes.

argon2 takes a CPU core for a good fraction of a second: it runs in worker threads, at most
`max_checks` at a time, so a burst of logins never starves the event loop's other requests.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

import aiosqlite
from pwdlib import PasswordHash

from camrelay.protocol.errors import MalformedRequest, NoSuchUser

from .clock import Clock
from .db import Database, scalar

T = TypeVar("T")

NAME_RE = re.compile(r"^[A-Za-z0-9_.@+-]{1,64}$")
MAX_PASSWORD = 1024


class AccountExists(ValueError):
    """An account of that name exists already."""


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
    """Creates, lists, changes and checks accounts."""

    def __init__(self, db: Database, clock: Clock, max_checks: int = 2) -> None:
        self._db = db
        self._clock = clock
        self._hasher = PasswordHash.recommended()
        self._slots = asyncio.Semaphore(max_checks)
        self.checks = 0  # passwords verified since start
        self.waiting = 0  # hash jobs waiting for a slot
        # Verified against when the name is unknown, so both cases cost the same time.
        self._dummy_hash = self._hasher.hash("camrelay-no-such-account")

    async def add(self, name: str, password: str) -> Account:
        """Create an account; AccountExists if the name is taken."""
        _check_name(name)
        _check_password(password)
        pw_hash = await self._argon2(self._hasher.hash, password)

        async def insert(conn: aiosqlite.Connection) -> Account:
            if await _account_id(conn, name) is not None:
                raise AccountExists(name)
            cursor = await conn.execute(
                "INSERT INTO accounts(name, pw_hash, created) VALUES(?,?,?)",
                (name, pw_hash, self._clock.now()),
            )
            return Account(int(cursor.lastrowid or 0), name)

        return await self._db.write(insert)

    async def set_password(self, name: str, password: str) -> None:
        """Change the password and end every session of the account."""
        _check_password(password)
        pw_hash = await self._argon2(self._hasher.hash, password)

        async def update(conn: aiosqlite.Connection) -> None:
            account_id = await _account_id(conn, name)
            if account_id is None:
                raise NoSuchUser(name)
            await conn.execute("UPDATE accounts SET pw_hash=? WHERE id=?", (pw_hash, account_id))
            await conn.execute("DELETE FROM sessions WHERE account_id=?", (account_id,))

        await self._db.write(update)

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

    async def ids(self) -> list[int]:
        """The ids of every account."""
        return [row[0] for row in await self._db.fetchall("SELECT id FROM accounts")]

    async def find(self, name: str) -> Account | None:
        """The account of that name, if any."""
        row = await self._db.fetchone("SELECT id, name FROM accounts WHERE name=?", (name,))
        return Account(row[0], row[1]) if row else None

    async def verify(self, name: str, password: str) -> Account:
        """The account if name and password match; NoSuchUser otherwise."""
        row = None
        if NAME_RE.match(name) and len(password) <= MAX_PASSWORD:
            row = await self._db.fetchone(
                "SELECT id, name, pw_hash FROM accounts WHERE name=?", (name,)
            )
        pw_hash = row[2] if row else self._dummy_hash
        self.checks += 1
        ok = await self._argon2(self._hasher.verify, password, pw_hash)
        if row is None or not ok:
            raise NoSuchUser()
        return Account(row[0], row[1])

    async def _argon2(self, work: Callable[..., T], *args: str) -> T:
        """Run a hash job in a worker thread once one of the few slots is free."""
        self.waiting += 1
        try:
            await self._slots.acquire()
        finally:
            self.waiting -= 1
        job = asyncio.ensure_future(asyncio.to_thread(work, *args))
        # The slot is the thread's: a caller cancelled mid-hash cannot stop it running.
        job.add_done_callback(self._release)
        return await asyncio.shield(job)

    def _release(self, done: asyncio.Future[T]) -> None:
        self._slots.release()
        if not done.cancelled():
            done.exception()  # retrieved, so an abandoned failure is not reported as lost


async def _account_id(conn: aiosqlite.Connection, name: str) -> int | None:
    found = await scalar(conn, "SELECT id FROM accounts WHERE name=?", (name,))
    return None if found is None else int(found)


def _check_name(name: str) -> None:
    if not NAME_RE.match(name):
        raise MalformedRequest("account names are 1-64 of: letters, digits, _ . @ + -")


def _check_password(password: str) -> None:
    if not 1 <= len(password) <= MAX_PASSWORD:
        raise MalformedRequest(f"passwords are 1-{MAX_PASSWORD} characters")
