"""GET / and /static/… on a real server: the page's files with their content types, no-cache,
404 for anything else, nothing outside the static folder (over TLS h2 and h2c)."""

from __future__ import annotations

import subprocess

import httpx
import pytest

from tests.support.relay_server import RelayServer


async def get(http: httpx.AsyncClient, url: str) -> httpx.Response:
    response = await http.get(url)
    assert response.http_version == "HTTP/2"
    return response


async def test_the_page_and_its_modules(server: RelayServer, http: httpx.AsyncClient) -> None:
    index = await get(http, server.url + "/")
    assert index.status_code == 200
    assert index.headers["content-type"] == "text/html; charset=utf-8"
    assert index.headers["cache-control"] == "no-cache"
    assert '<script type="module" src="/static/js/app.js">' in index.text
    for path, kind in [
        ("/static/js/app.js", "text/javascript; charset=utf-8"),
        ("/static/js/views/login.js", "text/javascript; charset=utf-8"),
        ("/static/app.css", "text/css; charset=utf-8"),
    ]:
        response = await get(http, server.url + path)
        assert (response.status_code, response.headers["content-type"]) == (200, kind), path
        assert response.headers["cache-control"] == "no-cache"


async def test_the_page_on_the_h2c_port(server: RelayServer) -> None:
    async with httpx.AsyncClient(http1=False, http2=True) as h2c:
        response = await h2c.get(server.h2c_url + "/static/js/api.js")
    assert response.status_code == 200
    assert "export async function login" in response.text


@pytest.mark.parametrize(
    "path",
    [
        "/static/nothing.js",
        "/static/js",
        "/static/",
        "/nothing.html",
        "/static/../page.py",
        "/static/%2e%2e/page.py",
        "/static/js/%2e%2e/%2e%2e/page.py",
        "/static/..%2fpage.py",
        "/static/%2fetc%2fpasswd",
        "/static//etc/passwd",
    ],
)
async def test_nothing_else_is_served(server: RelayServer, path: str) -> None:
    # curl sends the path as written (httpx would normalise the dots away); a doubled slash is
    # redirected to the merged path, which is followed.
    result = subprocess.run(
        ["curl", "-skL", "--http2", "--path-as-is", "-w", "\n%{http_code}", server.url + path],
        capture_output=True,
        text=True,
        timeout=30,
    )
    body, _, status = result.stdout.rpartition("\n")
    assert int(status) == 404 and "Not Found" in body, path
