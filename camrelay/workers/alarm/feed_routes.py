"""The feed on server.websocket_port: WebSocket / (status + commands), /metrics, /raw-video,
and HTTP /health, /snapshot, /config (alarm-feed-api.txt)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from quart import Quart, Response

from camrelay.workers.alarm.config import config_document
from camrelay.workers.common.feed_server import feed_app as new_feed_app

if TYPE_CHECKING:
    from camrelay.workers.alarm.worker import AlarmWorker


def feed_app(worker: AlarmWorker) -> Quart:
    """The feed's routes, each a thin call into the worker."""
    app = new_feed_app("camrelay.alarm.feed")

    @app.websocket("/")
    async def root() -> None:
        # The current status at once, then the heartbeats; replies go to the sender only.
        await worker.status_feed.attend(worker.on_message, hello=worker.status_message())

    @app.websocket("/metrics")
    async def metrics() -> None:
        await worker.metrics_feed.attend()

    @app.websocket("/raw-video")
    async def raw_video() -> None:
        await worker.video_feed.attend(hello=worker.snapshot())

    @app.get("/health")
    async def health() -> Response:
        return Response("OK", mimetype="text/plain")

    @app.get("/snapshot")
    async def snapshot() -> Response:
        jpeg = worker.snapshot()
        if jpeg is None:
            return Response("no frame received yet", status=503, mimetype="text/plain")
        return Response(jpeg, mimetype="image/jpeg", headers={"Cache-Control": "no-store"})

    @app.get("/config")
    async def config() -> Response:
        body = json.dumps(config_document(worker.config), separators=(",", ":"))
        return Response(body, mimetype="application/json")

    return app
