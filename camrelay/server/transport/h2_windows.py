"""Larger HTTP/2 flow-control windows and frames for Hypercorn's side of a connection.

Hypercorn advertises the protocol defaults: a 64 KiB window per stream and per connection and
16 KiB frames. An upload of camera frames then waits for a WINDOW_UPDATE round trip through the
busy event loop every 32 KiB, and 100 streams on one connection share 64 KiB. Hypercorn hands
received data to the application queue and acknowledges it at once, so a larger window does not
let a client park more than that queue's worth of data in the server.
"""

from __future__ import annotations

from typing import Any

import h2.settings
from hypercorn.protocol.h2 import H2Protocol

STREAM_WINDOW = 1 << 20
CONNECTION_WINDOW = 16 << 20
MAX_FRAME = 1 << 20
REPLACES = ((H2Protocol, "__init__"), (H2Protocol, "initiate"))


def install() -> None:
    """Patch H2Protocol."""
    original_init = H2Protocol.__init__
    original_initiate = H2Protocol.initiate

    def __init__(self: H2Protocol, *args: Any, **kwargs: Any) -> None:
        original_init(self, *args, **kwargs)
        codes = h2.settings.SettingCodes
        current = self.connection.local_settings
        values = {h2.settings.SettingCodes(code): current[code] for code in current}
        values[codes.INITIAL_WINDOW_SIZE] = STREAM_WINDOW
        values[codes.MAX_FRAME_SIZE] = MAX_FRAME
        self.connection.local_settings = h2.settings.Settings(client=False, initial_values=values)
        self.connection.max_inbound_frame_size = MAX_FRAME

    async def initiate(self: H2Protocol, *args: Any, **kwargs: Any) -> None:
        await original_initiate(self, *args, **kwargs)
        self.connection.increment_flow_control_window(CONNECTION_WINDOW)
        await self._flush()

    H2Protocol.__init__ = __init__  # type: ignore[method-assign]
    H2Protocol.initiate = initiate  # type: ignore[method-assign]
