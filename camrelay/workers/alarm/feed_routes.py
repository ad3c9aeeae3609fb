"""The feed on server.websocket_port: WebSocket / (status + commands), /metrics, /raw-video,
and HTTP /health, /snapshot, /config (alarm-feed-api.txt)."""

from __future__ import annotations

import json
from typing import Protocol

from quart import Quart, Response

from camrelay.workers.alarm.config import AlarmConfig, config_document
from camrelay.workers.alarm.controls import AlarmControls
from camrelay.workers.common.feed_server import Audience
from camrelay.workers.common.feed_server import feed_app as new_feed_app


class FeedSource(AlarmControls, Protocol):
    """What the feed needs of the alarm (the worker has it)."""

    @property
    def config(self) -> AlarmConfig:
        """The settings in use."""
        ...

    @property
    def status_feed(self) -> Audience:
        """Clients of /: status changes and heartbeats."""
        ...

    @property
    def metrics_feed(self) -> Audience:
        """Clients of /metrics."""
        ...

    @property
    def video_feed(self) -> Audience:
        """Clients of /raw-video: every JPEG received."""
        ...


def feed_app(source: FeedSource) -> Quart:
    """The feed's routes, each a thin call into the source."""
    app = new_feed_app("camrelay.alarm.feed")

    @app.websocket("/")
    async def root() -> None:
        # The current status at once, then the heartbeats; replies go to the sender only.
        await source.status_feed.attend(source.on_message, hello=source.status_message())

    @app.websocket("/metrics")
    async def metrics() -> None:
        await source.metrics_feed.attend()

    @app.websocket("/raw-video")
    async def raw_video() -> None:
        await source.video_feed.attend(hello=source.snapshot())

    @app.get("/health")
    async def health() -> Response:
        return Response("OK", mimetype="text/plain")

    @app.get("/snapshot")
    async def snapshot() -> Response:
        jpeg = source.snapshot()
        if jpeg is None:
            return Response("no frame received yet", status=503, mimetype="text/plain")
        return Response(jpeg, mimetype="image/jpeg", headers={"Cache-Control": "no-store"})

    @app.get("/config")
    async def config() -> Response:
        body = json.dumps(config_document(source.config), separators=(",", ":"))
        return Response(body, mimetype="application/json")

    return app
