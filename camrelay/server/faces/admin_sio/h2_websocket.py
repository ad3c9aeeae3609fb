"""Admin sockets opened as WebSockets over HTTP/2 (RFC 8441: what Chromium does when the relay
offers it) reach Engine.IO: such a request has no Upgrade and Connection headers, and without
them Engine.IO takes it for a polling request and answers nothing (Hypercorn then sends 500)."""

from __future__ import annotations

from typing import Any

UPGRADE = [(b"connection", b"upgrade"), (b"upgrade", b"websocket")]


def h2_websocket(app: Any, path: str) -> Any:
    """`app` with the HTTP/1.1 upgrade headers added to the WebSocket requests of `path` that
    lack them."""

    async def asgi(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if (
            scope["type"] == "websocket"
            and scope["path"].startswith(path)
            and not any(name.lower() == b"upgrade" for name, _ in scope["headers"])
        ):
            scope = {**scope, "headers": [*scope["headers"], *UPGRADE]}
        await app(scope, receive, send)

    return asgi
