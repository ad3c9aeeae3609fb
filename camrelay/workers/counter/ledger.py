"""The day's counts in memory (DailyCounter) and on disk (CounterStore), saved after every change.

Each change returns the notices it caused (events started or ended, daily reports), already
written to the store in the same transaction as the new state, so the feed announces only
what a restart would also remember.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from camrelay.workers.counter.config import CounterSettings
from camrelay.workers.counter.daily import CounterStats, DailyCounter, DailyReport, Notice
from camrelay.workers.counter.line import Crossing
from camrelay.workers.counter.store import CounterStore

log = logging.getLogger(__name__)


class CounterLedger:
    """A DailyCounter restored from (or started in) the worker's SQLite file."""

    def __init__(self, counter: DailyCounter, store: CounterStore) -> None:
        self._counter = counter
        self._store = store

    @classmethod
    async def open(cls, settings: CounterSettings, now: datetime) -> CounterLedger:
        """Restore the saved day, or start one now; a reset missed while down is not settled
        here but by the first tick(), so its notices reach the caller."""
        path = Path(settings.database)
        path.parent.mkdir(parents=True, exist_ok=True)
        store = await CounterStore.open(path)
        state = await store.load_state()
        if state is None:
            counter = DailyCounter.fresh(settings, now)
            await store.save(counter.state())
        else:
            counter = DailyCounter(settings, state)
            log.info("counter restored: %s", counter.stats())
        return cls(counter, store)

    @property
    def store(self) -> CounterStore:
        """The SQLite store (events, reports, crossings)."""
        return self._store

    @property
    def next_reset(self) -> datetime:
        """When the current period ends."""
        return self._counter.state().next_reset

    def stats(self) -> CounterStats:
        """The numbers of the `stats` message."""
        return self._counter.stats()

    async def tick(self, now: datetime) -> list[Notice]:
        """Settle a due reset or a quiet event's end; saved only when something changed."""
        notices = self._counter.tick(now)
        if notices:
            await self._store.save(self._counter.state(), notices=notices)
            _log_reports(notices)
        return notices

    async def crossings(self, crossings: Sequence[Crossing], now: datetime) -> list[Notice]:
        """Count the crossings of one frame and save them with the new state."""
        if not crossings:
            return []
        notices: list[Notice] = []
        for crossing in crossings:
            notices += self._counter.crossing(crossing, now)
        await self._store.save(self._counter.state(), [(now, c) for c in crossings], notices)
        _log_reports(notices)
        return notices

    async def face_saved(self, now: datetime) -> list[Notice]:
        """Count one saved face and save the new state."""
        notices = self._counter.face_saved(now)
        await self._store.save(self._counter.state(), notices=notices)
        _log_reports(notices)
        return notices

    async def close(self) -> None:
        """Close the store."""
        await self._store.close()


def _log_reports(notices: Sequence[Notice]) -> None:
    """Daily reports go to the log; they are not part of the feed."""
    for notice in notices:
        if isinstance(notice, DailyReport):
            log.info(
                "daily report %s: %d in, %d out, %d faces, %d events",
                notice.day,
                notice.count_in,
                notice.count_out,
                notice.face_count,
                notice.event_count,
            )
