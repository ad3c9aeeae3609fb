"""A relay with one account, "owner", whose "phone" logs in: the transport tests' setting."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from tests.support.api import Api, Device
from tests.support.relay_server import RelayServer

OWNER = ("owner", "owner-pw")


@contextmanager
def owner_relay(folder: Path, env: dict[str, str]) -> Iterator[RelayServer]:
    """A started relay (settings from `env`) with the owner's account, stopped at the end."""
    server = RelayServer(folder, env=env).start()
    try:
        asyncio.run(server.add_account(*OWNER))
        yield server
    finally:
        server.stop()


async def login(server: RelayServer) -> Device:
    """The owner's phone, logged in."""
    async with httpx.AsyncClient(http2=True, verify=False) as http:
        return await Api(http, server.url).login(*OWNER, "phone")
