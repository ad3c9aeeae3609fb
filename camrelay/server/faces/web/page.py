"""GET / and GET /static/…: the web page's files, shipped in the package (no build step)."""

from __future__ import annotations

from pathlib import Path

from quart import Blueprint, Response

STATIC = Path(__file__).parent / "static"
TYPES = {
    ".html": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".ico": "image/x-icon",
    ".json": "application/json",
}
# Small files read per request: a new release is seen at once, and nothing is cached stale.
HEADERS = {"Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff"}


def static_file(name: str) -> Path | None:
    """The file of the page named `name`, or None when there is none (or it lies outside)."""
    root = STATIC.resolve()
    path = (root / name).resolve()
    if not path.is_relative_to(root) or not path.is_file() or path.suffix not in TYPES:
        return None
    return path


def served(name: str) -> Response:
    """The file with its content type, or 404."""
    path = static_file(name)
    if path is None:
        return Response("Not Found", status=404, content_type="text/plain", headers=HEADERS)
    return Response(path.read_bytes(), content_type=TYPES[path.suffix], headers=HEADERS)


def page() -> Blueprint:
    """The blueprint of the page's files."""
    blueprint = Blueprint("web_page", __name__)

    @blueprint.get("/")
    async def index() -> Response:
        return served("index.html")

    @blueprint.get("/static/<path:name>")
    async def static(name: str) -> Response:
        return served(name)

    return blueprint
