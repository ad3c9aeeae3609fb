"""Which browser pages may open the admin API: the relay's own (its web page), as by default.

engineio's own same-origin check takes every ASGI request for http:// (it reads the scheme from
X-Forwarded-Proto only), so the page served over https would be refused; this one reads the
scheme from the ASGI scope."""

from __future__ import annotations

from typing import Any


def same_origin(origin: str | None, environ: dict[str, Any]) -> bool:
    """Whether a request's Origin is this server (requests without one are not from a page)."""
    if not origin:
        return True
    scope = environ.get("asgi.scope", {})
    scheme = "https" if scope.get("scheme") in ("https", "wss") else "http"
    headers = dict(scope.get("headers", []))
    host = headers.get(b"host") or headers.get(b":authority") or b""
    return origin == f"{scheme}://{host.decode('latin-1')}"
