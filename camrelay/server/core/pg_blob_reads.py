"""A big record's bytes read from PostgreSQL a piece at a time, behind blob_reads' interface.

Each piece is one `substring(data from … for …)` on a pooled connection: no connection or
snapshot is held between pieces, so a stalled reader holds nothing on the server. The records
column is stored uncompressed (STORAGE EXTERNAL), so a piece reads only its own TOAST chunks.
A record deleted meanwhile ends its answer short, as with SQLite.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from camrelay.protocol.errors import DatabaseFail, NoSuchRecord

from .blob_reads import PIECE, BlobAnswer

if TYPE_CHECKING:
    from .pg_database import PgDatabase

log = logging.getLogger("camrelay.records")
_PIECE_SQL = "SELECT substring(data from ? for ?) FROM records WHERE id=?"


class PgBlobReads:
    """Pieces of records read through the store's pooled connections."""

    def __init__(self, db: PgDatabase) -> None:
        self._db = db

    async def open(
        self, rid: int, size: int, on_close: Callable[[], None] = lambda: None
    ) -> BlobAnswer:
        """The answer for record `rid` of `size` bytes, with its first piece read;
        NoSuchRecord if it is gone. `on_close` runs once when the answer is closed."""
        try:
            row = await self._db.fetchone(_PIECE_SQL, (1, min(PIECE, size), rid))
        except BaseException:
            on_close()
            raise
        if row is None:
            on_close()
            raise NoSuchRecord()
        return BlobAnswer(self, rid, size, bytes(row[0]), on_close)  # type: ignore[arg-type]

    async def read(self, cursor: int, offset: int, size: int) -> bytes:
        """The next piece; b"" (the answer ends) when the record is gone or unreadable."""
        try:
            row = await self._db.fetchone(_PIECE_SQL, (offset + 1, size, cursor))
        except DatabaseFail as exc:
            log.info("record answer ended at byte %d: %s", offset, exc)
            return b""
        return bytes(row[0]) if row else b""

    def release(self, cursor: int) -> None:
        """Nothing is held between pieces."""

    def close(self) -> None:
        """Nothing to stop."""
