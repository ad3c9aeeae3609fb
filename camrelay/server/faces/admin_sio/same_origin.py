"""Which browser pages may open an admin socket: the relay's own page, over TLS or not."""

from __future__ import annotations

from typing import Any


def same_origin(origin: str | None, environ: dict[str, Any]) -> bool:
    """Whether `origin` is this server (https:// or http:// of the Host asked for). Engine.IO's
    own check assumes http:// under ASGI, so it refused the page served over TLS."""
    host = environ.get("HTTP_HOST", "")
    return bool(host) and origin in (f"https://{host}", f"http://{host}")
