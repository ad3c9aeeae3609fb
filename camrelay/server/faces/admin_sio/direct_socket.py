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
        owner = getattr(self.handler, "__self__", None)  # the engineio socket it serves
        if owner is not None:
            owner.camrelay_send_text = self.send_text
        return await super().__call__(environ)

    def send_text(self, *texts: str) -> bool:
        """Write text packets now, in one write; False where they must take the ordinary
        path."""
        direct = self._extensions.get(SEND_TEXT)  # there once the socket is accepted
        return direct is not None and bool(direct(*texts))

    async def send(self, message: Any) -> None:
        if isinstance(message, str) and self.send_text(message):
            return
        await super().send(message)


def idle_sender(sock: Any) -> Any:
    """The direct writer of an engineio socket whose writer task holds nothing: upgraded to
    WebSocket, open, nothing queued and the writer waiting on the queue (so a packet written
    now cannot overtake one it took earlier); None otherwise."""
    send_text = getattr(sock, "camrelay_send_text", None)
    if send_text is None or not sock.upgraded or sock.upgrading or sock.closed:
        return None
    queue = sock.queue
    if not queue.empty() or not getattr(queue, "_getters", None):
        return None
    return send_text


def use_direct_sockets(eio: Any) -> bool:
    """Make an engineio AsyncServer in ASGI mode use DirectWebSocket; False where its driver
    table is not the one this was written for (then nothing changes)."""
    drivers = getattr(eio, "_async", None)
    if not isinstance(drivers, dict) or drivers.get("websocket") is not asgi.WebSocket:
        return False
    eio._async = {**drivers, "websocket": DirectWebSocket}
    return True
