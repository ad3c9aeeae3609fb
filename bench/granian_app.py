"""camrelay's app served by Granian instead of Hypercorn: a measurement for bench/README.md, not a
supported way to run the relay (none of camrelay/server/transport's Hypercorn fixes apply).

Run: CAMRELAY_SERVER_DATA_DIR=DIR granian --interface asgi bench.granian_app:app
"""

from __future__ import annotations

import os
from typing import Any

from camrelay.server.app import create_app
from camrelay.server.core.relay import Relay, open_relay
from camrelay.settings import load_settings


class RelayOnGranian:
    """ASGI: opens the relay at lifespan startup, then hands every request to camrelay's app."""

    def __init__(self) -> None:
        self.relay: Relay | None = None
        self.app: Any = None

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "lifespan":
            await self.app(scope, receive, send)
            return
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                settings = load_settings(env=os.environ)
                self.relay = await open_relay(settings)
                self.app = create_app(self.relay, settings)
                await self.app.startup()
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                if self.relay is not None:
                    await self.relay.close()
                await send({"type": "lifespan.shutdown.complete"})
                return


app = RelayOnGranian()
