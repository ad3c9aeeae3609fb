"""The counter's WebSocket at / (people-counter-ws-api.txt): broadcasts out, requests in."""

from __future__ import annotations

from typing import Protocol

from quart import Quart

from camrelay.workers.common.feed_server import Audience
from camrelay.workers.common.feed_server import feed_app as new_feed_app
from camrelay.workers.counter.feed_messages import Message


class FeedSource(Protocol):
    """What the feed needs of the counter (the worker has it)."""

    @property
    def audience(self) -> Audience:
        """Clients of /: frames, stats and events."""
        ...

    def stats_message(self) -> Message:
        """The `stats` message as of now."""
        ...

    async def on_message(self, message: str | bytes) -> Message:
        """The reply to one request, for its sender alone."""
        ...


def feed_app(source: FeedSource) -> Quart:
    """The feed's one route, a thin call into the source."""
    app = new_feed_app("camrelay.counter.feed")

    @app.websocket("/")
    async def root() -> None:
        # The current counters at once, then frames, stats and events; replies go to the
        # sender only.
        await source.audience.attend(source.on_message, hello=source.stats_message())

    return app
