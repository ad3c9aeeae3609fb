"""The users of an account: role, camera scope, password (CONTRACT §4).

A change of password, role or scope, and a user's removal, end the user's device sessions and
tokens at once: what was allowed a moment ago must not stay allowed.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Final

import aiosqlite

from camrelay.protocol.errors import LastAdmin, MalformedRequest, NoSuchUser

from .accounts import AccountExists, _taken, check_name
from .clock import Clock
from .db import Database, scalar
from .identity import USER_ROLES, Identity, Role
from .passwords import Passwords

MAX_SCOPE = 256  # cameras in one user's scope
UNCHANGED: Final = object()
Reconcile = Callable[[], Awaitable[None]]

_COLUMNS = (
    "u.id, u.name, a.name, a.id, u.role, u.cameras, u.server_admin, u.created, u.pw_hash "
    "FROM users u JOIN accounts a ON a.id = u.account_id"
)


@dataclass(frozen=True)
class UserInfo:
    """A user as the admin API and `camrelay user list` show it (never its hash)."""

    id: int
    name: str
    account: str
    account_id: int
    role: Role
    cameras: frozenset[str] | None
    server_admin: bool
    created: float

    def identity(self) -> Identity:
        """The identity a login of this user carries."""
        return Identity(
            self.account_id,
            self.account,
            self.name,
            self.role,
            self.cameras,
            self.server_admin,
            user_id=self.id,
        )


class Users:
    """Adds, lists, changes, removes and checks the users of accounts."""

    def __init__(
        self, db: Database, clock: Clock, passwords: Passwords, ended: Reconcile | None = None
    ) -> None:
        self._db = db
        self._clock = clock
        self._passwords = passwords
        self._ended = ended  # forgets the live sessions whose rows a change deleted

    async def add(
        self,
        account_id: int,
        name: str,
        password: str,
        role: Role | str,
        cameras: frozenset[str] | None = None,
        server_admin: bool = False,
    ) -> UserInfo:
        """A new user of an existing account; AccountExists when the name is taken."""
        check_name(name)
        role = parse_role(role)
        scope = scope_text(cameras)
        pw_hash = await self._passwords.hash(password)

        async def insert(conn: aiosqlite.Connection) -> None:
            if await _taken(conn, name):
                raise AccountExists(name)
            await conn.execute(
                "INSERT INTO users(account_id, name, pw_hash, role, cameras, server_admin, "
                "created) VALUES(?,?,?,?,?,?,?)",
                (
                    account_id,
                    name,
                    pw_hash,
                    role.value,
                    scope,
                    int(server_admin),
                    self._clock.now(),
                ),
            )

        await self._db.write(insert)
        return await self._get(account_id, name)

    async def list(self, account_id: int | None = None) -> list[UserInfo]:
        """The users of an account (of every account when None), by account and name."""
        where, args = (
            ("WHERE u.account_id=? ", (account_id,)) if account_id is not None else ("", ())
        )
        rows = await self._db.fetchall(f"SELECT {_COLUMNS} {where}ORDER BY a.name, u.name", args)
        return [_info(row) for row in rows]

    async def find(self, name: str) -> UserInfo | None:
        """The user of that name, if any."""
        row = await self._db.fetchone(f"SELECT {_COLUMNS} WHERE u.name=?", (name,))
        return _info(row) if row else None

    async def verify(self, name: str, password: str) -> Identity:
        """The user's identity if name and password match; NoSuchUser otherwise."""
        row = None
        if len(name) <= 64:
            row = await self._db.fetchone(f"SELECT {_COLUMNS} WHERE u.name=?", (name,))
        if not await self._passwords.verify(password, row[8] if row else None) or row is None:
            raise NoSuchUser()
        return _info(row).identity()

    async def update(
        self,
        account_id: int,
        name: str,
        *,
        password: str | None = None,
        role: Role | str | None = None,
        cameras: Any = UNCHANGED,
    ) -> UserInfo:
        """Change a user's password, role or scope; its sessions and tokens end."""
        changes: dict[str, Any] = {}
        if password is not None:
            changes["pw_hash"] = await self._passwords.hash(password)
        if role is not None:
            changes["role"] = parse_role(role).value
        if cameras is not UNCHANGED:
            changes["cameras"] = scope_text(cameras)

        async def update(conn: aiosqlite.Connection) -> None:
            user_id = await _user_id(conn, account_id, name)
            if changes.get("role", Role.ADMIN.value) != Role.ADMIN.value:
                await _keep_an_admin(conn, account_id, user_id)
            if changes:
                marks = ", ".join(f"{column}=?" for column in changes)
                await conn.execute(
                    f"UPDATE users SET {marks} WHERE id=?", (*changes.values(), user_id)
                )
                await _end_logins(conn, user_id)

        await self._db.write(update)
        await self._reconcile()
        return await self._get(account_id, name)

    async def set_password(self, name: str, password: str) -> None:
        """Change a user's password by name alone (`camrelay user passwd`)."""
        user = await self.find(name)
        if user is None:
            raise NoSuchUser(name)
        await self.update(user.account_id, name, password=password)

    async def delete(self, account_id: int, name: str) -> None:
        """Remove a user; LastAdmin when it is the account's last admin."""

        async def delete(conn: aiosqlite.Connection) -> None:
            user_id = await _user_id(conn, account_id, name)
            await _keep_an_admin(conn, account_id, user_id)
            await conn.execute("DELETE FROM users WHERE id=?", (user_id,))

        await self._db.write(delete)
        await self._reconcile()

    async def _reconcile(self) -> None:
        if self._ended is not None:
            await self._ended()

    async def _get(self, account_id: int, name: str) -> UserInfo:
        row = await self._db.fetchone(
            f"SELECT {_COLUMNS} WHERE u.name=? AND u.account_id=?", (name, account_id)
        )
        if row is None:
            raise NoSuchUser(name)
        return _info(row)


def parse_role(role: Role | str) -> Role:
    """A user role from its name; MalformedRequest for anything else."""
    try:
        parsed = Role(role)
    except ValueError:
        parsed = None
    if parsed not in USER_ROLES:
        raise MalformedRequest("role must be admin, operator or viewer")
    assert parsed is not None
    return parsed


def scope_text(cameras: frozenset[str] | list[str] | None) -> str | None:
    """The stored form of a camera scope; None means every camera."""
    if cameras is None:
        return None
    names = sorted(set(cameras))
    if len(names) > MAX_SCOPE or not all(isinstance(n, str) and 0 < len(n) <= 128 for n in names):
        raise MalformedRequest(f"cameras: up to {MAX_SCOPE} device names of 1-128 characters")
    return json.dumps(names)


def _info(row: Any) -> UserInfo:
    cameras = None if row[5] is None else frozenset(json.loads(row[5]))
    return UserInfo(row[0], row[1], row[2], row[3], Role(row[4]), cameras, bool(row[6]), row[7])


async def _user_id(conn: aiosqlite.Connection, account_id: int, name: str) -> int:
    found = await scalar(
        conn, "SELECT id FROM users WHERE account_id=? AND name=?", (account_id, name)
    )
    if found is None:
        raise NoSuchUser(name)
    return int(found)


async def _keep_an_admin(conn: aiosqlite.Connection, account_id: int, user_id: int) -> None:
    """LastAdmin if `user_id` is the account's only admin."""
    others = await scalar(
        conn,
        "SELECT COUNT(*) FROM users WHERE account_id=? AND role='admin' AND id<>?",
        (account_id, user_id),
    )
    is_admin = await scalar(conn, "SELECT role='admin' FROM users WHERE id=?", (user_id,))
    if is_admin and not others:
        raise LastAdmin("an account keeps at least one admin")


async def _end_logins(conn: aiosqlite.Connection, user_id: int) -> None:
    await conn.execute("DELETE FROM sessions WHERE user_id=?", (user_id,))
    await conn.execute("DELETE FROM tokens WHERE user_id=?", (user_id,))
