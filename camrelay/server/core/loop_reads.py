"""Small indexed reads run on the event loop's own thread, without the hop to a reader thread.

py-spy on getMsgs.json: handing a query to aiosqlite's thread (its queue, the loop's wake-up
through its self-pipe, a future) cost more CPU than the query itself, tens of microseconds of
SQLite work. In WAL mode a reader never waits for the writer, so such a read runs here at once.
The loop is never held long: with busy_timeout 0 a read that would wait (a checkpoint's or a
recovery's brief lock) fails at once, and a progress handler interrupts one that runs past
BUDGET_S; either way the caller runs it again on the reader thread (`handed_off` counts them).
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

BUDGET_S = 0.002
_STEPS = 1000  # SQLite VM steps between two looks at the clock
# Errors that mean "not now" rather than "wrong": locked, busy, interrupted by the budget.
_NOT_NOW = frozenset((sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED, sqlite3.SQLITE_INTERRUPT))


class LoopReads:
    """A read-only connection used only from the event loop's thread, one query at a time."""

    def __init__(self, path: Path) -> None:
        # Never used from two threads: check_same_thread only guards a loop run in another one.
        self._conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        try:
            self._conn.execute("PRAGMA busy_timeout=0")
            self._conn.execute("PRAGMA query_only=ON")
        except BaseException:
            self._conn.close()
            raise
        self._deadline = 0.0
        self._conn.set_progress_handler(self._over_budget, _STEPS)
        self.served = 0
        self.handed_off = 0

    def rows(self, sql: str, params: Sequence[Any]) -> list[Any] | None:
        """The query's rows, or None when it must run elsewhere (busy, or over budget)."""
        self._deadline = time.perf_counter() + BUDGET_S
        cursor = self._conn.cursor()
        try:
            rows = cursor.execute(sql, params).fetchall()
        except sqlite3.OperationalError as exc:
            if exc.sqlite_errorcode & 0xFF not in _NOT_NOW:
                raise
            self.handed_off += 1
            return None
        finally:
            # The statement is reset whatever happened: a read transaction left open by one
            # stopped half-way would hold back every checkpoint.
            cursor.close()
        self.served += 1
        return rows

    def close(self) -> None:
        """Close the connection."""
        self._conn.close()

    def _over_budget(self) -> bool:
        return time.perf_counter() > self._deadline
