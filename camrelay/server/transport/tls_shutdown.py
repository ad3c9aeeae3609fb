"""A short wait for a TLS peer's close_notify at shutdown (asyncio waits 30 s by default).

At shutdown every TLS connection waits for the peer's close_notify; a camera still pushing
never sends it, and Hypercorn offers no setting for the wait, so the process would hang for
30 s. asyncio reads this module-level default whenever it opens a TLS connection.
"""

from __future__ import annotations

import asyncio
import asyncio.constants
from typing import Any

SSL_SHUTDOWN_TIMEOUT_S = 3.0
REPLACES = ((asyncio.constants, "SSL_SHUTDOWN_TIMEOUT"),)


def install() -> None:
    """Shorten asyncio's TLS shutdown wait."""
    asyncio.constants.SSL_SHUTDOWN_TIMEOUT = SSL_SHUTDOWN_TIMEOUT_S


def new_uvloop() -> asyncio.AbstractEventLoop:
    """A uvloop event loop with the same short TLS shutdown wait (uvloop has its own default
    of 30 s and ignores asyncio's constant; Hypercorn passes no ssl_shutdown_timeout)."""
    import uvloop

    class Loop(uvloop.Loop):  # type: ignore[misc]
        async def create_server(  # type: ignore[override]
            self, *args: Any, **kwargs: Any
        ) -> asyncio.AbstractServer:
            if kwargs.get("ssl") is not None:
                kwargs.setdefault("ssl_shutdown_timeout", SSL_SHUTDOWN_TIMEOUT_S)
            return await super().create_server(*args, **kwargs)

    return Loop()
