"""A short wait for a TLS peer's close_notify at shutdown (asyncio waits 30 s by default).

At shutdown every TLS connection waits for the peer's close_notify; a camera still pushing
never sends it, and Hypercorn offers no setting for the wait, so the process would hang for
30 s. asyncio reads this module-level default whenever it opens a TLS connection.
"""

from __future__ import annotations

import asyncio.constants

SSL_SHUTDOWN_TIMEOUT_S = 3.0
REPLACES = ((asyncio.constants, "SSL_SHUTDOWN_TIMEOUT"),)


def install() -> None:
    """Shorten asyncio's TLS shutdown wait."""
    asyncio.constants.SSL_SHUTDOWN_TIMEOUT = SSL_SHUTDOWN_TIMEOUT_S
