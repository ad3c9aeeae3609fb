"""Stamps: UTC 'YYYY-MM-DD HH:MM:SS.ffffff', strictly increasing across the server.

Stamps are compared as text in SQL, so they must sort like time. A client may send a stamp
with fewer fraction digits ("2022-02-07 12:29:36" or "...:36.5"); `normalize` pads it so the
text comparison stays right.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from camrelay.protocol.errors import MalformedRequest

from .clock import Clock

_STAMP_RE = re.compile(r"^(\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2})(?:\.(\d{1,6}))?$")
_MICRO = 1_000_000


def format_micros(micros: int) -> str:
    """Render Unix microseconds as a stamp."""
    moment = datetime.fromtimestamp(micros // _MICRO, UTC)
    return f"{moment:%Y-%m-%d %H:%M:%S}.{micros % _MICRO:06d}"


def format_seconds(seconds: float) -> str:
    """Render Unix seconds as a stamp (used for cut-off times in queries)."""
    return format_micros(int(seconds * _MICRO))


def parse_micros(stamp: str) -> int:
    """Unix microseconds of a normalized stamp."""
    whole, _, fraction = stamp.partition(".")
    moment = datetime.strptime(whole, "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC)
    return int(moment.timestamp()) * _MICRO + int(fraction or 0)


def normalize(stamp: str) -> str:
    """Return a client's stamp with a six-digit fraction; MalformedRequest if it is not one."""
    match = _STAMP_RE.match(stamp.strip())
    if match is None:
        raise MalformedRequest("stamp")
    whole, fraction = match.groups()
    try:
        datetime.strptime(whole, "%Y-%m-%d %H:%M:%S")
    except ValueError as exc:
        raise MalformedRequest("stamp") from exc
    return f"{whole}.{(fraction or '').ljust(6, '0')}"


class StampSource:
    """Hands out strictly increasing stamps; call only while holding the write lock."""

    def __init__(self, clock: Clock, last: str | None = None) -> None:
        self._clock = clock
        self._last = parse_micros(last) if last else 0

    def next(self) -> str:
        """A stamp later than every stamp handed out before, even within one microsecond."""
        micros = max(int(self._clock.now() * _MICRO), self._last + 1)
        self._last = micros
        return format_micros(micros)

    async def hold(self, conn: Any) -> None:
        """Keep every node's stamped writes waiting until this write job commits (PostgreSQL's
        `hold_stamps`), so what it checked first (a quota) stays true; SQLite's write
        transaction holds the only writer already."""
        hold = getattr(conn, "hold_stamps", None)
        if hold is not None:
            await hold()

    async def claim(self, conn: Any) -> str:
        """`next()` inside the write job on `conn`; on a store shared by several nodes
        (PostgreSQL's `claim_stamp`) later than every node's stamp, committed in stamp order."""
        micros = max(int(self._clock.now() * _MICRO), self._last + 1)
        shared = getattr(conn, "claim_stamp", None)
        if shared is not None:
            micros = await shared(micros)
        self._last = micros
        return format_micros(micros)
