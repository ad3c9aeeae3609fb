"""The counter's SQLite file keeps state, crossings, events and reports across a reopen."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from camrelay.workers.counter.config import CounterSettings, EventSettings
from camrelay.workers.counter.daily import CounterStats, DailyCounter, DailyReport
from camrelay.workers.counter.events import EventChange, EventStatus
from camrelay.workers.counter.line import Crossing, Direction
from camrelay.workers.counter.store import CounterStore

T0 = datetime(2024, 5, 10, 8, 0, tzinfo=UTC)
SETTINGS = CounterSettings(events=EventSettings(threshold_in=1))


async def test_store_survives_reopening(tmp_path: Path) -> None:
    path = tmp_path / "counter.sqlite3"
    store = await CounterStore.open(path)
    assert await store.load_state() is None
    day = DailyCounter.fresh(SETTINGS, T0)
    crossings = [(T0 + timedelta(seconds=s), Crossing(s, Direction.IN)) for s in (1, 2)]
    notices = []
    for when, crossing in crossings:
        notices += day.crossing(crossing, when)
    await store.save(day.state(), crossings, notices)
    await store.close()

    store = await CounterStore.open(path)
    state = await store.load_state()
    assert state == day.state()
    resumed = DailyCounter(SETTINGS, state)
    assert resumed.stats() == CounterStats(2, 0, 0, 1, True, 1)
    assert await store.events() == [
        EventChange(EventStatus.STARTED, T0 + timedelta(seconds=2), None, 1)
    ]
    assert await store.crossing_count() == 2

    midnight = datetime(2024, 5, 11, 0, 0, tzinfo=UTC)
    later = resumed.tick(midnight + timedelta(seconds=1))
    await store.save(resumed.state(), (), later)
    await store.close()

    store = await CounterStore.open(path)
    assert await store.events() == [
        EventChange(EventStatus.ENDED, T0 + timedelta(seconds=2), midnight, 1)
    ]
    assert await store.reports() == [DailyReport(date(2024, 5, 10), T0, midnight, 2, 0, 0, 1)]
    assert (await store.load_state()) == resumed.state()
    async with store._db.execute("PRAGMA journal_mode") as cur:
        assert (await cur.fetchone()) == ("wal",)
    await store.close()
