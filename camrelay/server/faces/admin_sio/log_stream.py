"""Log records as §6 `log` events: to the admins of the record's account (`extra={"account_id":
N}` on the log call) and to server admins, the last 100 kept for each new admin socket.

A logging handler may be called from any thread and must never wait: it redacts the line, keeps
it for replay and queues it (bounded, oldest dropped and counted); one task sends the queue.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import threading
from collections import OrderedDict, deque
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from ...access_log import LOGGER as ACCESS_LOGGER
from .callers import log_rooms
from .redaction import redact

REPLAYED = 100  # records replayed to each new admin socket (§6)
REPLAY_ACCOUNTS = 1000  # accounts whose recent records are kept for replay (least recent go)
# Never streamed: the access log (one line per long-polling request would feed itself) and the
# Socket.IO libraries (they would log their own sending of these events).
QUIET_LOGGERS = (ACCESS_LOGGER, "socketio", "engineio")

LogLine = dict[str, Any]
Emit = Callable[[Sequence[str], LogLine, list[str]], Awaitable[None]]  # names, line, rooms
Share = Callable[[LogLine, int], None]  # line, account id (0: none)


def level_of(levelno: int) -> int:
    """The document's level of a Python level: DEBUG 30 … CRITICAL 70, finer than DEBUG 20."""
    if levelno < logging.DEBUG:
        return 20
    return 30 + 10 * min(4, (levelno - logging.DEBUG) // 10)


class LogStream(logging.Handler):
    """Redacts, keeps and queues every record; `pump` sends them to the admin rooms."""

    def __init__(self, capacity: int) -> None:
        super().__init__(logging.DEBUG)
        self.capacity = capacity
        self.dropped = 0
        # (line, rooms, account or None when it came from another node: not shared again)
        self._queue: deque[tuple[LogLine, list[str], int | None]] = deque()
        self._recent: deque[LogLine] = deque(maxlen=REPLAYED)
        self._recent_by_account: OrderedDict[int, deque[LogLine]] = OrderedDict()
        self._hostname, self._pid = socket.gethostname(), os.getpid()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: int | None = None
        self._wakeup = asyncio.Event()
        self._lock = threading.Lock()

    def emit(self, record: logging.LogRecord) -> None:
        if record.name.startswith(QUIET_LOGGERS):
            return
        try:
            line = self._line(record)
        except Exception:  # a record that cannot be formatted is skipped, as logging does
            self.handleError(record)
            return
        account = getattr(record, "account_id", None)
        account = account if isinstance(account, int) else None
        self._add(line, account, 0 if account is None else account)

    def add_remote(self, line: LogLine, account: int | None) -> None:
        """Another node's line: kept and sent like this node's, not shared again."""
        self._add(line, account, None)

    def _add(self, line: LogLine, account: int | None, shared: int | None) -> None:
        with self._lock:
            self._keep(line, account)
            if len(self._queue) >= self.capacity:
                self._queue.popleft()
                self.dropped += 1
            self._queue.append((line, log_rooms(account), shared))
        self._wake()

    def _line(self, record: logging.LogRecord) -> LogLine:
        message = record.getMessage()
        if record.exc_info:
            message += "\n" + logging.Formatter().formatException(record.exc_info)
        moment = datetime.fromtimestamp(record.created, UTC)
        return {
            "hostname": self._hostname,
            "level": level_of(record.levelno),
            "msg": redact(message),
            "pid": self._pid,
            "service": record.name,
            "time": int(record.created * 1000),
            "timestamp": moment.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        }

    def _keep(self, line: LogLine, account: int | None) -> None:
        self._recent.append(line)
        if account is None:
            return
        kept = self._recent_by_account.pop(account, None) or deque(maxlen=REPLAYED)
        kept.append(line)
        self._recent_by_account[account] = kept
        while len(self._recent_by_account) > REPLAY_ACCOUNTS:
            self._recent_by_account.popitem(last=False)

    def _wake(self) -> None:
        if self._loop is None:
            return
        if threading.get_ident() == self._thread:
            self._wakeup.set()
        else:
            self._loop.call_soon_threadsafe(self._wakeup.set)

    def recent(self, account_id: int | None) -> list[LogLine]:
        """What a new admin socket is replayed: every record (None: a server admin) or its
        account's."""
        with self._lock:
            if account_id is None:
                return list(self._recent)
            return list(self._recent_by_account.get(account_id, ()))

    async def pump(self, emit: Emit, share: Share | None = None) -> None:
        """Send queued records as `log` events until cancelled; `share(line, account or 0)`
        hands this node's to the other nodes."""
        self._loop, self._thread = asyncio.get_running_loop(), threading.get_ident()
        while True:
            self._wakeup.clear()  # before taking: a record queued after this wakes us again
            with self._lock:
                batch = list(self._queue)
                self._queue.clear()
            if not batch:
                await self._wakeup.wait()
                continue
            for line, rooms, shared in batch:
                await emit(("log",), line, rooms)
                if share is not None and shared is not None:
                    share(line, shared)
