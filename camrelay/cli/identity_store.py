"""The identity services on a data directory's store, for `camrelay user` and `camrelay key`
(the server, if running, learns of their changes within a quarter of a second)."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from camrelay.protocol.errors import RelayError

from ..server.core.accounts import AccountExists, Accounts
from ..server.core.bus import LocalBus
from ..server.core.clock import SystemClock
from ..server.core.db import Database
from ..server.core.device_keys import DeviceKeys
from ..server.core.passwords import Passwords
from ..server.core.store_url import StoreError, configured_url, in_data_dir, open_for_serving
from ..server.core.users import Users
from .serve import settings_from


@dataclass(frozen=True)
class IdentityStore:
    """Accounts, users and device keys of one store."""

    db: Database
    accounts: Accounts
    users: Users
    keys: DeviceKeys

    async def account_id(self, name: str) -> int:
        """The id of an account; exits with a message when there is none."""
        account = await self.accounts.find(name)
        if account is None:
            raise Refused(f"no account {name}")
        return account.id


class Refused(Exception):
    """A command that cannot be done; its text is printed."""


async def _nothing() -> None:
    """No live sessions in this process: the server reconciles by itself."""


def run_on_store(args: argparse.Namespace, job: Callable[[IdentityStore], Awaitable[None]]) -> int:
    """Run `job` on the settings' store; errors exit with one line (2: the store itself)."""
    settings = settings_from(args)

    async def main() -> None:
        db = await open_for_serving(configured_url(settings), own_folder=in_data_dir(settings))
        clock, passwords = SystemClock(), Passwords(cost=settings.passwords)
        try:
            await job(
                IdentityStore(
                    db,
                    Accounts(db, clock, passwords),
                    Users(db, clock, passwords),
                    DeviceKeys(db, clock, LocalBus(), _nothing),
                )
            )
        finally:
            await db.close()

    try:
        asyncio.run(main())
    except StoreError as exc:
        print(f"camrelay: {exc}", file=sys.stderr)
        return 2
    except AccountExists as exc:
        sys.exit(f"camrelay: the name {exc.detail} is taken")
    except Refused as exc:
        sys.exit(f"camrelay: {exc}")
    except RelayError as exc:
        sys.exit(f"camrelay: {exc.detail or type(exc).__name__}")
    return 0
