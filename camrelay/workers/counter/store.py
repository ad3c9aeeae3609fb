"""The counter's own SQLite file (WAL): the day's state, crossings, events and daily reports.

The whole DayState is one JSON row, written in the same transaction as the crossings and
notices that changed it, so a restart resumes exactly where the last write left off.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any

import aiosqlite

from camrelay.workers.counter.daily import DailyReport, DayState, Notice
from camrelay.workers.counter.events import EventChange, EventState, EventStatus
from camrelay.workers.counter.line import Crossing

_SCHEMA = """
CREATE TABLE IF NOT EXISTS day_state (id INTEGER PRIMARY KEY CHECK (id = 1), state TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS crossings (
    id INTEGER PRIMARY KEY, at TEXT NOT NULL, track_id INTEGER NOT NULL, direction TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS events (
    id INTEGER PRIMARY KEY, start TEXT NOT NULL UNIQUE, end TEXT, count_in INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS daily_reports (
    id INTEGER PRIMARY KEY, day TEXT NOT NULL, period_start TEXT NOT NULL,
    period_end TEXT NOT NULL, count_in INTEGER NOT NULL, count_out INTEGER NOT NULL,
    face_count INTEGER NOT NULL, event_count INTEGER NOT NULL);
"""


def _when(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text is not None else None


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def state_to_json(state: DayState) -> str:
    """The state as compact JSON with ISO instants."""
    ev = state.events
    return json.dumps(
        {
            "period_start": _iso(state.period_start),
            "next_reset": _iso(state.next_reset),
            "counts": [state.count_in, state.count_out, state.face_count, state.event_count],
            "ins": [t.isoformat() for t in ev.ins],
            "active_start": _iso(ev.active_start),
            "active_count_in": ev.active_count_in,
            "quiet_since": _iso(ev.quiet_since),
        },
        separators=(",", ":"),
    )


def state_from_json(text: str) -> DayState:
    """The inverse of state_to_json."""
    raw: dict[str, Any] = json.loads(text)
    events = EventState(
        tuple(_at(t) for t in raw["ins"]),
        _when(raw["active_start"]),
        raw["active_count_in"],
        _when(raw["quiet_since"]),
    )
    start, reset = _at(raw["period_start"]), _at(raw["next_reset"])
    count_in, count_out, face_count, event_count = raw["counts"]
    return DayState(start, reset, count_in, count_out, face_count, event_count, events)


class CounterStore:
    """One aiosqlite connection to the counter's database."""

    def __init__(self, db: aiosqlite.Connection) -> None:
        self._db = db

    @classmethod
    async def open(cls, path: Path) -> CounterStore:
        """Opens (creating if needed) the database in WAL mode."""
        db = await aiosqlite.connect(path)
        await db.execute("PRAGMA journal_mode=WAL")
        await db.execute("PRAGMA synchronous=NORMAL")
        await db.executescript(_SCHEMA)
        await db.commit()
        return cls(db)

    async def close(self) -> None:
        """Closes the connection."""
        await self._db.close()

    async def load_state(self) -> DayState | None:
        """The saved day state, or None on a first start."""
        async with self._db.execute("SELECT state FROM day_state WHERE id = 1") as cur:
            row = await cur.fetchone()
        return state_from_json(row[0]) if row else None

    async def save(
        self,
        state: DayState,
        crossings: Sequence[tuple[datetime, Crossing]] = (),
        notices: Iterable[Notice] = (),
    ) -> None:
        """Writes the new state with the crossings and notices that led to it, atomically."""
        db = self._db
        await db.execute(
            "INSERT INTO day_state (id, state) VALUES (1, ?) "
            "ON CONFLICT (id) DO UPDATE SET state = excluded.state",
            (state_to_json(state),),
        )
        await db.executemany(
            "INSERT INTO crossings (at, track_id, direction) VALUES (?, ?, ?)",
            [(at.isoformat(), c.track_id, c.direction.value) for at, c in crossings],
        )
        for notice in notices:
            await self._save_notice(notice)
        await db.commit()

    async def _save_notice(self, notice: Notice) -> None:
        """One event change (upserted by start) or one daily report."""
        if isinstance(notice, EventChange):
            await self._db.execute(
                "INSERT INTO events (start, end, count_in) VALUES (?, ?, ?) ON CONFLICT (start) "
                "DO UPDATE SET end = excluded.end, count_in = excluded.count_in",
                (notice.start.isoformat(), _iso(notice.end), notice.count_in),
            )
            return
        await self._db.execute(
            "INSERT INTO daily_reports (day, period_start, period_end, count_in, count_out, "
            "face_count, event_count) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                notice.day.isoformat(),
                notice.period_start.isoformat(),
                notice.period_end.isoformat(),
                notice.count_in,
                notice.count_out,
                notice.face_count,
                notice.event_count,
            ),
        )

    async def events(self) -> list[EventChange]:
        """Every event, oldest first; an active one has end None."""
        sql = "SELECT start, end, count_in FROM events ORDER BY start"
        async with self._db.execute(sql) as cur:
            rows = await cur.fetchall()
        return [
            EventChange(EventStatus.ENDED if end else EventStatus.STARTED, _at(s), _when(end), n)
            for s, end, n in rows
        ]

    async def reports(self) -> list[DailyReport]:
        """Every daily report, oldest first."""
        sql = (
            "SELECT day, period_start, period_end, count_in, count_out, face_count, event_count "
            "FROM daily_reports ORDER BY id"
        )
        async with self._db.execute(sql) as cur:
            rows = await cur.fetchall()
        return [DailyReport(date.fromisoformat(r[0]), _at(r[1]), _at(r[2]), *r[3:]) for r in rows]

    async def crossing_count(self) -> int:
        """How many crossings are logged."""
        async with self._db.execute("SELECT COUNT(*) FROM crossings") as cur:
            row = await cur.fetchone()
        return int(row[0]) if row else 0
