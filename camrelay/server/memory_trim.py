"""Gives the memory of closed connections back to the system.

Each TLS connection allocates its OpenSSL buffers and objects with C malloc. Once freed, glibc
keeps those pages for reuse unless they sit at the very top of its heap, so after a burst of
thousands of connections the server's resident memory stays at the burst's peak for good (about
100 KB for every connection of the burst). malloc_trim(0) returns every free page to the
system. A closed connection's Python objects hold reference cycles (tasks, protocol
callbacks), so a full garbage collection frees them first; the objects of the start-up (modules,
the app) are frozen out of it, so it walks only what came later. Both run only after at least
MIN_CLOSED connections have closed, at most once per interval: never for a camera's connection
that lasts for days, every few seconds under a flood of short ones.
"""

from __future__ import annotations

import asyncio
import ctypes
import ctypes.util
import gc
import logging
import time
from collections.abc import Callable

log = logging.getLogger("camrelay.memory")
DEFAULT_INTERVAL_S = 2.0
MIN_CLOSED = 32


def _malloc_trim() -> Callable[[], object] | None:
    """glibc's malloc_trim(0), or None where the C library has none (musl, macOS)."""
    name = ctypes.util.find_library("c")
    try:
        trim = ctypes.CDLL(name).malloc_trim if name else None
    except (OSError, AttributeError):
        return None
    if trim is None:
        return None
    trim.argtypes = [ctypes.c_size_t]
    return lambda: trim(0)


async def trim_after_closes(
    closed: Callable[[], int], interval_s: float = DEFAULT_INTERVAL_S
) -> None:
    """Every `interval_s`, collect and trim if `closed()` (connections closed so far) moved
    by MIN_CLOSED or more."""
    trim = _malloc_trim()
    if trim is None:
        log.debug("no malloc_trim in this C library: freed memory stays with the process")
        return
    gc.freeze()
    seen = closed()
    while True:
        await asyncio.sleep(interval_s)
        now = closed()
        if now - seen >= MIN_CLOSED:
            seen = now
            started = time.perf_counter()
            gc.collect()
            collected = time.perf_counter()
            trim()
            trimmed = time.perf_counter()
            log.debug(
                "collected in %.1f ms, trimmed in %.1f ms",
                1000 * (collected - started),
                1000 * (trimmed - collected),
            )
