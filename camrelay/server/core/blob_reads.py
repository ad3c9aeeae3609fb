"""A record's blob read a piece at a time, so a reader that stalls holds one piece, not the record.

Every answer reads through a SQLite connection of its own (incremental blob I/O), on one thread
shared by all answers, which keeps the steps of an answer in order: a close queued while a read
runs waits for it. An open blob holds a read transaction, and WAL checkpoints cannot pass it, so
the connection is closed whenever the client takes no piece for IDLE_S, and at least every
HOLD_S, then opened again at the offset reached (walking the blob's page chain once). A record
deleted meanwhile cannot be opened again: its answer ends there, short of its Content-Length,
which the client's HTTP library reports as a truncated body.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import time
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Protocol

from camrelay.protocol.errors import DatabaseFail, NoSuchRecord

log = logging.getLogger("camrelay.records")
PIECE = 128 << 10
IDLE_S = 1.0
HOLD_S = 10.0
_CACHE_KIB = 128  # page cache of one answer's connection: the blob's pages pass through once


class _Cursor:
    """A position in one record's blob; used only on the blob thread."""

    def __init__(self, uri: str, rid: int) -> None:
        self._uri = uri
        self._rid = rid
        self._conn: sqlite3.Connection | None = None
        self._blob: sqlite3.Blob | None = None
        self._opened = 0.0

    def read(self, offset: int, size: int) -> bytes:
        if self._blob is not None and time.monotonic() - self._opened > HOLD_S:
            self.close()
        if self._blob is None:
            self._open()
        assert self._blob is not None
        self._blob.seek(offset)
        return self._blob.read(size)

    def _open(self) -> None:
        conn = sqlite3.connect(self._uri, uri=True, check_same_thread=False)
        try:
            conn.execute(f"PRAGMA cache_size=-{_CACHE_KIB}")
            self._blob = conn.blobopen("records", "data", self._rid, readonly=True)
        except BaseException:
            conn.close()
            raise
        self._conn, self._opened = conn, time.monotonic()

    def close(self) -> None:
        if self._blob is not None:
            self._blob.close()
        if self._conn is not None:
            self._conn.close()
        self._blob, self._conn = None, None


class PieceSource(Protocol):
    """Where an answer's pieces come from: SQLite's blob thread or PostgreSQL's pool."""

    async def read(self, cursor: Any, offset: int, size: int) -> bytes: ...

    def release(self, cursor: Any) -> None: ...


class BlobAnswer:
    """One answer's pieces of one blob: the first read at once, the rest as the client takes
    them. `close()` (idempotent) frees the connection and calls `on_close`."""

    def __init__(
        self,
        reads: PieceSource,
        cursor: Any,
        size: int,
        first: bytes,
        on_close: Callable[[], None],
    ) -> None:
        self._reads = reads
        self._cursor = cursor
        self.size = size
        self.first = first
        self._on_close: Callable[[], None] | None = on_close

    async def pieces(self) -> AsyncIterator[bytes]:
        """Every piece from the first; ends early if the record is deleted meanwhile."""
        loop = asyncio.get_running_loop()
        offset = len(self.first)
        piece = self.first
        try:
            while piece:
                idle = loop.call_later(IDLE_S, self._reads.release, self._cursor)
                try:
                    yield piece
                finally:
                    idle.cancel()
                if offset >= self.size:
                    return
                piece = await self._reads.read(self._cursor, offset, min(PIECE, self.size - offset))
                offset += len(piece)
        finally:
            self.close()

    def close(self) -> None:
        """Free the connection and the slot; safe to call again."""
        self._reads.release(self._cursor)
        if self._on_close is not None:
            on_close, self._on_close = self._on_close, None
            on_close()


class BlobReads:
    """The thread and the database file that every blob answer reads from."""

    def __init__(self, path: Path) -> None:
        self._uri = path.resolve().as_uri() + "?mode=ro"
        self._thread = ThreadPoolExecutor(1, thread_name_prefix="camrelay-blobs")

    async def open(
        self, rid: int, size: int, on_close: Callable[[], None] = lambda: None
    ) -> BlobAnswer:
        """The answer for record `rid` of `size` bytes, with its first piece read;
        NoSuchRecord if it is gone. `on_close` runs once when the answer is closed."""
        cursor = _Cursor(self._uri, rid)
        try:
            first = await self._run(cursor.read, 0, min(PIECE, size))
        except sqlite3.Error as exc:
            self.release(cursor)
            on_close()
            if "no such rowid" in str(exc):
                raise NoSuchRecord() from exc
            raise DatabaseFail(str(exc)) from exc
        except BaseException:
            self.release(cursor)
            on_close()
            raise
        return BlobAnswer(self, cursor, size, first, on_close)

    async def read(self, cursor: _Cursor, offset: int, size: int) -> bytes:
        """The next piece; b"" (the answer ends) when the record is gone or unreadable."""
        try:
            return await self._run(cursor.read, offset, size)
        except sqlite3.Error as exc:
            log.info("record answer ended at byte %d: %s", offset, exc)
            self.release(cursor)
            return b""

    def release(self, cursor: _Cursor) -> None:
        """Close the cursor's connection after whatever it is doing now."""
        try:
            self._thread.submit(cursor.close)
        except RuntimeError:  # the thread has stopped: nothing else uses the cursor
            cursor.close()

    def close(self) -> None:
        """Finish the queued steps and stop the thread."""
        self._thread.shutdown(wait=True)

    async def _run(self, step: Callable[[int, int], bytes], offset: int, size: int) -> bytes:
        return await asyncio.get_running_loop().run_in_executor(self._thread, step, offset, size)
