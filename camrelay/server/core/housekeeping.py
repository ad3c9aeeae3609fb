"""The periodic sweeps promised by config kinds 1-6, plus session bookkeeping."""

from __future__ import annotations

import asyncio
import logging

from . import account_config as kinds
from .account_config import AccountConfig
from .accounts import Accounts
from .clock import Clock
from .login_throttle import LoginThrottle
from .messages import Messages
from .records import Records
from .sessions import Sessions
from .stamps import format_seconds

log = logging.getLogger("camrelay.housekeeping")


class Housekeeping:
    """Purges old records and messages, expires sessions, flushes session counters."""

    def __init__(
        self,
        accounts: Accounts,
        config: AccountConfig,
        sessions: Sessions,
        records: Records,
        messages: Messages,
        throttle: LoginThrottle,
        clock: Clock,
    ) -> None:
        self._accounts = accounts
        self._config = config
        self._sessions = sessions
        self._records = records
        self._messages = messages
        self._throttle = throttle
        self._clock = clock

    async def sweep(self) -> None:
        """One pass over every account."""
        await self._sessions.flush()
        await self._sessions.reconcile()
        await self._sessions.expire()
        for account_id in await self._accounts.ids():
            await self._purge_account(account_id)
        self._throttle.prune()

    async def _purge_account(self, account_id: int) -> None:
        values = await self._config.values(account_id)
        now = self._clock.now()
        await self._records.purge_older(
            account_id, format_seconds(now - values[kinds.RECORDS_DAYS] * 86400)
        )
        await self._messages.purge(
            account_id,
            broadcast_cutoff=format_seconds(now - values[kinds.BROADCAST_HOURS] * 3600),
            cutoff=format_seconds(now - values[kinds.MESSAGES_DAYS] * 86400),
        )

    async def run(self, interval_s: float) -> None:
        """Sweep every `interval_s` seconds until cancelled; a failed sweep is logged."""
        while True:
            await asyncio.sleep(interval_s)
            try:
                await self.sweep()
            except Exception:
                log.exception("housekeeping sweep failed")
