"""A browser may open an admin socket from the relay's own page (https:// as served, or
http:// on the h2c port), never from another site's page."""

from __future__ import annotations

import httpx

from tests.support.relay_server import RelayServer

HANDSHAKE = "/socket.io/?EIO=4&transport=polling"


async def handshake(url: str, origin: str) -> tuple[int, str]:
    async with httpx.AsyncClient(verify=False, timeout=30) as http:
        response = await http.get(url + HANDSHAKE, headers={"Origin": origin})
    return response.status_code, response.text


async def test_the_relays_own_page_may_connect(server: RelayServer) -> None:
    for url in (server.url, server.h2c_url):
        status, text = await handshake(url, url)
        assert status == 200 and text.startswith('0{"sid":'), (url, text)


async def test_another_sites_page_is_refused(server: RelayServer) -> None:
    for origin in ("https://evil.example", server.url.replace("127.0.0.1", "localhost")):
        assert await handshake(server.url, origin) == (
            400,
            f'"{origin} is not an accepted origin."',
        )
