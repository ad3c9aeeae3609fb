"""WAL checkpoints of bulk writes (records) on a thread of their own, not in the writer's COMMIT.

SQLite's automatic checkpoint runs inside the COMMIT that takes the WAL past 1,000 pages: that
COMMIT copies every page into the database file and syncs it, on the writer's thread. addRecord
(40 KB a record) paid one every ~100 records, the writer idle in pread, pwrite and fsync while
the uploads waited for it (a third of the machine idle at 100 uploads in flight). Once the
records committed since the last checkpoint pass EVERY_BYTES, this thread runs a PASSIVE
checkpoint on its own connection: it copies what is committed while the writer goes on
appending (in WAL mode neither waits for the other).

The writer's automatic checkpoint stays as it was. It now finds little left to copy, and it is
still what lets the WAL start again from its beginning: a passive checkpoint beside a busy writer
rarely reaches the WAL's end, so the WAL stays bounded as before. Durability is unchanged: a
commit is in the WAL as before (synchronous=NORMAL), and a checkpoint syncs the WAL before it
copies and the database file after. Small writes (messages, sessions) leave checkpoints to
SQLite as before: a camera's snapshot a minute costs no fsync of its own.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from pathlib import Path

log = logging.getLogger(__name__)

EVERY_BYTES = 4 << 20  # as SQLite's 1,000 pages of 4 KiB


class WalCheckpoints:
    """A thread that checkpoints the WAL of `path` after each EVERY_BYTES of bulk writes."""

    def __init__(self, path: Path, every_bytes: int = EVERY_BYTES) -> None:
        self._path = path
        self._every = every_bytes
        self._pending = 0  # bytes written since the thread was last woken (the loop's own)
        self._wake = threading.Event()
        self._closing = False
        self.runs = 0  # checkpoints run
        self.failed = 0  # checkpoints that raised (logged); the writer's own ones go on
        self._thread = threading.Thread(target=self._serve, name="wal-checkpoints", daemon=True)
        self._thread.start()

    def written(self, size: int) -> None:
        """`size` bytes of bulk data were committed."""
        self._pending += size
        if self._pending >= self._every:
            self._pending = 0
            self._wake.set()

    def close(self) -> None:
        """Stop the thread (after the checkpoint it may be running)."""
        self._closing = True
        self._wake.set()
        self._thread.join()

    def _serve(self) -> None:
        conn = sqlite3.connect(self._path, isolation_level=None, check_same_thread=False)
        try:
            while True:
                self._wake.wait()
                self._wake.clear()
                if self._closing:
                    return
                self._checkpoint(conn)
        finally:
            conn.close()

    def _checkpoint(self, conn: sqlite3.Connection) -> None:
        try:
            conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
            self.runs += 1
        except sqlite3.Error as exc:
            self.failed += 1
            log.warning("WAL checkpoint failed (SQLite's own go on): %s", exc)
