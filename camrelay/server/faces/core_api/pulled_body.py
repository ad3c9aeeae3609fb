"""An upload's body read from Hypercorn only as fast as the relay takes it.

Quart's own receiver reads every request body eagerly into an unbounded buffer, so a camera
faster than the relay would grow the server without limit. For the paths given here Quart sees an
empty body and the handler pulls the real one from the ASGI receive when it has room. Hypercorn
queues at most `max_app_queue_size` messages (one DATA frame each) per request and credits the
HTTP/2 window only once a frame is queued, so a relay that does not pull stops the credit and the
producer waits: flow control, not server memory, absorbs the difference.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Collection, Mapping
from typing import Any

Message = dict[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
AsgiApp = Callable[[Any, Any, Any], Awaitable[None]]  # Quart types it with its TypedDicts

SCOPE_KEY = "camrelay.pulled_body"


class PulledBody:
    """One request's body, received a message at a time as the handler iterates over it."""

    def __init__(self, receive: Receive, end_on_disconnect: bool = False) -> None:
        self._receive = receive
        # Without Quart (the fast path) nobody else ends the request when its client is gone.
        self._end_on_disconnect = end_on_disconnect
        self.complete = False  # the last message (end of body or disconnect) was received
        self._disconnected = asyncio.Event()
        self._quart_told = False
        self._drain: asyncio.Task[None] | None = None

    def __aiter__(self) -> AsyncIterator[bytes]:
        return self._chunks()

    async def _chunks(self) -> AsyncIterator[bytes]:
        while not self.complete:
            message = await self._receive()
            if message["type"] == "http.disconnect":
                self.complete = True
                self._disconnected.set()
                if self._end_on_disconnect:
                    raise asyncio.CancelledError("the client is gone")
                await asyncio.Future()  # Quart cancels the handler, as for any client gone
            self.complete = not message.get("more_body", False)
            if body := message.get("body", b""):
                yield body

    async def quart_receive(self) -> Message:
        """What Quart's own receiver sees: an empty body, then the disconnect once pulled."""
        if not self._quart_told:
            self._quart_told = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await self._disconnected.wait()
        return {"type": "http.disconnect"}

    def drain(self) -> asyncio.Task[None] | None:
        """Once the handler has stopped reading: drop what is still queued until the stream
        closes. A full queue nobody takes from holds Hypercorn's whole connection, the closing
        of the stream included (it queues the disconnect)."""
        if self.complete or self._drain is not None:
            return None
        self._drain = asyncio.create_task(self._drop_the_rest())
        return self._drain

    async def _drop_the_rest(self) -> None:
        while not self.complete:
            message = await self._receive()
            more = message["type"] == "http.request" and message.get("more_body", False)
            self.complete = not more


def pulled_body(scope: Mapping[str, object]) -> PulledBody:
    """The request's PulledBody (its path must be one that PulledBodies serves)."""
    body = scope.get(SCOPE_KEY)
    if not isinstance(body, PulledBody):
        raise RuntimeError("no pulled body: the path is not among PulledBodies' paths")
    return body


class PulledBodies:
    """ASGI middleware: requests to `paths` carry a PulledBody in scope[SCOPE_KEY]."""

    def __init__(self, app: AsgiApp, paths: Collection[str]) -> None:
        self.app = app
        self.paths = frozenset(paths)
        self._drains: set[asyncio.Task[None]] = set()  # one per answered, unfinished upload

    async def __call__(self, scope: dict[str, Any], receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] not in self.paths:
            await self.app(scope, receive, send)
            return
        body = PulledBody(receive)
        scope[SCOPE_KEY] = body

        async def send_then_drain(message: Message) -> None:
            # Hypercorn closes the stream within the answer's last send: drain before it.
            if message["type"] == "http.response.body" and not message.get("more_body"):
                self._keep(body.drain())
            await send(message)

        try:
            await self.app(scope, body.quart_receive, send_then_drain)
        finally:
            self._keep(body.drain())  # an app that failed without answering

    def _keep(self, drain: asyncio.Task[None] | None) -> None:
        if drain is not None:
            self._drains.add(drain)
            drain.add_done_callback(self._drains.discard)
