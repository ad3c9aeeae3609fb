"""WebSockets over HTTP/2 (RFC 8441, what Chromium uses once the server offers it) for engineio,
which accepts only a request carrying `Upgrade: websocket` (HTTP/1.1's upgrade)."""

from __future__ import annotations

from typing import Any

Scope = dict[str, Any]


def with_upgrade(app: Any) -> Any:
    """`app` with the Upgrade header added to WebSocket scopes that arrived without one."""

    async def asgi(scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] == "websocket":
            names = {name.lower() for name, _ in scope.get("headers", [])}
            if b"upgrade" not in names:
                headers = [*scope.get("headers", []), (b"upgrade", b"websocket")]
                if b"connection" not in names:
                    headers.append((b"connection", b"upgrade"))
                scope = {**scope, "headers": headers}
        await app(scope, receive, send)

    return asgi
