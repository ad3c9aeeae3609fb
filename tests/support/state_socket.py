"""A state-sync client for tests (CONTRACT §5): the `websockets` library over wss or ws,
with exact-message expectations and no sleeps."""

from __future__ import annotations

import asyncio
import json
import ssl
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import urlencode

import websockets
from websockets.asyncio.client import ClientConnection

from tests.support.cluster import Front
from tests.support.relay_server import RelayServer

WAIT_S = 10.0  # a message that does not come in this long is not coming
# What a snap's confirmation adds while the camera does not stream.
NOTHING_TO_SNAP = {"rid": None, "message": "the camera is not streaming: nothing to snap"}


def no_verify() -> ssl.SSLContext:
    """TLS that accepts the server's self-signed certificate."""
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


def state_url(server: RelayServer | Front, secure: bool = True, **query: str) -> str:
    """wss:// on the TLS port or ws:// on the h2c port, /api/v1 with the query."""
    base = server.url.replace("https://", "wss://") if secure else server.h2c_url
    base = base.replace("http://", "ws://")
    return f"{base}/api/v1" + (f"?{urlencode(query)}" if query else "")


class StateSocket:
    """One connection: send objects, receive decoded messages."""

    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws

    async def send(self, message: Any) -> None:
        await self.ws.send(message if isinstance(message, str | bytes) else json.dumps(message))

    async def recv(self) -> Any:
        return json.loads(await asyncio.wait_for(self.ws.recv(), WAIT_S))

    async def expect(self, *messages: Any) -> None:
        """The next messages are exactly these, in this order."""
        for message in messages:
            assert await self.recv() == message

    async def ask(self, message: Any, *answers: Any) -> None:
        """Send a message and expect exactly these answers."""
        await self.send(message)
        await self.expect(*answers)

    async def login(self, **credentials: str) -> dict[str, Any]:
        """Log in; returns the snapshot that follows the answer (asserted a success)."""
        await self.send(credentials)
        answer = await self.recv()
        assert answer["authenticated"] is True, answer
        return dict(await self.recv())

    async def settled(self) -> None:
        """Nothing else was waiting for this socket: the answer to a get comes next (a message
        queued before it would arrive first)."""
        await self.send({"get": ["fps"]})
        answer = await self.recv()
        assert list(answer) == ["fps"], f"unexpected message {answer}"


@asynccontextmanager
async def state_socket(
    server: RelayServer | Front, secure: bool = True, **query: str
) -> AsyncIterator[StateSocket]:
    """A connected state socket, closed on the way out."""
    url = state_url(server, secure, **query)
    async with websockets.connect(url, ssl=no_verify() if secure else None) as ws:
        yield StateSocket(ws)
