"""How a worker serves its feed: a Quart app on Hypercorn at host:port, started and stopped
from asyncio, and the WebSocket audiences it broadcasts to.

    audience = Audience()
    app = Quart(__name__)

    @app.websocket("/")
    async def root() -> None:
        await audience.attend(on_message)    # on_message's reply goes to that sender only

    server = FeedServer(app, "127.0.0.1", 0)
    await server.start()                     # server.port is the bound port
    audience.broadcast({"state": "on"})      # JSON text to every client; bytes go as binary
    await server.stop()
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from hypercorn.asyncio.run import worker_serve
from hypercorn.config import Config
from hypercorn.utils import wrap_app
from quart import Quart, websocket

from camrelay.workers.common.drop_oldest import Fanout, QueueClosed

log = logging.getLogger(__name__)

Outgoing = str | bytes
# Given one received message, the reply for its sender (None: no reply).
MessageHandler = Callable[[str | bytes], Awaitable[Any]]


def encode(message: Any) -> Outgoing:
    """Bytes and text go as they are; anything else as compact JSON text."""
    if isinstance(message, str | bytes):
        return message
    return json.dumps(message, separators=(",", ":"))


class Audience:
    """The WebSocket clients of one endpoint, each with a bounded outbox of its own.

    A client that reads slower than the broadcasts loses its oldest queued messages and
    never delays the others (the loss is in `dropped`).
    """

    def __init__(self, outbox_size: int = 16) -> None:
        self._fanout: Fanout[Outgoing] = Fanout(outbox_size)

    def __len__(self) -> int:
        return len(self._fanout)

    @property
    def dropped(self) -> int:
        """Messages lost so far by the clients still connected."""
        return self._fanout.dropped

    def broadcast(self, message: Any) -> None:
        """Queue the message for every connected client; never waits."""
        if len(self._fanout):
            self._fanout.publish(encode(message))

    async def attend(self, on_message: MessageHandler | None = None, hello: Any = None) -> None:
        """Serve the current Quart WebSocket until it closes: `hello` first (unless None),
        then the broadcasts; each received message's reply goes back to this client only."""
        await websocket.accept()
        with self._fanout.subscribe() as outbox:
            if hello is not None:
                outbox.put(encode(hello))
            sender = asyncio.create_task(_send_all(outbox.get))
            try:
                while True:
                    received = await websocket.receive()
                    if on_message is None:
                        continue
                    reply = await on_message(received)
                    if reply is not None:
                        outbox.put(encode(reply))
            finally:
                sender.cancel()

    def close(self) -> None:
        """End every client's send loop (at shutdown)."""
        self._fanout.close()


async def _send_all(next_message: Callable[[], Awaitable[Outgoing]]) -> None:
    """Send queued messages on the current WebSocket until its queue closes."""
    try:
        while True:
            await websocket.send(await next_message())
    except QueueClosed:
        return


class FeedServer:
    """One Quart app served by Hypercorn on host:port (0: any free port, see `port`)."""

    def __init__(self, app: Quart, host: str, port: int, graceful_timeout_s: float = 1.0) -> None:
        self.app = app
        self.host = host
        self.port = port
        self._graceful_timeout_s = graceful_timeout_s
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    @property
    def url(self) -> str:
        """http://host:port with the bound port."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    async def start(self) -> None:
        """Bind and listen (connections wait in the backlog at once), then serve in a task."""
        config = Config()
        config.bind = [f"{self.host}:{self.port}"]
        config.accesslog = None
        config.errorlog = logging.getLogger("hypercorn.error")
        # Live views and WebSockets never end by themselves: do not wait long for them.
        config.graceful_timeout = self._graceful_timeout_s
        sockets = config.create_sockets()
        for sock in sockets.insecure_sockets:
            sock.listen(config.backlog)
        self.port = sockets.insecure_sockets[0].getsockname()[1]
        app = wrap_app(self.app, config.wsgi_max_body_size, None)
        self._task = asyncio.create_task(
            worker_serve(app, config, sockets=sockets, shutdown_trigger=self._stop.wait)
        )

    async def stop(self) -> None:
        """Stop serving and wait until Hypercorn has let go of the port."""
        if self._task is None:
            return
        self._stop.set()
        try:
            await asyncio.wait_for(self._task, self._graceful_timeout_s + 5)
        except TimeoutError:
            log.warning("feed server on port %d did not stop in time", self.port)
        self._task = None


def feed_app(name: str) -> Quart:
    """A Quart app for a feed: no response time limit (live views stream for hours)."""
    app = Quart(name)
    app.config["RESPONSE_TIMEOUT"] = None
    app.config["BODY_TIMEOUT"] = None
    return app
