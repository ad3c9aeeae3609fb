"""Engine.IO's WebSocket packets through the connection's direct writer.

Each packet an admin socket sends went through the ASGI send, Hypercorn's stream and wsproto:
four packets per event (its four names) per socket. engineio's writer task still takes the
packets in order from the socket's queue; here each text packet is framed and queued on the
connection at once (transport/ws_direct_send) when the connection is not backed up, and takes
the ordinary path, which waits for the connection to drain, otherwise."""

from __future__ import annotations

from typing import Any

from engineio.async_drivers import asgi

from ...transport.ws_direct_send import SEND_TEXT


class DirectWebSocket(asgi.WebSocket):  # type: ignore[misc]
    """engineio's ASGI WebSocket, writing text packets directly where it can."""

    def __init__(self, handler: Any, server: Any) -> None:
        super().__init__(handler, server)
        self._extensions: dict[str, Any] = {}

    async def __call__(self, environ: dict[str, Any]) -> Any:
        self._extensions = environ["asgi.scope"].get("extensions") or {}
        return await super().__call__(environ)

    async def send(self, message: Any) -> None:
        direct = self._extensions.get(SEND_TEXT)  # there once the socket is accepted
        if isinstance(message, str) and direct is not None and direct(message):
            return
        await super().send(message)


def use_direct_sockets(eio: Any) -> bool:
    """Make an engineio AsyncServer in ASGI mode use DirectWebSocket; False where its driver
    table is not the one this was written for (then nothing changes)."""
    drivers = getattr(eio, "_async", None)
    if not isinstance(drivers, dict) or drivers.get("websocket") is not asgi.WebSocket:
        return False
    eio._async = {**drivers, "websocket": DirectWebSocket}
    return True
