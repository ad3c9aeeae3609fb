"""argon2id password hashes, computed off the event loop.

argon2 takes a CPU core for a good fraction of a second: it runs in worker threads, at most
`max_checks` at a time, so a burst of logins never starves the event loop's other requests.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TypeVar

from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher

from camrelay.protocol.errors import MalformedRequest
from camrelay.settings import PasswordSettings

T = TypeVar("T")
MAX_PASSWORD = 1024
RECOMMENDED = PasswordSettings()  # pwdlib's recommended cost: the settings' defaults


class Passwords:
    """Hashes and verifies passwords in a few worker threads."""

    def __init__(self, max_checks: int = 2, cost: PasswordSettings = RECOMMENDED) -> None:
        """`cost`: argon2id's for new hashes (settings [passwords], pwdlib's recommended)."""
        self._hasher = PasswordHash(
            (
                Argon2Hasher(
                    time_cost=cost.argon2_time_cost,
                    memory_cost=cost.argon2_memory_kib,
                    parallelism=cost.argon2_parallelism,
                ),
            )
        )
        self._slots = asyncio.Semaphore(max_checks)
        self.checks = 0  # passwords verified since start
        self.waiting = 0  # hash jobs waiting for a slot
        # Verified against when the name is unknown, so both cases cost the same time; made
        # by the first such check (in a worker thread), not at start.
        self._dummy_hash: str | None = None

    async def hash(self, password: str) -> str:
        """The hash to store for a new password (checked for length first)."""
        check_password(password)
        return await self._argon2(self._hasher.hash, password)

    async def verify(self, password: str, pw_hash: str | None) -> bool:
        """Whether the password matches; a missing hash costs the same time and fails."""
        self.checks += 1
        if len(password) > MAX_PASSWORD:
            pw_hash = None
        if pw_hash is None and self._dummy_hash is None:
            self._dummy_hash = await self._argon2(self._hasher.hash, "camrelay-no-such-account")
        ok = await self._argon2(
            self._hasher.verify, password[:MAX_PASSWORD], pw_hash or self._dummy_hash or ""
        )
        return ok and pw_hash is not None

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


def check_password(password: str) -> None:
    """MalformedRequest unless 1-1024 characters."""
    if not 1 <= len(password) <= MAX_PASSWORD:
        raise MalformedRequest(f"passwords are 1-{MAX_PASSWORD} characters")
